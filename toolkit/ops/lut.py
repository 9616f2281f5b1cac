"""Elementwise functions of one tensor as 256-entry tables: the activations Sigmoid, Tanh, HardSigmoid,
HardSwish, LeakyRelu and per-channel PRelu, Add/Sub/Mul/Div with a constant (ops/arith.py) and a
BatchNormalization left standalone. The table is the QDQ model's own arithmetic (dequantize -> f in float32 ->
quantize) over all 256 int8 inputs, so the op is exact by construction."""
from __future__ import annotations

import numpy as np
import onnx

from toolkit import qmath
from toolkit.codegen.cformat import c_array
from toolkit.codegen.params import OpData, struct
from toolkit.errors import UnsupportedModelError
from toolkit.ir import Graph, Layout, LutAttrs, Op, OpKind
from toolkit.ops.convert import Context
from toolkit.ops.spec import InPlace, OpSpec, elementwise

F32 = qmath.F32
DEFAULTS = {"Sigmoid": (0.0, 0.0), "Tanh": (0.0, 0.0), "HardSigmoid": (0.2, 0.5), "HardSwish": (0.0, 0.0),
            "LeakyRelu": (0.01, 0.0), "PRelu": (0.0, 0.0)}   # ONNX's default alpha, beta


def convert(ctx: Context, node: onnx.NodeProto) -> Op:
    x = ctx.activation(node.input[0])
    alpha, beta = DEFAULTS[node.op_type]
    slope: tuple[float, ...] = ()
    if node.op_type == "PRelu":
        real = ctx.real(node.input[1], node)
        values = real.ravel()
        channels = x.shape[-1] if x.layout == Layout.SPATIAL else 1
        if values.size not in (1, channels):
            raise UnsupportedModelError(f"node '{node.name}' (PRelu): the slope must be one value or one per "
                                        f"channel, got shape {list(real.shape)}")
        slope = tuple(float(v) for v in values)
    attrs = LutAttrs(node.op_type, float(ctx.attr(node, "alpha", alpha)), float(ctx.attr(node, "beta", beta)), slope)
    return Op(node.name, OpKind.LUT, [x.name], [ctx.output(node, x.layout)], attrs, node.name)


def convert_batchnorm(ctx: Context, node: onnx.NodeProto) -> Op:
    """A BatchNormalization the clean-up could not fuse (no conv before it) is a per-channel affine
    function: a table per channel, with onnxruntime's float32 arithmetic (batch_norm.h): inv_std =
    1 / sqrt(var + epsilon), new_scale = inv_std * scale, new_bias = B - mean * new_scale."""
    x = ctx.activation(node.input[0])
    if x.layout != Layout.SPATIAL or len(x.shape) != 4 or len(node.output) > 1:
        raise UnsupportedModelError(f"node '{node.name}' (BatchNormalization): only inference on a NCHW "
                                    f"feature map is supported")
    scale, bias, mean, var = (ctx.real(n, node).ravel() for n in node.input[1:5])
    inv_std = (F32(1) / np.sqrt(var + F32(ctx.attr(node, "epsilon", 1e-5)))).astype(F32)
    new_scale = (inv_std * scale).astype(F32)
    new_bias = (bias - mean * new_scale).astype(F32)
    attrs = LutAttrs("BatchNormalization", values=tuple(map(float, new_scale)), offsets=tuple(map(float, new_bias)))
    return Op(node.name, OpKind.LUT, [x.name], [ctx.output(node, x.layout)], attrs, node.name)


def activation(attrs: LutAttrs, x: np.ndarray, channel: int | None = None) -> np.ndarray:
    """ONNX's definition of a LUT op's function, in float32."""
    one, zero = F32(1), F32(0)
    if attrs.func == "Sigmoid":
        with np.errstate(over="ignore"):   # exp(-x) = inf for very negative x: 1 / inf = 0, as in float32
            return (one / (one + np.exp(-x))).astype(F32)
    if attrs.func == "Tanh":
        return np.tanh(x).astype(F32)
    if attrs.func == "HardSigmoid":
        return np.clip(F32(attrs.alpha) * x + F32(attrs.beta), zero, one).astype(F32)
    if attrs.func == "HardSwish":
        return (x * np.clip(x * F32(1 / 6) + F32(0.5), zero, one)).astype(F32)
    if attrs.func == "LeakyRelu":
        return np.where(x < 0, x * F32(attrs.alpha), x).astype(F32)
    v = F32(attrs.values[channel if len(attrs.values) > 1 else 0]) if attrs.values else None
    if attrs.func == "PRelu":
        return np.where(x < 0, x * v, x).astype(F32)
    if attrs.func == "BatchNormalization":   # onnxruntime's: x * new_scale + new_bias
        return (x * v + F32(attrs.offsets[channel if len(attrs.offsets) > 1 else 0])).astype(F32)
    if attrs.func == "Add":
        return (x + v).astype(F32)
    if attrs.func == "Sub":
        return (v - x if attrs.reverse else x - v).astype(F32)
    if attrs.func == "Mul":
        return (x * v).astype(F32)
    if attrs.func == "Div":
        with np.errstate(divide="ignore", invalid="ignore"):
            return (v / x if attrs.reverse else x / v).astype(F32)
    raise ValueError(f"no function {attrs.func!r}")


def lut_table(g: Graph, op: Op) -> np.ndarray:
    """int8 [tables, 256]: table t, entry q + 128 = quantize(f(dequantize(q))), as the QDQ model
    computes it for every one of the 256 inputs; one table per channel for a per-channel PRelu, else one."""
    tx, ty = g.tensors[op.inputs[0]], g.tensors[op.outputs[0]]
    x = qmath.dequantize(np.arange(-128, 128), tx.scale, tx.zero_point)
    channels = len(op.attrs.values) if len(op.attrs.values) > 1 else 1
    return np.stack([qmath.quantize(activation(op.attrs, x, c), ty.scale, ty.zero_point) for c in range(channels)])


def lut(g: Graph, op: Op, x: np.ndarray) -> np.ndarray:
    table = lut_table(g, op)
    idx = x.astype(np.int32) + 128
    if len(table) == 1:
        return table[0][idx]
    return table[np.arange(len(table)), idx]   # channels last: broadcast over the last axis


def c_data(g: Graph, op: Op, sym: str) -> OpData:
    table = lut_table(g, op)
    text = c_array("int8_t", f"{sym}_table", table.ravel(), align=4)
    params = struct("eng_lut_params", sym, {"table": f"{sym}_table", "tables": len(table)})
    return OpData(text + params.text, params.params)


LUT = OpSpec(OpKind.LUT, {**{t: convert for t in DEFAULTS}, "BatchNormalization": convert_batchnorm}, lut, "ENG_OP_LUT", c_data, window=elementwise,
             in_place=InPlace.ALWAYS, paper_in_place=True, alias_safe=True, quantize_types=tuple(DEFAULTS))
