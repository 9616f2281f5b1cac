"""The int8 arithmetic every op shares (see docs/arithmetic.md), as the ONNX QDQ model defines it.

- QuantizeLinear is rint(x / scale) + zero_point in float32, rint rounding half to even (C: lrintf);
  DequantizeLinear is float32(q - zero_point) * scale.
- conv / depthwise / fc accumulate exactly in integers and requantize in float32 with a per-channel
  multiplier m[c] = f32(f32(sx * sw[c]) / sy). Why float32 and not a fixed-point multiplier: it is the
  arithmetic of the model we compare with (onnxruntime's literal QDQ execution), the Cortex-M7 has a
  single-precision FPU (one VMUL, one VCVTR per output), and it keeps the engine's outputs within
  rounding ties of onnxruntime's.
- Every other op follows the literal DequantizeLinear -> float op -> QuantizeLinear sequence in
  float32 (or a table of it over the 256 inputs).
"""
from __future__ import annotations

import numpy as np

from toolkit.ir import Graph, Op, Tensor

F32 = np.float32


def saturate(y: np.ndarray) -> np.ndarray:
    return np.clip(y, -128, 127).astype(np.int8)


def quantize(x: np.ndarray, scale, zero_point) -> np.ndarray:
    """QuantizeLinear: rint(x / scale) + zero_point, saturated to int8 (float32 arithmetic)."""
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        q = np.rint(x.astype(F32) / F32(scale))
    return saturate(np.clip(q, -2.0**31, 2.0**31).astype(np.int64) + int(zero_point))  # +-inf saturate


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


def clamp_bounds(ty: Tensor, low: float, high: float) -> tuple[int, int]:
    """The int8 image of the real interval [low, high] under the output's quantization."""
    lo = -128 if np.isinf(low) else int(quantize(np.array(low), ty.scale, ty.zero_point))
    hi = 127 if np.isinf(high) else int(quantize(np.array(high), ty.scale, ty.zero_point))
    return lo, hi


def pad_spatial(xs: np.ndarray, pads, value) -> np.ndarray:
    top, left, bottom, right = pads
    return np.pad(xs, ((0, 0), (top, bottom), (left, right), (0, 0)), constant_values=value)


def windows(xp: np.ndarray, kernel, stride, dilation, out_hw):
    """Yield (ky, kx, strided view [N, Ho, Wo, C]) for every kernel tap."""
    (kh, kw), (sh, sw), (dh, dw), (ho, wo) = kernel, stride, dilation, out_hw
    for ky in range(kh):
        for kx in range(kw):
            y0, x0 = ky * dh, kx * dw
            yield ky, kx, xp[:, y0:y0 + (ho - 1) * sh + 1:sh, x0:x0 + (wo - 1) * sw + 1:sw, :]


def bias(g: Graph, op: Op, cout: int) -> np.ndarray:
    return g.tensors[op.inputs[2]].data.astype(np.int64) if len(op.inputs) > 2 else np.zeros(cout, np.int64)
