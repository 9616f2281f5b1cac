"""Add, Sub, Mul and Div: one converter for the four ONNX ops, three ways to run them.

- With a constant operand (a scalar, or one value per channel: a bias or scale folded in by hand,
  x / 6 in a hand-written hard swish), the op is a function of one tensor: a LUT op (ops/lut.py), with
  a table per channel, exact by construction and as fast as an activation.
- Two feature maps of the same shape: Add (a residual connection) or Mul (x * relu6(x + 3) in a
  hand-written hard swish), elementwise in float32 as the QDQ model computes them.
- Mul of a feature map by a per-channel vector [1, C, 1, 1] of another branch: the scale of a
  squeeze-and-excitation block. It needs the whole vector, which needs the whole map before it, so a
  patch stage ends before it (no window).
Sub or Div of two feature maps and other broadcasts are refused with the shapes named.
"""
from __future__ import annotations

import numpy as np
import onnx

from toolkit import qmath
from toolkit.codegen.params import OpData, qparam, struct
from toolkit.errors import UnsupportedModelError
from toolkit.ir import Graph, Layout, LutAttrs, Op, OpKind, Tensor
from toolkit.ops.convert import Context, onnx_channel_axis
from toolkit.ops.spec import InPlace, OpSpec, elementwise


def _constant_values(ctx: Context, node: onnx.NodeProto, name: str, x: Tensor, x_name: str) -> tuple[float, ...]:
    """The real values of a constant operand, one for all or one per channel of `x`."""
    values = ctx.real(name, node)
    onnx_shape = tuple(values.shape)
    channels = x.shape[-1]
    channel_axis = onnx_channel_axis(x)
    rank = len(x.shape)
    padded = (1,) * (rank - len(onnx_shape)) + onnx_shape
    others = [d for i, d in enumerate(padded) if i != channel_axis]
    if values.size > 1 and x.layout != Layout.SPATIAL and rank != 2:
        raise UnsupportedModelError(f"node '{node.name}' ({node.op_type}): a per-element constant on the "
                                    f"{list(ctx.shapes[x_name])} tensor is not supported (one value, or one per channel)")
    if values.size == 1 or (padded[channel_axis] == channels and all(d == 1 for d in others)):
        return tuple(float(v) for v in np.asarray(values, np.float32).ravel())
    raise UnsupportedModelError(
        f"node '{node.name}' ({node.op_type}): a constant operand of shape {list(onnx_shape)} must be one value "
        f"or one per channel of the input")


def convert(ctx: Context, node: onnx.NodeProto) -> Op:
    names = list(node.input)
    const = [ctx.is_const(n) for n in names]
    if all(const):
        raise UnsupportedModelError(f"node '{node.name}' ({node.op_type}): both operands are constants "
                                    f"(the graph clean-up folds these in a float model)")
    if any(const):
        i = const.index(False)
        x = ctx.activation(names[i])
        values = _constant_values(ctx, node, names[1 - i], x, names[i])
        attrs = LutAttrs(node.op_type, values=values, reverse=i == 1)
        return Op(node.name, OpKind.LUT, [x.name], [ctx.output(node, x.layout)], attrs, node.name)
    a, b = (ctx.activation(n) for n in names)
    if a.shape == b.shape and node.op_type in ("Add", "Mul"):
        kind = OpKind.ADD if node.op_type == "Add" else OpKind.MUL
        return Op(node.name, kind, [a.name, b.name], [ctx.output(node, a.layout)], None, node.name)
    if node.op_type == "Mul" and a.size != b.size:
        big, vec = (a, b) if a.size > b.size else (b, a)    # float multiplication commutes exactly
        if (big.layout == vec.layout == Layout.SPATIAL and len(big.shape) == len(vec.shape) == 4
                and vec.shape == (1, 1, 1, big.shape[3])):
            return Op(node.name, OpKind.MUL, [big.name, vec.name], [ctx.output(node, big.layout)], None, node.name)
    raise UnsupportedModelError(
        f"node '{node.name}' ({node.op_type}): {list(ctx.shapes[names[0]])} {node.op_type} "
        f"{list(ctx.shapes[names[1]])} is not supported; "
        f"supported: Add or Mul of two maps of the same shape, Mul by a per-channel [1, C, 1, 1] vector, "
        f"and any of Add/Sub/Mul/Div with a constant that is one value or one per channel")


def add(g: Graph, op: Op, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    ta, tb, ty = (g.tensors[n] for n in (*op.inputs, op.outputs[0]))
    t = qmath.dequantize(a, ta.scale, ta.zero_point) + qmath.dequantize(b, tb.scale, tb.zero_point)
    return qmath.quantize(t, ty.scale, ty.zero_point)


def mul(g: Graph, op: Op, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """quantize(dequant(a) * dequant(b)) in float32; b is a's shape or a [N, 1, 1, C] vector."""
    ta, tb, ty = (g.tensors[n] for n in (*op.inputs, op.outputs[0]))
    t = qmath.dequantize(a, ta.scale, ta.zero_point) * qmath.dequantize(b, tb.scale, tb.zero_point)
    return qmath.quantize(t, ty.scale, ty.zero_point)


def same_shape(graph: Graph, op: Op) -> str | None:
    a, b = (graph.tensors[n] for n in op.inputs)
    if a.shape != b.shape:
        return f"{op.name} scales a map by a per-channel vector that needs the whole map before it"
    return None


def c_data(g: Graph, op: Op, sym: str) -> OpData:
    a, b, y = (g.tensors[n] for n in (*op.inputs, op.outputs[0]))
    ctype = "eng_add_params" if op.kind == OpKind.ADD else "eng_mul_params"
    return struct(ctype, sym, {"input1": qparam(a), "input2": qparam(b), "output": qparam(y)})


ADD = OpSpec(OpKind.ADD, {"Add": convert, "Sub": convert}, add, "ENG_OP_ADD", c_data, window=elementwise,
             in_place=InPlace.OPTION, alias_safe=True, quantize_types=("Sub",))
# Not planned in place: the output could be aliased onto the smaller vector input.
MUL = OpSpec(OpKind.MUL, {"Mul": convert, "Div": convert}, mul, "ENG_OP_MUL", c_data, window=elementwise,
             local_check=same_shape, quantize_types=("Div",))
