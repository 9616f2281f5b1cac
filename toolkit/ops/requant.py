"""Ops the engine runs as one elementwise requantize-and-clamp pass (eng_requant_s8), in place:
reshapes that keep the bytes (Reshape, Flatten, layout-only Transpose, Squeeze, Unsqueeze) and
Relu / Clip left as separate ops; and the reshapes that move data (a Transpose of data axes, the
flattening of a feature map in NCHW order), run by eng_transpose_s8 into a separate buffer."""
from __future__ import annotations

import numpy as np
import onnx

from toolkit import qmath
from toolkit.codegen.params import OpData, qparam, struct
from toolkit.errors import UnsupportedModelError
from toolkit.ir import ClampAttrs, Graph, Layout, Op, OpKind, Tensor, TransposeAttrs
from toolkit.ops.convert import NCHW_TO_NHWC, Context
from toolkit.ops.spec import InPlace, OpSpec, elementwise


def convert_reshape(ctx: Context, node: onnx.NodeProto) -> Op:
    """A reshape keeps the bytes (RESHAPE) unless it reads a feature map in NCHW order or permutes axes
    that hold data: then it moves data (TRANSPOSE: the IR axes permuted, then reshaped)."""
    x = ctx.activation(node.input[0])
    out_layout, perm = Layout.RAW, None
    spatial_in = x.layout == Layout.SPATIAL and len(x.shape) == 4
    if node.op_type == "Transpose":
        onnx_perm = tuple(ctx.attr(node, "perm") or reversed(range(len(x.shape))))
        if spatial_in and onnx_perm == NCHW_TO_NHWC:
            pass  # NCHW -> NHWC: the bytes are already NHWC
        elif x.layout == Layout.RAW and onnx_perm == (0, 3, 1, 2) and len(x.shape) == 4:
            out_layout = Layout.SPATIAL  # NHWC -> NCHW: same bytes, now a feature map
        else:   # ONNX axis i of the input is IR axis NCHW_TO_NHWC.index(i) of a map, axis i otherwise
            perm = tuple(NCHW_TO_NHWC.index(i) if spatial_in else i for i in onnx_perm)
            if onnx_perm[0] != 0:
                raise UnsupportedModelError(f"node '{node.name}' (Transpose): permutation {list(onnx_perm)} moves "
                                            f"the batch axis")
    elif spatial_in and x.shape[1] * x.shape[2] != 1 and x.shape[3] != 1:
        perm = (0, 3, 1, 2)   # flattening a map reads it in NCHW order
    kind = OpKind.RESHAPE if perm is None else OpKind.TRANSPOSE
    return Op(node.name, kind, [x.name], [ctx.output(node, out_layout)],
              None if perm is None else TransposeAttrs(perm), node.name)


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


def transpose(g: Graph, op: Op, x: np.ndarray) -> np.ndarray:
    tx, ty = g.tensors[op.inputs[0]], g.tensors[op.outputs[0]]
    moved = np.ascontiguousarray(x.transpose(op.attrs.perm)).reshape((x.shape[0],) + ty.shape[1:])
    return qmath.requant_literal(moved, tx, ty)


def transpose_views(g: Graph, op: Op):
    """The input as its three data axes (batch dropped, leading 1s added); the output flat."""
    x, y = g.tensors[op.inputs[0]], g.tensors[op.outputs[0]]
    dims = (1,) * (4 - len(x.shape)) + tuple(int(d) for d in x.shape[1:])
    return [dims[-3:]], (1, 1, y.size)


def view_perm(x: Tensor, op: Op) -> list[int]:
    """The op's permutation over the input's 3-D view (transpose_views: batch dropped, leading 1s first)."""
    pad = 4 - len(x.shape)
    return list(range(pad)) + [p - 1 + pad for p in op.attrs.perm[1:]]


def transpose_data(g: Graph, op: Op, sym: str) -> OpData:
    x, y = g.tensors[op.inputs[0]], g.tensors[op.outputs[0]]
    if len(x.shape) > 4:
        raise UnsupportedModelError(f"{op.name}: the engine transposes tensors of rank 4 at most")
    return struct("eng_transpose_params", sym, {"perm": "{" + ", ".join(map(str, view_perm(x, op))) + "}",
                                                "input": qparam(x), "output": qparam(y)})


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
TRANSPOSE = OpSpec(OpKind.TRANSPOSE, {}, transpose, "ENG_OP_TRANSPOSE", transpose_data, io_views=transpose_views)
CLAMP = OpSpec(OpKind.CLAMP, {"Relu": convert_clamp, "Clip": convert_clamp}, clamp, "ENG_OP_REQUANT", c_data,
               window=elementwise, in_place=InPlace.ALWAYS, paper_in_place=True, alias_safe=True)
