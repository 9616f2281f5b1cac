"""Ops the engine runs as one elementwise requantize-and-clamp pass (eng_requant_s8), in place:
reshapes that keep the bytes (Reshape, Flatten, layout-only Transpose, Squeeze, Unsqueeze) and
Relu / Clip left as separate ops."""
from __future__ import annotations

import numpy as np
import onnx

from toolkit import qmath
from toolkit.codegen.params import OpData, qparam, struct
from toolkit.errors import UnsupportedModelError
from toolkit.ir import ClampAttrs, Graph, Layout, Op, OpKind
from toolkit.ops.convert import NCHW_TO_NHWC, Context
from toolkit.ops.spec import InPlace, OpSpec, elementwise


def convert_reshape(ctx: Context, node: onnx.NodeProto) -> Op:
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


def reshape(g: Graph, op: Op, x: np.ndarray) -> np.ndarray:
    tx, ty = g.tensors[op.inputs[0]], g.tensors[op.outputs[0]]
    return qmath.requant_literal(x.reshape((x.shape[0],) + ty.shape[1:]), tx, ty)


def convert_clamp(ctx: Context, node: onnx.NodeProto) -> Op:
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


def clamp(g: Graph, op: Op, x: np.ndarray) -> np.ndarray:
    tx, ty = g.tensors[op.inputs[0]], g.tensors[op.outputs[0]]
    lo, hi = qmath.clamp_bounds(ty, op.attrs.low, op.attrs.high)
    return np.clip(qmath.requant_literal(x, tx, ty), lo, hi).astype(np.int8)


def c_data(g: Graph, op: Op, sym: str) -> OpData:
    x, y = g.tensors[op.inputs[0]], g.tensors[op.outputs[0]]
    lo, hi = (qmath.clamp_bounds(y, op.attrs.low, op.attrs.high) if op.kind == OpKind.CLAMP else (-128, 127))
    return struct("eng_requant_params", sym, {"input": qparam(x), "output": qparam(y), "act_min": lo,
                                              "act_max": hi})


RESHAPE = OpSpec(OpKind.RESHAPE, {t: convert_reshape for t in ("Reshape", "Flatten", "Transpose", "Squeeze",
                                                              "Unsqueeze")},
                 reshape, "ENG_OP_REQUANT", c_data, in_place=InPlace.ALWAYS, paper_in_place=True, alias_safe=True)
CLAMP = OpSpec(OpKind.CLAMP, {"Relu": convert_clamp, "Clip": convert_clamp}, clamp, "ENG_OP_REQUANT", c_data,
               window=elementwise, in_place=InPlace.ALWAYS, paper_in_place=True, alias_safe=True)
