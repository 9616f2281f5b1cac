"""A range of channels: ONNX Slice on the channel axis (the last IR axis), and Split on it, which the
converter turns into one slice per output. Requantized when the output's parameters differ."""
from __future__ import annotations

import numpy as np
import onnx

from toolkit import qmath
from toolkit.codegen.params import OpData, pixel_views, qparam, struct
from toolkit.errors import UnsupportedModelError
from toolkit.ir import Graph, Op, OpKind, SliceAttrs
from toolkit.ops.convert import Context, onnx_channel_axis
from toolkit.ops.spec import OpSpec, elementwise


def _ints(ctx: Context, node: onnx.NodeProto, i: int, default=None):
    if len(node.input) > i and node.input[i]:
        return [int(v) for v in np.asarray(ctx.const(node.input[i], node)).ravel()]
    return default


def convert_slice(ctx: Context, node: onnx.NodeProto) -> Op:
    x = ctx.activation(node.input[0])
    rank, axis_c = len(x.shape), onnx_channel_axis(x)
    starts, ends = _ints(ctx, node, 1), _ints(ctx, node, 2)
    axes = _ints(ctx, node, 3, list(range(len(starts))))
    steps = _ints(ctx, node, 4, [1] * len(starts))
    onnx_shape = ctx.shapes[node.input[0]]
    channel = None
    for start, end, axis, step in zip(starts, ends, axes, steps):
        axis %= rank
        rng = range(*slice(start, end, step).indices(onnx_shape[axis]))
        if len(rng) == onnx_shape[axis] and step == 1:
            continue   # the whole axis
        if axis != axis_c or step < 1:
            raise UnsupportedModelError(
                f"node '{node.name}' (Slice): only slicing channels (axis {axis_c}) with a positive step is "
                f"supported, got axis {axis} [{start}:{end}:{step}] of shape {list(onnx_shape)}")
        channel = SliceAttrs(rng.start, rng.stop, step)
    channel = channel or SliceAttrs(0, x.shape[-1])
    return Op(node.name, OpKind.SLICE, [x.name], [ctx.output(node, x.layout)], channel, node.name)


def convert_split(ctx: Context, node: onnx.NodeProto) -> list[Op]:
    x = ctx.activation(node.input[0])
    axis = ctx.attr(node, "axis", 0) % len(x.shape)
    if axis != onnx_channel_axis(x):
        raise UnsupportedModelError(f"node '{node.name}' (Split): only splitting channels (axis "
                                    f"{onnx_channel_axis(x)}) is supported, got axis {axis}")
    sizes = ctx.attr(node, "split") or _ints(ctx, node, 1)
    c = x.shape[-1]
    if not sizes:
        n = len(node.output)
        sizes = [-(-c // n)] * (n - 1) + [c - -(-c // n) * (n - 1)]
    ops, start = [], 0
    for i, size in enumerate(sizes):
        ops.append(Op(f"{node.name}:{i}", OpKind.SLICE, [x.name], [ctx.output(node, x.layout, i)],
                      SliceAttrs(start, start + size), node.name))
        start += size
    return ops


def slice_channels(g: Graph, op: Op, x: np.ndarray) -> np.ndarray:
    tx, ty, a = g.tensors[op.inputs[0]], g.tensors[op.outputs[0]], op.attrs
    return qmath.requant_literal(x[..., a.start:a.stop:a.step], tx, ty)


def c_data(g: Graph, op: Op, sym: str) -> OpData:
    tx, ty, a = g.tensors[op.inputs[0]], g.tensors[op.outputs[0]], op.attrs
    return struct("eng_slice_params", sym, {"start": a.start, "step": a.step, "input": qparam(tx),
                                            "output": qparam(ty)})


SLICE = OpSpec(OpKind.SLICE, {"Slice": convert_slice, "Split": convert_split}, slice_channels, "ENG_OP_SLICE",
               c_data, window=elementwise, io_views=pixel_views)
