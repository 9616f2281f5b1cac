"""What an op's C data packer works with: the OpData it returns and the helpers packers share.

All preparation happens in the packers (the CMSIS-NN/TFLM "Prepare" step): input offsets, per-channel
float32 multipliers, clamp bounds, tables. The C side only computes.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from toolkit import qmath
from toolkit.codegen.cformat import c_array, c_float, c_init
from toolkit.ir import Graph, Layout, Op, Tensor


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


def pixel_views(g: Graph, op: Op):
    """io_views of an op over the last axis: every tensor as 1 x (size / C) x C, whatever its rank."""
    def v(t: Tensor) -> tuple[int, int, int]:
        return (1, t.size // int(t.shape[-1]), int(t.shape[-1]))
    return [v(g.tensors[n]) for n in op.inputs if not g.tensors[n].is_const], v(g.tensors[op.outputs[0]])


def qparam(t: Tensor) -> str:
    return c_init({"zero_point": int(t.zero_point), "scale": c_float(t.scale)})


def struct(ctype: str, sym: str, fields: dict) -> OpData:
    return OpData(f"static const {ctype} {sym}_params = {c_init(fields)};\n", f"&{sym}_params")


def weights(g: Graph, op: Op, sym: str, bias_values: np.ndarray | None = None) -> tuple[str, str, str, str]:
    """(text, filter symbol, bias symbol, multiplier symbol) of a conv/depthwise/fc op; `bias_values`
    replaces the op's bias (int32, one per output channel)."""
    tx, tw, ty = g.tensors[op.inputs[0]], g.tensors[op.inputs[1]], g.tensors[op.outputs[0]]
    # one multiplier per output channel, also for weights quantized per tensor
    mult = np.broadcast_to(qmath.requant_multiplier(tx, tw, ty), (int(ty.shape[-1]),))
    text = c_array("int8_t", f"{sym}_filter", tw.data.astype(np.int8).ravel(), align=4)
    bias = "0"
    if bias_values is None and len(op.inputs) > 2:
        bias_values = g.tensors[op.inputs[2]].data
    if bias_values is not None:
        text += c_array("int32_t", f"{sym}_bias", np.asarray(bias_values).astype(np.int32).ravel(), per_line=8)
        bias = f"{sym}_bias"
    text += c_array("float", f"{sym}_multiplier", mult.ravel(), per_line=4, fmt=c_float)
    return text, f"{sym}_filter", bias, f"{sym}_multiplier"
