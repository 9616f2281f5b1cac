"""Golden model: a numpy integer interpreter of the int8 Graph, the bit-exact reference for the C engine.

Arithmetic (the C kernels implement exactly this; see docs/arithmetic.md):
- conv / depthwise / fc: exact integer accumulation acc = bias + sum((x - zx) * w) (weights are
  symmetric), then requantization in float32 as the ONNX QLinear ops define it:
      y = clamp(rint(float32(acc) * m[c]) + zy, -128, 127),  m[c] = f32(f32(sx * sw[c]) / sy)
  rint rounds half to even (C: lrintf under the default rounding mode).
  Why float32 and not a fixed-point multiplier: it is the arithmetic of the model we compare with
  (onnxruntime's literal QDQ execution), the Cortex-M7 has a single-precision FPU (one VMUL, one VCVTR
  per output), and it keeps the engine's outputs within rounding ties of onnxruntime's.
- add, average pool and any requantization of a data-movement op (concat/pad/reshape/maxpool
  whose output scale differs) follow the literal DequantizeLinear -> float op -> QuantizeLinear
  sequence in float32: t = f32(x - zx) * sx, y = rint(t / sy) + zy.
All arrays are NHWC (IR layout) with a leading batch dimension N >= 1.
"""
from __future__ import annotations

from typing import Callable

import numpy as np

from .errors import ToolkitError
from .ir import Graph, Op, OpKind, Tensor, to_ir_layout

F32 = np.float32


def saturate(y: np.ndarray) -> np.ndarray:
    return np.clip(y, -128, 127).astype(np.int8)


def quantize(x: np.ndarray, scale, zero_point) -> np.ndarray:
    """QuantizeLinear: rint(x / scale) + zero_point, saturated to int8 (float32 arithmetic)."""
    return saturate(np.rint(x.astype(F32) / F32(scale)).astype(np.int64) + int(zero_point))


def dequantize(q: np.ndarray, scale, zero_point) -> np.ndarray:
    return (q.astype(np.int32) - int(zero_point)).astype(F32) * F32(scale)


def requant_multiplier(x: Tensor, w: Tensor, y: Tensor) -> np.ndarray:
    """m[c] = f32(f32(sx * sw[c]) / sy), per output channel."""
    return (F32(x.scale) * w.scale.astype(F32)).astype(F32) / F32(y.scale)


def requant_acc(acc: np.ndarray, mult: np.ndarray, y: Tensor) -> np.ndarray:
    """int32 accumulators (channels last) -> int8 with the float32 per-channel multiplier."""
    return saturate(np.rint(acc.astype(F32) * mult).astype(np.int64) + int(y.zero_point))


def requant_literal(q: np.ndarray, x: Tensor, y: Tensor) -> np.ndarray:
    """DequantizeLinear(x) then QuantizeLinear(y) in float32; identity when the parameters agree."""
    if F32(x.scale) == F32(y.scale) and int(x.zero_point) == int(y.zero_point):
        return q
    return quantize(dequantize(q, x.scale, x.zero_point), y.scale, y.zero_point)


def _pad_spatial(xs: np.ndarray, pads, value) -> np.ndarray:
    top, left, bottom, right = pads
    return np.pad(xs, ((0, 0), (top, bottom), (left, right), (0, 0)), constant_values=value)


def _windows(xp: np.ndarray, kernel, stride, dilation, out_hw):
    """Yield (ky, kx, strided view [N, Ho, Wo, C]) for every kernel tap."""
    (kh, kw), (sh, sw), (dh, dw), (ho, wo) = kernel, stride, dilation, out_hw
    for ky in range(kh):
        for kx in range(kw):
            y0, x0 = ky * dh, kx * dw
            yield ky, kx, xp[:, y0:y0 + (ho - 1) * sh + 1:sh, x0:x0 + (wo - 1) * sw + 1:sw, :]


def _bias(g: Graph, op: Op, cout: int) -> np.ndarray:
    return g.tensors[op.inputs[2]].data.astype(np.int64) if len(op.inputs) > 2 else np.zeros(cout, np.int64)


def conv(g: Graph, op: Op, x: np.ndarray, out_hw=None, pads=None) -> np.ndarray:
    tx, tw, ty = g.tensors[op.inputs[0]], g.tensors[op.inputs[1]], g.tensors[op.outputs[0]]
    a = op.attrs
    out_hw = out_hw or ty.shape[1:3]
    pads = a.pads if pads is None else pads
    xs = _pad_spatial(x.astype(np.float64) - int(tx.zero_point), pads, 0.0)
    cols = np.stack([v for _, _, v in _windows(xs, a.kernel, a.stride, a.dilation, out_hw)], axis=3)
    n, ho, wo = cols.shape[:3]
    w = tw.data.reshape(tw.shape[0], -1).astype(np.float64)          # [Cout, KH*KW*Cin]
    acc = cols.reshape(n * ho * wo, -1) @ w.T                         # exact: |acc| < 2**53
    acc = np.rint(acc).astype(np.int64) + _bias(g, op, tw.shape[0])
    return requant_acc(acc, requant_multiplier(tx, tw, ty), ty).reshape(n, ho, wo, -1)


def depthwise(g: Graph, op: Op, x: np.ndarray, out_hw=None, pads=None) -> np.ndarray:
    tx, tw, ty = g.tensors[op.inputs[0]], g.tensors[op.inputs[1]], g.tensors[op.outputs[0]]
    a = op.attrs
    out_hw = out_hw or ty.shape[1:3]
    pads = a.pads if pads is None else pads
    xs = _pad_spatial(x.astype(np.int32) - int(tx.zero_point), pads, 0)
    w = tw.data.astype(np.int32)                                      # [KH, KW, C]
    acc = np.zeros((x.shape[0], *out_hw, w.shape[2]), np.int64)
    for ky, kx, v in _windows(xs, a.kernel, a.stride, a.dilation, out_hw):
        acc += v * w[ky, kx]
    acc += _bias(g, op, w.shape[2])
    return requant_acc(acc, requant_multiplier(tx, tw, ty), ty)


def fully_connected(g: Graph, op: Op, x: np.ndarray) -> np.ndarray:
    tx, tw, ty = g.tensors[op.inputs[0]], g.tensors[op.inputs[1]], g.tensors[op.outputs[0]]
    xs = x.reshape(x.shape[0], -1).astype(np.float64) - int(tx.zero_point)
    acc = np.rint(xs @ tw.data.astype(np.float64).T).astype(np.int64) + _bias(g, op, tw.shape[0])
    return requant_acc(acc, requant_multiplier(tx, tw, ty), ty)


def add(g: Graph, op: Op, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    ta, tb, ty = (g.tensors[n] for n in (*op.inputs, op.outputs[0]))
    t = dequantize(a, ta.scale, ta.zero_point) + dequantize(b, tb.scale, tb.zero_point)
    return quantize(t, ty.scale, ty.zero_point)


def avgpool(g: Graph, op: Op, x: np.ndarray) -> np.ndarray:
    """Global average: exact integer sum, then mean and quantization in float32."""
    tx, ty = g.tensors[op.inputs[0]], g.tensors[op.outputs[0]]
    count = x.shape[1] * x.shape[2]
    s = (x.astype(np.int64) - int(tx.zero_point)).sum(axis=(1, 2), keepdims=True)
    mean = (s.astype(F32) * F32(tx.scale)) / F32(count)
    return quantize(mean, ty.scale, ty.zero_point).reshape((x.shape[0],) + ty.shape[1:])


def maxpool(g: Graph, op: Op, x: np.ndarray, out_hw=None, pads=None) -> np.ndarray:
    tx, ty = g.tensors[op.inputs[0]], g.tensors[op.outputs[0]]
    a = op.attrs
    out_hw = out_hw or ty.shape[1:3]
    pads = a.pads if pads is None else pads
    xp = _pad_spatial(x, pads, -128)  # -128 never wins over a real element in the window
    out = None
    for _, _, v in _windows(xp, a.kernel, a.stride, (1, 1), out_hw):
        out = v.copy() if out is None else np.maximum(out, v)
    return requant_literal(out, tx, ty)


def pad(g: Graph, op: Op, x: np.ndarray, pads=None) -> np.ndarray:
    tx, ty = g.tensors[op.inputs[0]], g.tensors[op.outputs[0]]
    widths = op.attrs.pads if pads is None else pads
    xp = np.pad(x, ((0, 0),) + tuple(widths[1:]), constant_values=int(tx.zero_point))
    return requant_literal(xp, tx, ty)


def concat(g: Graph, op: Op, *xs: np.ndarray) -> np.ndarray:
    ty = g.tensors[op.outputs[0]]
    parts = [requant_literal(x, g.tensors[n], ty) for x, n in zip(xs, op.inputs)]
    return np.concatenate(parts, axis=op.attrs.axis)


def reshape(g: Graph, op: Op, x: np.ndarray) -> np.ndarray:
    tx, ty = g.tensors[op.inputs[0]], g.tensors[op.outputs[0]]
    return requant_literal(x.reshape((x.shape[0],) + ty.shape[1:]), tx, ty)


def clamp_bounds(ty: Tensor, low: float, high: float) -> tuple[int, int]:
    """The int8 image of the real interval [low, high] under the output's quantization."""
    lo = -128 if np.isinf(low) else int(quantize(np.array(low), ty.scale, ty.zero_point))
    hi = 127 if np.isinf(high) else int(quantize(np.array(high), ty.scale, ty.zero_point))
    return lo, hi


def clamp(g: Graph, op: Op, x: np.ndarray) -> np.ndarray:
    tx, ty = g.tensors[op.inputs[0]], g.tensors[op.outputs[0]]
    lo, hi = clamp_bounds(ty, op.attrs.low, op.attrs.high)
    return np.clip(requant_literal(x, tx, ty), lo, hi).astype(np.int8)


def activation(attrs, x: np.ndarray, channel: int | None = None) -> np.ndarray:
    """ONNX's definition of a LUT op's function, in float32."""
    one, zero = F32(1), F32(0)
    if attrs.func == "Sigmoid":
        return (one / (one + np.exp(-x))).astype(F32)
    if attrs.func == "Tanh":
        return np.tanh(x).astype(F32)
    if attrs.func == "HardSigmoid":
        return np.clip(F32(attrs.alpha) * x + F32(attrs.beta), zero, one).astype(F32)
    if attrs.func == "HardSwish":
        return (x * np.clip(x * F32(1 / 6) + F32(0.5), zero, one)).astype(F32)
    if attrs.func == "LeakyRelu":
        return np.where(x < 0, x * F32(attrs.alpha), x).astype(F32)
    if attrs.func == "PRelu":
        slope = F32(attrs.slope[channel if len(attrs.slope) > 1 else 0])
        return np.where(x < 0, x * slope, x).astype(F32)
    raise ValueError(f"no function {attrs.func!r}")


def lut_table(g: Graph, op: Op) -> np.ndarray:
    """int8 [tables, 256]: table t, entry q + 128 = quantize(f(dequantize(q))), as the QDQ model
    computes it for every one of the 256 inputs (exact by construction); one table per channel for a
    per-channel PRelu, else one."""
    tx, ty = g.tensors[op.inputs[0]], g.tensors[op.outputs[0]]
    x = dequantize(np.arange(-128, 128), tx.scale, tx.zero_point)
    channels = len(op.attrs.slope) if len(op.attrs.slope) > 1 else 1
    return np.stack([quantize(activation(op.attrs, x, c), ty.scale, ty.zero_point) for c in range(channels)])


def lut(g: Graph, op: Op, x: np.ndarray) -> np.ndarray:
    table = lut_table(g, op)
    idx = x.astype(np.int32) + 128
    if len(table) == 1:
        return table[0][idx]
    return table[np.arange(len(table)), idx]   # channels last: broadcast over the last axis


KERNELS: dict[OpKind, Callable[..., np.ndarray]] = {
    OpKind.CONV: conv,
    OpKind.DEPTHWISE: depthwise,
    OpKind.FC: fully_connected,
    OpKind.ADD: add,
    OpKind.AVGPOOL: avgpool,
    OpKind.MAXPOOL: maxpool,
    OpKind.PAD: pad,
    OpKind.CONCAT: concat,
    OpKind.RESHAPE: reshape,
    OpKind.CLAMP: clamp,
    OpKind.LUT: lut,
}


def run_op(g: Graph, op: Op, values: dict[str, np.ndarray]) -> np.ndarray:
    acts = [values[n] for n in op.inputs if not g.tensors[n].is_const]
    return KERNELS[op.kind](g, op, *acts)


def check_quantized(g: Graph) -> None:
    if not g.float_inputs:
        raise ToolkitError(f"graph '{g.name}' is not quantized; run `toolkit quantize` first")


def run_graph(g: Graph, inputs: dict[str, np.ndarray], keep: bool = False) -> dict[str, np.ndarray]:
    """Run the int8 graph per layer. inputs: graph input name -> int8 NHWC [N, ...].

    Returns the graph outputs, or every tensor when keep=True (for op-by-op conformance)."""
    check_quantized(g)
    values = dict(inputs)
    remaining = {n: len(g.consumers(n)) for n in g.tensors}
    for op in g.ops:
        values[op.outputs[0]] = run_op(g, op, values)
        if not keep:
            for n in op.inputs:
                remaining[n] -= 1
                if remaining[n] == 0 and n not in g.outputs:
                    values.pop(n, None)
    return values if keep else {n: values[n] for n in g.outputs}


def quantize_inputs(g: Graph, float_inputs: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Float NCHW model inputs (keyed by ONNX input name) -> int8 IR inputs, as the host sends them."""
    out = {}
    for name, onnx_name in g.float_inputs.items():
        t = g.tensors[name]
        out[name] = to_ir_layout(quantize(float_inputs[onnx_name], t.scale, t.zero_point), t.layout)
    return out
