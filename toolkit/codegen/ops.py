"""Per-op data: weights, bias, multipliers and the kernel parameter struct, rendered as C.

All preparation happens here (the CMSIS-NN/TFLM "Prepare" step): input offsets, per-channel
float32 multipliers, clamp bounds, concat offsets. The C side only computes.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from toolkit import golden
from toolkit.errors import UnsupportedModelError
from toolkit.ir import Graph, Layout, Op, OpKind, Tensor
from toolkit.codegen.cformat import c_array, c_float, c_init, c_pads

C_KIND = {OpKind.CONV: "ENG_OP_CONV", OpKind.DEPTHWISE: "ENG_OP_DEPTHWISE", OpKind.FC: "ENG_OP_FC",
          OpKind.ADD: "ENG_OP_ADD", OpKind.MAXPOOL: "ENG_OP_MAXPOOL", OpKind.AVGPOOL: "ENG_OP_AVGPOOL",
          OpKind.PAD: "ENG_OP_PAD", OpKind.CONCAT: "ENG_OP_CONCAT", OpKind.RESHAPE: "ENG_OP_REQUANT",
          OpKind.CLAMP: "ENG_OP_REQUANT", OpKind.LUT: "ENG_OP_LUT"}

# Kernels that may write their output over their input at the same address (elementwise).
ALIAS_SAFE = frozenset({OpKind.ADD, OpKind.RESHAPE, OpKind.CLAMP, OpKind.LUT})
# Ops with an in-place kernel that may write over its input when the two start a whole number of
# pixels apart (NHWC, same channel count): depthwise through eng_depthwise_inplace_s8, which saves one
# channel plane at a time in its scratch. Used where the plan aliased the op (and gave it that scratch).
ALIAS_SAFE_PIXELS = {OpKind.DEPTHWISE: "ENG_OP_DEPTHWISE_INPLACE"}


@dataclass
class OpData:
    """The C text of one op's constant data and the symbols the op table refers to."""
    text: str
    params: str          # symbol of the params struct (or array, for concat)
    filter: str = "0"
    bias: str = "0"


def spatial(t: Tensor) -> bool:
    return t.layout == Layout.SPATIAL and len(t.shape) == 4


def view(t: Tensor) -> tuple[int, int, int]:
    """(h, w, c) the kernels see: the NHWC map, or a flat 1 x 1 x size vector."""
    return tuple(int(v) for v in t.shape[1:4]) if spatial(t) else (1, 1, t.size)


def qparam(t: Tensor) -> str:
    return c_init({"zero_point": int(t.zero_point), "scale": c_float(t.scale)})


def _weights(g: Graph, op: Op, sym: str) -> tuple[str, str, str, str]:
    """(text, filter symbol, bias symbol, multiplier symbol) of a conv/depthwise/fc op."""
    tx, tw, ty = g.tensors[op.inputs[0]], g.tensors[op.inputs[1]], g.tensors[op.outputs[0]]
    mult = golden.requant_multiplier(tx, tw, ty)
    text = c_array("int8_t", f"{sym}_filter", tw.data.astype(np.int8).ravel(), align=4)
    bias = "0"
    if len(op.inputs) > 2:
        text += c_array("int32_t", f"{sym}_bias", g.tensors[op.inputs[2]].data.astype(np.int32).ravel(), per_line=8)
        bias = f"{sym}_bias"
    text += c_array("float", f"{sym}_multiplier", mult.ravel(), per_line=4, fmt=c_float)
    return text, f"{sym}_filter", bias, f"{sym}_multiplier"


def conv_data(g: Graph, op: Op, sym: str) -> OpData:
    text, filt, bias, mult = _weights(g, op, sym)
    tx, ty, a = g.tensors[op.inputs[0]], g.tensors[op.outputs[0]], op.attrs
    p = c_init({"kernel_h": a.kernel[0], "kernel_w": a.kernel[1], "stride_h": a.stride[0],
                "stride_w": a.stride[1], "dilation_h": a.dilation[0], "dilation_w": a.dilation[1],
                "pads": c_pads(a.pads), "input_offset": -int(tx.zero_point),
                "output_zero_point": int(ty.zero_point), "act_min": -128, "act_max": 127,
                "multiplier": mult})
    text += f"static const eng_conv_params {sym}_params = {p};\n"
    return OpData(text, f"&{sym}_params", filt, bias)


def fc_data(g: Graph, op: Op, sym: str) -> OpData:
    text, filt, bias, mult = _weights(g, op, sym)
    tx, ty = g.tensors[op.inputs[0]], g.tensors[op.outputs[0]]
    p = c_init({"input_offset": -int(tx.zero_point), "output_zero_point": int(ty.zero_point),
                "act_min": -128, "act_max": 127, "multiplier": mult})
    text += f"static const eng_fc_params {sym}_params = {p};\n"
    return OpData(text, f"&{sym}_params", filt, bias)


def _struct(ctype: str, sym: str, fields: dict) -> OpData:
    return OpData(f"static const {ctype} {sym}_params = {c_init(fields)};\n", f"&{sym}_params")


def add_data(g: Graph, op: Op, sym: str) -> OpData:
    a, b, y = (g.tensors[n] for n in (*op.inputs, op.outputs[0]))
    return _struct("eng_add_params", sym, {"input1": qparam(a), "input2": qparam(b), "output": qparam(y)})


def maxpool_data(g: Graph, op: Op, sym: str) -> OpData:
    x, y, a = g.tensors[op.inputs[0]], g.tensors[op.outputs[0]], op.attrs
    return _struct("eng_maxpool_params", sym, {
        "kernel_h": a.kernel[0], "kernel_w": a.kernel[1], "stride_h": a.stride[0], "stride_w": a.stride[1],
        "pads": c_pads(a.pads), "input": qparam(x), "output": qparam(y)})


def avgpool_data(g: Graph, op: Op, sym: str) -> OpData:
    x, y = g.tensors[op.inputs[0]], g.tensors[op.outputs[0]]
    return _struct("eng_avgpool_params", sym, {"input": qparam(x), "output": qparam(y)})


def pad_data(g: Graph, op: Op, sym: str) -> OpData:
    x, y, w = g.tensors[op.inputs[0]], g.tensors[op.outputs[0]], op.attrs.pads
    if not spatial(x) or any(w[0]):
        raise UnsupportedModelError(f"{op.name}: only NHWC spatial/channel padding is supported by the engine")
    return _struct("eng_pad_params", sym, {
        "pads": c_pads((w[1][0], w[2][0], w[1][1], w[2][1])), "channels_before": w[3][0],
        "channels_after": w[3][1], "input": qparam(x), "output": qparam(y)})


def requant_data(g: Graph, op: Op, sym: str) -> OpData:
    x, y = g.tensors[op.inputs[0]], g.tensors[op.outputs[0]]
    lo, hi = (golden.clamp_bounds(y, op.attrs.low, op.attrs.high) if op.kind == OpKind.CLAMP else (-128, 127))
    return _struct("eng_requant_params", sym, {"input": qparam(x), "output": qparam(y), "act_min": lo,
                                               "act_max": hi})


def lut_data(g: Graph, op: Op, sym: str) -> OpData:
    table = golden.lut_table(g, op)
    text = c_array("int8_t", f"{sym}_table", table.ravel(), align=4)
    params = _struct("eng_lut_params", sym, {"table": f"{sym}_table", "tables": len(table)})
    return OpData(text + params.text, params.params)


def concat_views(g: Graph, op: Op) -> tuple[int, list[tuple[int, int, int]], tuple[int, int, int]]:
    """(kernel axis, input views, output view) for eng_concat_s8 (see engine_kernels.h)."""
    y = g.tensors[op.outputs[0]]
    xs = [g.tensors[n] for n in op.inputs]
    a = op.attrs.axis
    if spatial(y) and all(spatial(x) for x in xs):
        return a - 1, [view(x) for x in xs], view(y)

    def raw(t: Tensor) -> tuple[int, int, int]:
        s = t.shape
        return int(np.prod(s[:a], dtype=np.int64)), int(s[a]), int(np.prod(s[a + 1:], dtype=np.int64))
    return 1, [raw(x) for x in xs], raw(y)


def concat_data(g: Graph, op: Op, sym: str) -> OpData:
    axis, ins, _ = concat_views(g, op)
    y = g.tensors[op.outputs[0]]
    parts, offset = [], 0
    for name, v in zip(op.inputs, ins):
        parts.append(c_init({"axis": axis, "offset": offset, "input": qparam(g.tensors[name]),
                             "output": qparam(y)}))
        offset += v[axis]
    body = ",\n".join("    " + p for p in parts)
    return OpData(f"static const eng_concat_params {sym}_params[{len(parts)}] = {{\n{body}\n}};\n", f"{sym}_params")


OP_DATA = {OpKind.CONV: conv_data, OpKind.DEPTHWISE: conv_data, OpKind.FC: fc_data, OpKind.ADD: add_data,
           OpKind.MAXPOOL: maxpool_data, OpKind.AVGPOOL: avgpool_data, OpKind.PAD: pad_data,
           OpKind.CONCAT: concat_data, OpKind.RESHAPE: requant_data, OpKind.CLAMP: requant_data,
           OpKind.LUT: lut_data}


def op_data(g: Graph, op: Op, sym: str) -> OpData:
    try:
        return OP_DATA[op.kind](g, op, sym)
    except KeyError:
        raise UnsupportedModelError(f"{op.name}: no C kernel for op kind {op.kind.value}") from None


def io_views(g: Graph, op: Op) -> tuple[list[tuple[int, int, int]], tuple[int, int, int]]:
    """The (h, w, c) views of an op's activation inputs and its output, as its kernel takes them."""
    if op.kind == OpKind.CONCAT:
        _, ins, out = concat_views(g, op)
        return ins, out
    ins = [view(t) for t in g.activations(op)]
    return ins, view(g.tensors[op.outputs[0]])
