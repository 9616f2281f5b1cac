"""Concat of int8 tensors along one axis, each input requantized to the output's parameters."""
from __future__ import annotations

import numpy as np
import onnx

from toolkit import qmath
from toolkit.codegen.cformat import c_init
from toolkit.codegen.params import OpData, qparam, spatial, view
from toolkit.errors import UnsupportedModelError
from toolkit.ir import ConcatAttrs, Graph, Layout, Op, OpKind, Tensor
from toolkit.ops.convert import NCHW_TO_NHWC, Context
from toolkit.ops.spec import OpSpec, elementwise


def convert(ctx: Context, node: onnx.NodeProto) -> Op:
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


def concat(g: Graph, op: Op, *xs: np.ndarray) -> np.ndarray:
    ty = g.tensors[op.outputs[0]]
    parts = [qmath.requant_literal(x, g.tensors[n], ty) for x, n in zip(xs, op.inputs)]
    return np.concatenate(parts, axis=op.attrs.axis)


def channels_only(graph: Graph, op: Op) -> str | None:
    if op.attrs.axis != 3:
        return f"{op.name} concatenates along axis {op.attrs.axis}, not channels"
    return None


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


def io_views(g: Graph, op: Op):
    _, ins, out = concat_views(g, op)
    return ins, out


def c_data(g: Graph, op: Op, sym: str) -> OpData:
    axis, ins, _ = concat_views(g, op)
    y = g.tensors[op.outputs[0]]
    parts, offset = [], 0
    for name, v in zip(op.inputs, ins):
        parts.append(c_init({"axis": axis, "offset": offset, "input": qparam(g.tensors[name]),
                             "output": qparam(y)}))
        offset += v[axis]
    body = ",\n".join("    " + p for p in parts)
    return OpData(f"static const eng_concat_params {sym}_params[{len(parts)}] = {{\n{body}\n}};\n", f"{sym}_params")


CONCAT = OpSpec(OpKind.CONCAT, {"Concat": convert}, concat, "ENG_OP_CONCAT", c_data, window=elementwise,
                local_check=channels_only, io_views=io_views)
