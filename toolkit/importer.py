"""ONNX (float, or QDQ int8 as quantize_static writes it) -> Graph. The only module that parses ONNX.

QDQ handling: a DequantizeLinear is looked through to its int8 source; a compute node's float
output that feeds exactly one QuantizeLinear becomes that QuantizeLinear's int8 tensor. So a
quantized Graph has int8 activations whose names are the ONNX int8 tensor names, which lets the
conformance check cut the same op out of the ONNX model.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np
import onnx
from onnx import numpy_helper

from .errors import ToolkitError, UnsupportedModelError
from .ir import (ClampAttrs, ConcatAttrs, ConvAttrs, DType, Graph, Layout, LutAttrs, Op, OpKind,
                 PadAttrs, PoolAttrs, Tensor)

NCHW_TO_NHWC = (0, 2, 3, 1)
_ONNX_DTYPES = {onnx.TensorProto.FLOAT: DType.FLOAT32, onnx.TensorProto.INT8: DType.INT8,
                onnx.TensorProto.INT32: DType.INT32}


@dataclass
class _Quant:
    source: str          # int8 tensor name
    scale: np.ndarray
    zero_point: np.ndarray
    axis: int = 1


@dataclass
class _Context:
    model: onnx.ModelProto
    graph: Graph
    consts: dict[str, np.ndarray] = field(default_factory=dict)
    shapes: dict[str, tuple[int, ...]] = field(default_factory=dict)
    dequant: dict[str, _Quant] = field(default_factory=dict)   # DQ output -> its int8 source
    quant_of: dict[str, str] = field(default_factory=dict)     # float tensor -> the Q output quantizing it
    quant: dict[str, _Quant] = field(default_factory=dict)     # Q output -> params
    users: dict[str, list[onnx.NodeProto]] = field(default_factory=dict)

    def attr(self, node: onnx.NodeProto, name: str, default=None):
        for a in node.attribute:
            if a.name == name:
                return onnx.helper.get_attribute_value(a)
        return default

    def const(self, name: str, node: onnx.NodeProto) -> np.ndarray:
        if name not in self.consts:
            raise UnsupportedModelError(
                f"node '{node.name}' ({node.op_type}): input '{name}' must be a constant")
        return self.consts[name]

    def activation(self, name: str) -> Tensor:
        """IR tensor for an activation input, looking through DequantizeLinear."""
        q = self.dequant.get(name)
        return self.graph.tensors[q.source if q else name]

    def weight(self, name: str, node: onnx.NodeProto) -> tuple[str, np.ndarray, _Quant | None]:
        """(IR name, raw values, quantization) of a constant input, looking through DequantizeLinear."""
        q = self.dequant.get(name)
        if q is not None:
            return q.source, self.const(q.source, node), q
        return name, self.const(name, node), None

    def output(self, node: onnx.NodeProto, layout: Layout, index: int = 0) -> str:
        """Create the IR tensor for a node output; int8 if a single QuantizeLinear consumes it."""
        name = node.output[index]
        users = self.users.get(name, [])
        qname = self.quant_of.get(name)
        if qname is not None and len(users) == 1:
            q = self.quant[qname]
            shape = self.ir_shape(name, layout)
            self.graph.tensors[qname] = Tensor(qname, shape, DType.INT8, layout, q.scale, q.zero_point,
                                               onnx_name=qname)
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

    def add_const(self, name: str, data: np.ndarray, q: _Quant | None, axis: int = 0) -> None:
        dtype = _dtype_of(data)
        scale = zp = None
        if q is not None:
            scale, zp = q.scale, q.zero_point
        self.graph.tensors[name] = Tensor(name, tuple(data.shape), dtype, Layout.RAW, scale, zp,
                                          data=data, onnx_name=name)


def _dtype_of(a: np.ndarray) -> DType:
    for d in DType:
        if a.dtype == d.numpy:
            return d
    raise UnsupportedModelError(f"constant of dtype {a.dtype} is not supported")


def _spatial(ctx: _Context, t: Tensor, node: onnx.NodeProto) -> None:
    if t.layout != Layout.SPATIAL or len(t.shape) != 4:
        raise UnsupportedModelError(
            f"node '{node.name}' ({node.op_type}): input '{t.name}' must be a 4-D NCHW feature map, "
            f"got shape {list(t.shape)}")


def _conv_pads(ctx: _Context, node: onnx.NodeProto, in_hw, kernel, stride, dilation) -> tuple[int, int, int, int]:
    auto_pad = ctx.attr(node, "auto_pad", b"NOTSET")
    auto_pad = auto_pad.decode() if isinstance(auto_pad, bytes) else auto_pad
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


def _conv(ctx: _Context, node: onnx.NodeProto) -> Op:
    x = ctx.activation(node.input[0])
    _spatial(ctx, x, node)
    wname, w, wq = ctx.weight(node.input[1], node)
    if w.ndim != 4:
        raise UnsupportedModelError(f"node '{node.name}' (Conv): only 2-D convolutions are supported, "
                                    f"weight has rank {w.ndim}")
    group = ctx.attr(node, "group", 1)
    cout, cin_g, kh, kw = w.shape
    cin = x.shape[3]
    stride = tuple(ctx.attr(node, "strides", [1, 1]))
    dilation = tuple(ctx.attr(node, "dilations", [1, 1]))
    pads = _conv_pads(ctx, node, x.shape[1:3], (kh, kw), stride, dilation)
    if group == 1:
        kind, data = OpKind.CONV, np.ascontiguousarray(w.transpose(0, 2, 3, 1))
    elif group == cin == cout and cin_g == 1:
        kind, data = OpKind.DEPTHWISE, np.ascontiguousarray(w[:, 0].transpose(1, 2, 0))
    else:
        raise UnsupportedModelError(
            f"node '{node.name}' (Conv): grouped convolution with group={group} (not depthwise, "
            f"{cin} in / {cout} out channels) is not supported")
    ctx.add_const(wname, data, wq)
    inputs = [x.name, wname]
    if len(node.input) > 2 and node.input[2]:
        bname, b, bq = ctx.weight(node.input[2], node)
        ctx.add_const(bname, b, bq)
        inputs.append(bname)
    attrs = ConvAttrs((kh, kw), stride, pads, dilation)
    return Op(node.name, kind, inputs, [ctx.output(node, Layout.SPATIAL)], attrs, node.name)


def _gemm(ctx: _Context, node: onnx.NodeProto) -> Op:
    x = ctx.activation(node.input[0])
    if len(x.shape) != 2 or x.shape[0] != 1:
        raise UnsupportedModelError(f"node '{node.name}' ({node.op_type}): input must be [1, K], "
                                    f"got {list(x.shape)}")
    wname, w, wq = ctx.weight(node.input[1], node)
    if node.op_type == "Gemm":
        if ctx.attr(node, "alpha", 1.0) != 1.0 or ctx.attr(node, "beta", 1.0) != 1.0 or ctx.attr(node, "transA", 0):
            raise UnsupportedModelError(f"node '{node.name}' (Gemm): only alpha=beta=1, transA=0 is supported")
        trans_b = ctx.attr(node, "transB", 0)
    else:
        trans_b = 0
    data = np.ascontiguousarray(w if trans_b else w.T)
    if wq is not None and not trans_b:
        raise UnsupportedModelError(f"node '{node.name}': quantized weights must be stored [out, in] (transB=1)")
    ctx.add_const(wname, data, wq)
    inputs = [x.name, wname]
    if len(node.input) > 2 and node.input[2]:
        bname, b, bq = ctx.weight(node.input[2], node)
        ctx.add_const(bname, b.reshape(-1), bq)
        inputs.append(bname)
    return Op(node.name, OpKind.FC, inputs, [ctx.output(node, Layout.RAW)], None, node.name)


def _add(ctx: _Context, node: onnx.NodeProto) -> Op:
    a, b = (ctx.activation(n) if n not in ctx.consts else None for n in node.input)
    if a is None or b is None:
        raise UnsupportedModelError(f"node '{node.name}' (Add): adding a constant is not supported; "
                                    f"only the sum of two feature maps")
    if a.shape != b.shape:
        raise UnsupportedModelError(f"node '{node.name}' (Add): broadcasting {list(a.shape)} + "
                                    f"{list(b.shape)} is not supported")
    return Op(node.name, OpKind.ADD, [a.name, b.name], [ctx.output(node, a.layout)], None, node.name)


def _maxpool(ctx: _Context, node: onnx.NodeProto) -> Op:
    x = ctx.activation(node.input[0])
    _spatial(ctx, x, node)
    if ctx.attr(node, "ceil_mode", 0) or any(d != 1 for d in ctx.attr(node, "dilations", [1, 1])):
        raise UnsupportedModelError(f"node '{node.name}' (MaxPool): ceil_mode and dilation are not supported")
    kernel = tuple(ctx.attr(node, "kernel_shape"))
    stride = tuple(ctx.attr(node, "strides", [1, 1]))
    pads = _conv_pads(ctx, node, x.shape[1:3], kernel, stride, (1, 1))
    return Op(node.name, OpKind.MAXPOOL, [x.name], [ctx.output(node, Layout.SPATIAL)],
              PoolAttrs(kernel, stride, pads), node.name)


def _global_avgpool(ctx: _Context, node: onnx.NodeProto) -> Op:
    x = ctx.activation(node.input[0])
    _spatial(ctx, x, node)
    layout = Layout.SPATIAL
    if node.op_type == "ReduceMean":
        axes = ctx.attr(node, "axes") or (list(ctx.consts[node.input[1]]) if len(node.input) > 1 else None)
        if sorted(a % 4 for a in axes or []) != [2, 3]:
            raise UnsupportedModelError(f"node '{node.name}' (ReduceMean): only the mean over H and W "
                                        f"(axes 2, 3) is supported, got axes {axes}")
        if not ctx.attr(node, "keepdims", 1):
            layout = Layout.RAW  # [1, C]: the same bytes as the NHWC [1, 1, 1, C] map
    return Op(node.name, OpKind.AVGPOOL, [x.name], [ctx.output(node, layout)], None, node.name)


def _pad(ctx: _Context, node: onnx.NodeProto) -> Op:
    x = ctx.activation(node.input[0])
    mode = ctx.attr(node, "mode", b"constant")
    mode = mode.decode() if isinstance(mode, bytes) else mode
    pads = ctx.attr(node, "pads") or list(ctx.const(node.input[1], node))
    value = 0.0
    if len(node.input) > 2 and node.input[2]:
        vname = node.input[2]
        q = ctx.dequant.get(vname)
        raw = ctx.const(q.source if q else vname, node).astype(np.float32)
        value = float((raw - q.zero_point) * q.scale) if q else float(raw)
    if mode != "constant" or value != 0.0:
        raise UnsupportedModelError(f"node '{node.name}' (Pad): only constant zero padding is supported "
                                    f"(mode={mode}, value={value})")
    rank = len(x.shape)
    onnx_pairs = [(int(pads[i]), int(pads[i + rank])) for i in range(rank)]
    if x.layout == Layout.SPATIAL and rank == 4:
        onnx_pairs = [onnx_pairs[i] for i in NCHW_TO_NHWC]
    if any(b < 0 or a < 0 for b, a in onnx_pairs) or onnx_pairs[0] != (0, 0):
        raise UnsupportedModelError(f"node '{node.name}' (Pad): negative or batch padding is not supported")
    return Op(node.name, OpKind.PAD, [x.name], [ctx.output(node, x.layout)], PadAttrs(tuple(onnx_pairs)), node.name)


def _concat(ctx: _Context, node: onnx.NodeProto) -> Op:
    xs = [ctx.activation(n) for n in node.input]
    layouts = {x.layout for x in xs}
    if len(layouts) != 1:
        raise UnsupportedModelError(f"node '{node.name}' (Concat): inputs mix layouts")
    layout = layouts.pop()
    rank = len(xs[0].shape)
    axis = ctx.attr(node, "axis") % rank
    if layout == Layout.SPATIAL and rank == 4:
        axis = NCHW_TO_NHWC.index(axis)
    return Op(node.name, OpKind.CONCAT, [x.name for x in xs], [ctx.output(node, layout)],
              ConcatAttrs(axis), node.name)


def _reshape(ctx: _Context, node: onnx.NodeProto) -> Op:
    x = ctx.activation(node.input[0])
    out_layout = Layout.RAW
    if node.op_type == "Transpose":
        perm = tuple(ctx.attr(node, "perm"))
        if x.layout == Layout.SPATIAL and perm == NCHW_TO_NHWC:
            pass  # NCHW -> NHWC: the bytes are already NHWC
        elif x.layout == Layout.RAW and perm == (0, 3, 1, 2) and len(x.shape) == 4:
            out_layout = Layout.SPATIAL  # NHWC -> NCHW: same bytes, now a feature map
        else:
            raise UnsupportedModelError(f"node '{node.name}' (Transpose): permutation {list(perm)} moves "
                                        f"data; only NCHW<->NHWC layout changes are supported")
    elif x.layout == Layout.SPATIAL and len(x.shape) == 4 and x.shape[1] * x.shape[2] != 1 and x.shape[3] != 1:
        raise UnsupportedModelError(
            f"node '{node.name}' ({node.op_type}): flattening a feature map of shape (N,H,W,C)="
            f"{list(x.shape)} depends on NCHW order; only 1x1 spatial maps can be reshaped")
    return Op(node.name, OpKind.RESHAPE, [x.name], [ctx.output(node, out_layout)], None, node.name)


def _clamp(ctx: _Context, node: onnx.NodeProto) -> Op:
    x = ctx.activation(node.input[0])
    if node.op_type == "Relu":
        low, high = 0.0, float("inf")
    else:
        def bound(i, attr, default):
            if len(node.input) > i and node.input[i]:
                return float(ctx.const(node.input[i], node))
            return float(ctx.attr(node, attr, default))
        low, high = bound(1, "min", float("-inf")), bound(2, "max", float("inf"))
    return Op(node.name, OpKind.CLAMP, [x.name], [ctx.output(node, x.layout)], ClampAttrs(low, high), node.name)


LUT_DEFAULTS = {"Sigmoid": (0.0, 0.0), "Tanh": (0.0, 0.0), "HardSigmoid": (0.2, 0.5), "HardSwish": (0.0, 0.0),
                "LeakyRelu": (0.01, 0.0), "PRelu": (0.0, 0.0)}   # ONNX's default alpha, beta


def _lut(ctx: _Context, node: onnx.NodeProto) -> Op:
    x = ctx.activation(node.input[0])
    alpha, beta = LUT_DEFAULTS[node.op_type]
    slope: tuple[float, ...] = ()
    if node.op_type == "PRelu":
        _, raw, q = ctx.weight(node.input[1], node)
        values = raw.astype(np.float32) if q is None else \
            (raw.astype(np.int32) - q.zero_point.astype(np.int32)).astype(np.float32) * q.scale
        values = np.asarray(values, np.float32).ravel()
        channels = x.shape[-1] if x.layout == Layout.SPATIAL else 1
        if values.size not in (1, channels):
            raise UnsupportedModelError(f"node '{node.name}' (PRelu): the slope must be one value or one per "
                                        f"channel, got shape {raw.shape}")
        slope = tuple(float(v) for v in values)
    attrs = LutAttrs(node.op_type, float(ctx.attr(node, "alpha", alpha)), float(ctx.attr(node, "beta", beta)), slope)
    return Op(node.name, OpKind.LUT, [x.name], [ctx.output(node, x.layout)], attrs, node.name)


CONVERTERS: dict[str, Callable[[_Context, onnx.NodeProto], Op]] = {
    "Conv": _conv,
    "Gemm": _gemm,
    "MatMul": _gemm,
    "Add": _add,
    "MaxPool": _maxpool,
    "GlobalAveragePool": _global_avgpool,
    "ReduceMean": _global_avgpool,
    "Pad": _pad,
    "Concat": _concat,
    "Reshape": _reshape,
    "Flatten": _reshape,
    "Transpose": _reshape,
    "Squeeze": _reshape,
    "Unsqueeze": _reshape,
    "Relu": _clamp,
    "Clip": _clamp,
    **{op_type: _lut for op_type in LUT_DEFAULTS},
}
SUPPORTED_OPS = sorted(CONVERTERS) + ["QuantizeLinear", "DequantizeLinear", "Constant", "Identity"]


def read_model(path: str | Path) -> onnx.ModelProto:
    """Load an ONNX file with a one-line error for missing, truncated or corrupt files."""
    path = Path(path)
    if not path.is_file():
        raise ToolkitError(f"model file not found: {path}")
    try:
        model = onnx.load(str(path))
    except Exception as exc:  # protobuf DecodeError and friends
        raise ToolkitError(f"{path}: not a readable ONNX model (truncated or corrupt file): "
                           f"{type(exc).__name__}") from None
    if not model.graph.node:
        raise ToolkitError(f"{path}: not a readable ONNX model (no graph nodes; truncated or corrupt file?)")
    return model


def fix_batch(model: onnx.ModelProto, consts: set[str]) -> None:
    """Check the image input is [N, C, H, W] and pin a symbolic batch to 1 (microcontrollers run batch 1)."""
    for inp in model.graph.input:
        if inp.name in consts:
            continue
        dims = inp.type.tensor_type.shape.dim
        shape = [d.dim_value if d.HasField("dim_value") else d.dim_param or "?" for d in dims]
        if len(dims) != 4:
            raise UnsupportedModelError(
                f"input '{inp.name}' has rank {len(dims)} (shape {shape}); the toolkit needs a 4-D NCHW "
                f"image input [1, C, H, W]")
        if not dims[0].HasField("dim_value") or dims[0].dim_value != 1:
            dims[0].Clear()
            dims[0].dim_value = 1
        if any(not d.HasField("dim_value") or d.dim_value <= 0 for d in dims[1:]):
            raise UnsupportedModelError(f"input '{inp.name}' has a dynamic shape {shape}; C, H and W must be fixed")


def _collect(ctx: _Context) -> None:
    g = ctx.model.graph
    for init in g.initializer:
        ctx.consts[init.name] = numpy_helper.to_array(init)
    for node in g.node:
        if node.op_type == "Constant":
            ctx.consts[node.output[0]] = numpy_helper.to_array(ctx.attr(node, "value"))
        for name in node.input:
            ctx.users.setdefault(name, []).append(node)
    for out in g.output:
        ctx.users.setdefault(out.name, []).append(None)
    for vi in list(g.value_info) + list(g.input) + list(g.output):
        tt = vi.type.tensor_type
        if tt.HasField("shape") and all(d.HasField("dim_value") for d in tt.shape.dim):
            ctx.shapes[vi.name] = tuple(d.dim_value for d in tt.shape.dim)
    for name, value in ctx.consts.items():
        ctx.shapes[name] = tuple(value.shape)
    for node in g.node:
        if node.op_type == "QuantizeLinear":
            scale, zp = _quant_params(ctx, node)
            if zp.dtype != np.int32 or ctx.consts.get(node.input[2], np.int8(0)).dtype != np.int8:
                raise UnsupportedModelError(f"node '{node.name}' (QuantizeLinear): activations must be "
                                            f"quantized to int8")
            ctx.quant[node.output[0]] = _Quant(node.output[0], scale, zp)
            ctx.quant_of[node.input[0]] = node.output[0]


def _quant_params(ctx: _Context, node: onnx.NodeProto) -> tuple[np.ndarray, np.ndarray]:
    scale = np.asarray(ctx.const(node.input[1], node), dtype=np.float32)
    zp = ctx.consts.get(node.input[2]) if len(node.input) > 2 and node.input[2] else None
    if zp is not None and zp.dtype not in (np.int8, np.int32):
        raise UnsupportedModelError(f"node '{node.name}' ({node.op_type}): only int8 quantization is "
                                    f"supported, zero point is {zp.dtype}")
    zp = np.zeros(scale.shape, np.int32) if zp is None else zp.astype(np.int32)
    return scale, zp


def import_model(path: str | Path):
    """An ONNX model (float or QDQ int8) as the toolkit's Graph, and what the clean-up did to it: a
    float model with ops the converters do not take is cleaned first (toolkit/cleanup.py)."""
    from .cleanup import clean
    cleaned = clean(read_model(path), set(SUPPORTED_OPS))
    return graph_from_model(cleaned.model, Path(path).stem), cleaned


def load_graph(path: str | Path) -> Graph:
    """Import an ONNX model (float or QDQ int8) into the toolkit's Graph."""
    return import_model(path)[0]


def graph_from_model(model: onnx.ModelProto, name: str) -> Graph:
    model = onnx.ModelProto.FromString(model.SerializeToString())
    fix_batch(model, {i.name for i in model.graph.initializer})
    try:
        model = onnx.shape_inference.infer_shapes(model, strict_mode=True)
    except Exception as exc:
        raise UnsupportedModelError(f"shape inference failed: {str(exc).splitlines()[0]}") from None
    ctx = _Context(model, Graph(name))
    _collect(ctx)
    g = ctx.graph
    for inp in model.graph.input:
        if inp.name not in ctx.consts:
            shape = ctx.ir_shape(inp.name, Layout.SPATIAL)
            g.tensors[inp.name] = Tensor(inp.name, shape, DType.FLOAT32, Layout.SPATIAL, onnx_name=inp.name)
            g.inputs.append(inp.name)

    for node in model.graph.node:
        if node.op_type == "Constant":
            continue
        if node.op_type == "DequantizeLinear":
            src = node.input[0]
            scale, zp = _quant_params(ctx, node)
            ctx.dequant[node.output[0]] = _Quant(src, scale, zp, ctx.attr(node, "axis", 1))
            if src in ctx.consts and ctx.consts[src].dtype not in (np.int8, np.int32):
                raise UnsupportedModelError(f"node '{node.name}': only int8 weights and int32 biases "
                                            f"are supported, got {ctx.consts[src].dtype}")
            continue
        if node.op_type == "QuantizeLinear":
            q = ctx.quant[node.output[0]]
            scale, zp = q.scale, q.zero_point
            src = node.input[0]
            if src in g.inputs:  # quantization of the float image: happens on the host
                t = g.tensors.pop(src)
                g.inputs[g.inputs.index(src)] = node.output[0]
                g.tensors[node.output[0]] = Tensor(node.output[0], t.shape, DType.INT8, t.layout, scale, zp,
                                                   onnx_name=node.output[0])
                g.float_inputs[node.output[0]] = src
            elif node.output[0] not in g.tensors:
                raise UnsupportedModelError(f"node '{node.name}' (QuantizeLinear): quantizes '{src}', "
                                            f"which is not the output of a supported op")
            continue
        if node.op_type == "Identity":
            ctx.dequant[node.output[0]] = ctx.dequant.get(node.input[0]) or _Quant(node.input[0], None, None)
            continue
        convert = CONVERTERS.get(node.op_type)
        if convert is None:
            raise UnsupportedModelError(
                f"unsupported op '{node.op_type}' (node '{node.name or node.output[0]}'); supported ops: "
                f"{', '.join(SUPPORTED_OPS)}")
        g.ops.append(convert(ctx, node))

    for out in model.graph.output:
        q = ctx.dequant.get(out.name)
        if q is not None and q.scale is not None:
            g.outputs.append(q.source)
            g.float_outputs[q.source] = out.name
        elif out.name in g.tensors:
            g.outputs.append(out.name)
        else:
            raise UnsupportedModelError(f"output '{out.name}' is not produced by a supported op")
    _check_quantized_consistently(g)
    return g


def _check_quantized_consistently(g: Graph) -> None:
    """A quantized graph must be int8 from input to output: a float op in the middle cannot run on the MCU."""
    if not g.float_inputs:
        return
    for op in g.ops:
        for name in op.outputs:
            if g.tensors[name].dtype != DType.INT8:
                raise UnsupportedModelError(
                    f"node '{op.onnx_node}' ({op.kind.value}): output '{name}' is not quantized; "
                    f"a QDQ model must quantize every op output (re-run `toolkit quantize`)")
