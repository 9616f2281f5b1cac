"""Constant zero padding (Pad with value 0), spatial or on channels."""
from __future__ import annotations

import numpy as np
import onnx

from toolkit import qmath
from toolkit.codegen.cformat import c_pads
from toolkit.codegen.params import OpData, qparam, spatial, struct
from toolkit.errors import UnsupportedModelError
from toolkit.ir import Graph, Layout, Op, OpKind, PadAttrs
from toolkit.ops.convert import NCHW_TO_NHWC, Context
from toolkit.ops.spec import OpSpec, Window


def convert(ctx: Context, node: onnx.NodeProto) -> Op:
    x = ctx.activation(node.input[0])
    mode = ctx.text(node, "mode", "constant")
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


def pad(g: Graph, op: Op, x: np.ndarray, pads=None) -> np.ndarray:
    tx, ty = g.tensors[op.inputs[0]], g.tensors[op.outputs[0]]
    widths = op.attrs.pads if pads is None else pads
    xp = np.pad(x, ((0, 0),) + tuple(widths[1:]), constant_values=int(tx.zero_point))
    return qmath.requant_literal(xp, tx, ty)


def tile(g: Graph, op: Op, xs, out_hw, pads) -> np.ndarray:
    """On a tile the spatial padding is the tile's border padding; the channel padding is the op's."""
    top, left, bottom, right = pads
    return pad(g, op, xs[0], pads=((0, 0), (top, bottom), (left, right), tuple(op.attrs.pads[3])))


def window(op: Op, axis: int) -> Window:
    return Window(1, 1, 1, op.attrs.pads[axis][0])


def c_data(g: Graph, op: Op, sym: str) -> OpData:
    x, y, w = g.tensors[op.inputs[0]], g.tensors[op.outputs[0]], op.attrs.pads
    if not spatial(x) or any(w[0]):
        raise UnsupportedModelError(f"{op.name}: only NHWC spatial/channel padding is supported by the engine")
    return struct("eng_pad_params", sym, {
        "pads": c_pads((w[1][0], w[2][0], w[1][1], w[2][1])), "channels_before": w[3][0],
        "channels_after": w[3][1], "input": qparam(x), "output": qparam(y)})


PAD = OpSpec(OpKind.PAD, {"Pad": convert}, pad, "ENG_OP_PAD", c_data, window=window, tile_golden=tile)
