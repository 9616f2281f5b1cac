"""What an op's ONNX converter works with: the import context (constants, shapes, QDQ pairs) and
the helpers converters share. toolkit/importer.py drives it; each op module under toolkit/ops/ has
its own converter."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import onnx

from toolkit.errors import UnsupportedModelError
from toolkit.ir import DType, Graph, Layout, Tensor

NCHW_TO_NHWC = (0, 2, 3, 1)


@dataclass
class Quant:
    source: str          # int8 tensor name
    scale: np.ndarray
    zero_point: np.ndarray   # as for int8: a uint8 tensor's zero point - 128
    axis: int = 1
    uint8: bool = False      # the ONNX tensor is uint8: the IR holds it minus 128 (exact: same reals)


@dataclass
class Context:
    model: onnx.ModelProto
    graph: Graph
    consts: dict[str, np.ndarray] = field(default_factory=dict)
    shapes: dict[str, tuple[int, ...]] = field(default_factory=dict)
    dequant: dict[str, Quant] = field(default_factory=dict)   # DQ output -> its int8 source
    quant_of: dict[str, str] = field(default_factory=dict)     # float tensor -> the Q output quantizing it
    quant: dict[str, Quant] = field(default_factory=dict)     # Q output -> params
    users: dict[str, list[onnx.NodeProto]] = field(default_factory=dict)

    def attr(self, node: onnx.NodeProto, name: str, default=None):
        for a in node.attribute:
            if a.name == name:
                return onnx.helper.get_attribute_value(a)
        return default

    def text(self, node: onnx.NodeProto, name: str, default: str) -> str:
        """A string attribute (onnx gives bytes)."""
        v = self.attr(node, name, default)
        return v.decode() if isinstance(v, bytes) else v

    def is_const(self, name: str) -> bool:
        """A constant, float or behind a DequantizeLinear."""
        return name in self.consts or (name in self.dequant and self.dequant[name].source in self.consts)

    def const(self, name: str, node: onnx.NodeProto) -> np.ndarray:
        if name not in self.consts:
            raise UnsupportedModelError(
                f"node '{node.name}' ({node.op_type}): input '{name}' must be a constant")
        return self.consts[name]

    def activation(self, name: str) -> Tensor:
        """IR tensor for an activation input, looking through DequantizeLinear."""
        q = self.dequant.get(name)
        return self.graph.tensors[q.source if q else name]

    def weight(self, name: str, node: onnx.NodeProto, symmetric: bool = False
               ) -> tuple[str, np.ndarray, Quant | None]:
        """(IR name, raw values, quantization) of a constant input, looking through DequantizeLinear.
        `symmetric`: the kernels take this weight only with zero points 0 (conv, fc)."""
        q = self.dequant.get(name)
        if q is None:
            return name, self.const(name, node), None
        if symmetric and np.any(q.zero_point != 0):
            raise UnsupportedModelError(
                f"node '{node.name}' ({node.op_type}): weights quantized with a nonzero zero point "
                f"({sorted(set(np.ravel(q.zero_point + (128 if q.uint8 else 0)).tolist()))[:4]}...) are not "
                f"supported; the engine takes symmetric weights (zero point 0, or 128 for uint8)")
        return q.source, self.const(q.source, node), q

    def real(self, name: str, node: onnx.NodeProto) -> np.ndarray:
        """The real (float32) values of a constant input: DequantizeLinear applied when it has one,
        per tensor or per axis as DequantizeLinear broadcasts."""
        _, raw, q = self.weight(name, node)
        if q is None:
            return raw.astype(np.float32)
        shape = [1] * raw.ndim
        if np.size(q.scale) > 1:
            shape[q.axis % raw.ndim] = -1
        scale, zp = (np.reshape(v, shape if np.size(v) > 1 else ()) for v in (q.scale, q.zero_point))
        return (raw.astype(np.int32) - zp.astype(np.int32)).astype(np.float32) * scale.astype(np.float32)

    def output(self, node: onnx.NodeProto, layout: Layout, index: int = 0) -> str:
        """Create the IR tensor for a node output; int8 if a single QuantizeLinear consumes it."""
        name = node.output[index]
        users = self.users.get(name, [])
        qname = self.quant_of.get(name)
        if qname is not None and len(users) == 1:
            q = self.quant[qname]
            shape = self.ir_shape(name, layout)
            self.graph.tensors[qname] = Tensor(qname, shape, DType.INT8, layout, q.scale, q.zero_point,
                                               onnx_name=qname, onnx_uint8=q.uint8)
            return qname
        shape = self.ir_shape(name, layout)
        self.graph.tensors[name] = Tensor(name, shape, DType.FLOAT32, layout, onnx_name=name)
        return name

    def ir_shape(self, name: str, layout: Layout) -> tuple[int, ...]:
        if name not in self.shapes:
            raise UnsupportedModelError(f"tensor '{name}' has no inferred static shape")
        shape = self.shapes[name]
        if layout == Layout.SPATIAL and len(shape) == 4:
            return tuple(shape[i] for i in NCHW_TO_NHWC)
        return shape

    def add_const(self, name: str, data: np.ndarray, q: Quant | None, axis: int = 0) -> None:
        dtype = dtype_of(data)
        scale = zp = None
        if q is not None:
            scale, zp = q.scale, q.zero_point
        self.graph.tensors[name] = Tensor(name, tuple(data.shape), dtype, Layout.RAW, scale, zp,
                                          data=data, onnx_name=name)


def onnx_channel_axis(x: Tensor) -> int:
    """The ONNX axis that is the last IR axis: NCHW's C for a feature map, else the last."""
    return 1 if x.layout == Layout.SPATIAL and len(x.shape) == 4 else len(x.shape) - 1


def dtype_of(a: np.ndarray) -> DType:
    for d in DType:
        if a.dtype == d.numpy:
            return d
    raise UnsupportedModelError(f"constant of dtype {a.dtype} is not supported")


def spatial_input(t: Tensor, node: onnx.NodeProto) -> None:
    if t.layout != Layout.SPATIAL or len(t.shape) != 4:
        raise UnsupportedModelError(
            f"node '{node.name}' ({node.op_type}): input '{t.name}' must be a 4-D NCHW feature map, "
            f"got shape {list(t.shape)}")


def conv_pads(ctx: Context, node: onnx.NodeProto, in_hw, kernel, stride, dilation) -> tuple[int, int, int, int]:
    auto_pad = ctx.text(node, "auto_pad", "NOTSET")
    if auto_pad in ("NOTSET", ""):
        p = ctx.attr(node, "pads", [0, 0, 0, 0])
        return (p[0], p[1], p[2], p[3])
    if auto_pad == "VALID":
        return (0, 0, 0, 0)
    total = []
    for size, k, s, d in zip(in_hw, kernel, stride, dilation):
        out = -(-size // s)
        total.append(max(0, (out - 1) * s + (k - 1) * d + 1 - size))
    small = [t // 2 for t in total]
    big = [t - t // 2 for t in total]
    if auto_pad == "SAME_UPPER":
        return (small[0], small[1], big[0], big[1])
    return (big[0], big[1], small[0], small[1])
