"""The Graph: the one representation every stage (quantize, golden, plan, codegen) speaks.

Layout decision: feature maps are stored NHWC (batch first, channels last), as the C engine
computes them (CMSIS-NN habit: channels innermost make 1x1 convs and depthwise loops
contiguous). The importer converts from ONNX's NCHW; tensors that ONNX treats as plain
row-major arrays (after a Transpose/Reshape, e.g. detector heads) keep ONNX's layout and are
marked `Layout.RAW`. `to_ir_layout`/`to_onnx_layout` convert arrays at the edges.

Weights: conv and conv transpose [Cout, KH, KW, Cin]; depthwise [KH, KW, C]; fully connected [Cout, Cin].
Quantization: activations per tensor (scale, zero point); weights per output channel,
symmetric (zero point 0), as onnxruntime's quantize_static produces them.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

import numpy as np


class DType(str, Enum):
    FLOAT32 = "float32"
    INT8 = "int8"
    INT32 = "int32"

    @property
    def numpy(self) -> np.dtype:
        return np.dtype(self.value)

    @property
    def itemsize(self) -> int:
        return self.numpy.itemsize


class Layout(str, Enum):
    SPATIAL = "spatial"  # ONNX NCHW feature map, stored NHWC
    RAW = "raw"          # stored exactly as ONNX orders it


class OpKind(str, Enum):
    CONV = "conv"            # general 2-D convolution (includes 1x1 pointwise)
    DEPTHWISE = "depthwise"  # depthwise 2-D convolution, channel multiplier 1
    CONV_TRANSPOSE = "conv_transpose"  # transposed 2-D convolution (learned upsampling)
    CONV_AVGPOOL = "conv_avgpool"  # a 1x1 conv read only by a global average pool, fused (ops/conv_avgpool.py)
    FC = "fc"                # fully connected (Gemm / MatMul)
    ADD = "add"              # elementwise add of two tensors of the same shape
    MUL = "mul"              # elementwise product of two maps, or of a map by a per-channel vector
    MAXPOOL = "maxpool"
    AVGPOOL = "avgpool"      # global average pooling
    AVGPOOL2D = "avgpool2d"  # windowed average pooling (ONNX AveragePool)
    PAD = "pad"              # constant padding (value = real 0)
    CONCAT = "concat"
    RESHAPE = "reshape"      # byte-identical reshape (Reshape, Flatten, layout-only Transpose)
    TRANSPOSE = "transpose"  # a reshape that moves data: permute the IR axes, then reshape (TransposeAttrs)
    CLAMP = "clamp"          # Relu / Clip left as a separate op
    RESIZE = "resize"        # nearest or bilinear resize of H and W (ONNX Resize)
    SLICE = "slice"          # a range of channels (ONNX Slice, Split on channels)
    SOFTMAX = "softmax"      # softmax over the last IR axis
    LUT = "lut"              # an elementwise function of one tensor, int8 -> int8 by 256-entry tables (ops/lut.py)


@dataclass
class Tensor:
    name: str
    shape: tuple[int, ...]
    dtype: DType
    layout: Layout = Layout.SPATIAL
    scale: np.ndarray | None = None       # float32, shape () or (channels,)
    zero_point: np.ndarray | None = None  # int32, same shape as scale
    data: np.ndarray | None = None        # constants only, in IR layout
    onnx_name: str | None = None          # the ONNX tensor holding the same values
    onnx_uint8: bool = False              # that ONNX tensor is uint8: it holds these int8 values + 128

    @property
    def is_const(self) -> bool:
        return self.data is not None

    @property
    def size(self) -> int:
        return int(np.prod(self.shape, dtype=np.int64))

    @property
    def nbytes(self) -> int:
        return self.size * self.dtype.itemsize

    @property
    def quantized(self) -> bool:
        return self.scale is not None


@dataclass(frozen=True)
class ConvAttrs:
    kernel: tuple[int, int]
    stride: tuple[int, int] = (1, 1)
    pads: tuple[int, int, int, int] = (0, 0, 0, 0)  # top, left, bottom, right
    dilation: tuple[int, int] = (1, 1)


@dataclass(frozen=True)
class ConvPoolAttrs:
    """A 1x1 conv and the global average pool it feeds, fused (ops/conv_avgpool.py)."""
    conv: ConvAttrs
    mid: str   # the convolution's output: kept in the graph for its quantization, never held


@dataclass(frozen=True)
class PoolAttrs:
    kernel: tuple[int, int]
    stride: tuple[int, int]
    pads: tuple[int, int, int, int] = (0, 0, 0, 0)
    count_include_pad: bool = False   # average pooling: padded taps count in the divisor


@dataclass(frozen=True)
class PadAttrs:
    pads: tuple[tuple[int, int], ...]  # (before, after) per IR axis


@dataclass(frozen=True)
class ConcatAttrs:
    axis: int  # IR axis


@dataclass(frozen=True)
class ClampAttrs:
    low: float   # real-valued bounds, e.g. 0 and 6 for ReLU6
    high: float


@dataclass(frozen=True)
class LutAttrs:
    """The float function y = f(x) a LUT op tabulates: an ONNX activation and its attributes, or an
    arithmetic op with a constant operand."""
    func: str                          # Sigmoid, Tanh, HardSigmoid, HardSwish, LeakyRelu, PRelu, Add, Sub, Mul, Div,
                                       # BatchNormalization
    alpha: float = 0.0
    beta: float = 0.0
    values: tuple[float, ...] = ()     # PRelu's slope, the constant operand or BatchNormalization's scale:
                                       # one per channel, or one for all
    offsets: tuple[float, ...] = ()    # BatchNormalization's bias, one per channel
    reverse: bool = False              # the constant is the left operand (c - x, c / x)


@dataclass(frozen=True)
class ResizeAttrs:
    """ONNX Resize over H and W: the scales it divides by (as ONNX computes them) and its modes."""
    mode: str                          # nearest, linear
    coordinate_mode: str               # half_pixel, pytorch_half_pixel, align_corners, asymmetric, tf_half_pixel_for_nn
    nearest_mode: str                  # round_prefer_floor, round_prefer_ceil, floor, ceil
    scales: tuple[float, float]        # output / input per axis, float32


@dataclass(frozen=True)
class TransposeAttrs:
    perm: tuple[int, ...]   # of the IR input's axes (batch first, kept first); then reshaped to the output


@dataclass(frozen=True)
class SliceAttrs:
    start: int   # channels start:stop:step of the last IR axis
    stop: int
    step: int = 1


Attrs = ConvAttrs | ConvPoolAttrs | PoolAttrs | PadAttrs | ConcatAttrs | ClampAttrs | LutAttrs | ResizeAttrs | SliceAttrs | TransposeAttrs | None


@dataclass
class Op:
    name: str
    kind: OpKind
    inputs: list[str]   # activations first, then weight and bias for conv/depthwise/fc
    outputs: list[str]
    attrs: Attrs = None
    onnx_node: str = ""  # the ONNX node this op came from


@dataclass
class Graph:
    name: str
    tensors: dict[str, Tensor] = field(default_factory=dict)
    ops: list[Op] = field(default_factory=list)  # topological order
    inputs: list[str] = field(default_factory=list)
    outputs: list[str] = field(default_factory=list)
    # Graph input name -> the float ONNX input it quantizes (quantized graphs only).
    float_inputs: dict[str, str] = field(default_factory=dict)
    # Graph output name -> the float ONNX output that dequantizes it (quantized graphs only).
    float_outputs: dict[str, str] = field(default_factory=dict)

    def producer(self, tensor: str) -> Op | None:
        for op in self.ops:
            if tensor in op.outputs:
                return op
        return None

    def consumers(self, tensor: str) -> list[Op]:
        return [op for op in self.ops if tensor in op.inputs]

    def activations(self, op: Op) -> list[Tensor]:
        """The non-constant inputs of an op."""
        return [self.tensors[n] for n in op.inputs if not self.tensors[n].is_const]

    def op(self, name: str) -> Op:
        for op in self.ops:
            if op.name == name:
                return op
        raise KeyError(f"no op named {name!r} in graph {self.name!r}")


def macs(graph: Graph, op: Op) -> int:
    """Multiply-accumulates of one op (batch 1); 0 for data-movement ops."""
    out = graph.tensors[op.outputs[0]]
    if op.kind in (OpKind.CONV, OpKind.CONV_AVGPOOL):   # the fused pool: the conv's pixels
        w = graph.tensors[op.inputs[1]]
        pixels = graph.tensors[op.attrs.mid] if op.kind == OpKind.CONV_AVGPOOL else out
        return pixels.size // pixels.shape[0] * int(np.prod(w.shape[1:]))
    if op.kind == OpKind.CONV_TRANSPOSE:   # every input pixel meets every tap once
        x, w = graph.tensors[op.inputs[0]], graph.tensors[op.inputs[1]]
        return x.size // x.shape[0] * int(np.prod(w.shape[:3]))
    if op.kind == OpKind.DEPTHWISE:
        kh, kw = op.attrs.kernel
        return out.size // out.shape[0] * kh * kw
    if op.kind == OpKind.FC:
        w = graph.tensors[op.inputs[1]]
        return int(w.shape[0] * w.shape[1])
    return 0


def from_onnx(array: np.ndarray, t: Tensor) -> np.ndarray:
    """An ONNX value of tensor `t` in the IR: layout, and uint8 shifted to int8."""
    a = to_ir_layout(array, t.layout)
    return (a.astype(np.int16) - 128).astype(np.int8) if t.onnx_uint8 else a


def to_onnx(array: np.ndarray, t: Tensor) -> np.ndarray:
    """An IR value of tensor `t` as ONNX holds it: layout, and uint8 where the ONNX tensor is uint8."""
    a = to_onnx_layout(array, t.layout)
    return (a.astype(np.int16) + 128).astype(np.uint8) if t.onnx_uint8 else a


def to_ir_layout(array: np.ndarray, layout: Layout) -> np.ndarray:
    """ONNX-ordered array -> IR order (NCHW -> NHWC for spatial 4-D tensors)."""
    if layout == Layout.SPATIAL and array.ndim == 4:
        return np.ascontiguousarray(array.transpose(0, 2, 3, 1))
    return array


def to_onnx_layout(array: np.ndarray, layout: Layout) -> np.ndarray:
    """IR-ordered array -> ONNX order (NHWC -> NCHW for spatial 4-D tensors)."""
    if layout == Layout.SPATIAL and array.ndim == 4:
        return np.ascontiguousarray(array.transpose(0, 3, 1, 2))
    return array
