"""Fully connected (Gemm, MatMul) on a [1, K] input, weights stored [out, in]."""
from __future__ import annotations

import numpy as np
import onnx

from toolkit import qmath
from toolkit.codegen.cformat import c_init
from toolkit.codegen.params import OpData, weights
from toolkit.errors import UnsupportedModelError
from toolkit.ir import Graph, Layout, Op, OpKind
from toolkit.ops.convert import Context
from toolkit.ops.spec import OpSpec


def convert(ctx: Context, node: onnx.NodeProto) -> Op:
    x = ctx.activation(node.input[0])
    if len(x.shape) != 2 or x.shape[0] != 1:
        raise UnsupportedModelError(f"node '{node.name}' ({node.op_type}): input must be [1, K], "
                                    f"got {list(x.shape)}")
    wname, w, wq = ctx.weight(node.input[1], node, symmetric=True)
    if node.op_type == "Gemm":
        if ctx.attr(node, "alpha", 1.0) != 1.0 or ctx.attr(node, "beta", 1.0) != 1.0 or ctx.attr(node, "transA", 0):
            raise UnsupportedModelError(f"node '{node.name}' (Gemm): only alpha=beta=1, transA=0 is supported")
        trans_b = ctx.attr(node, "transB", 0)
    else:
        trans_b = 0
    # Stored [out, in]; a quantized [in, out] weight's per-channel scales are along its axis 1 (the
    # quantizer picks the output axis), so they stay the output channels' after the transpose.
    data = np.ascontiguousarray(w if trans_b else w.T)
    ctx.add_const(wname, data, wq)
    inputs = [x.name, wname]
    if len(node.input) > 2 and node.input[2]:
        bname, b, bq = ctx.weight(node.input[2], node)
        ctx.add_const(bname, b.reshape(-1), bq)
        inputs.append(bname)
    return Op(node.name, OpKind.FC, inputs, [ctx.output(node, Layout.RAW)], None, node.name)


def fully_connected(g: Graph, op: Op, x: np.ndarray) -> np.ndarray:
    tx, tw, ty = g.tensors[op.inputs[0]], g.tensors[op.inputs[1]], g.tensors[op.outputs[0]]
    xs = x.reshape(x.shape[0], -1).astype(np.float64) - int(tx.zero_point)
    acc = np.rint(xs @ tw.data.astype(np.float64).T).astype(np.int64) + qmath.bias(g, op, tw.shape[0])
    return qmath.requant_acc(acc, qmath.requant_multiplier(tx, tw, ty), ty)


def c_data(g: Graph, op: Op, sym: str) -> OpData:
    """The input offset folded into the bias, as CMSIS-NN's kernel sums do: bias - zx * sum(w) per row
    with an input offset of 0 computes sum((x - zx) * w) + bias exactly (integers), and the kernels
    skip the offset's addition per input value."""
    tx, tw, ty = g.tensors[op.inputs[0]], g.tensors[op.inputs[1]], g.tensors[op.outputs[0]]
    sums = tw.data.astype(np.int64).reshape(tw.data.shape[0], -1).sum(axis=1)
    folded = qmath.bias(g, op, tw.shape[0]) - int(tx.zero_point) * sums
    fold = bool(np.all(np.abs(folded) < 2**31))   # else (never seen) the offset stays in the kernel
    text, filt, bias, mult = weights(g, op, sym, folded if fold else None)
    p = c_init({"input_offset": 0 if fold else -int(tx.zero_point), "output_zero_point": int(ty.zero_point),
                "act_min": -128, "act_max": 127, "multiplier": mult})
    text += f"static const eng_fc_params {sym}_params = {p};\n"
    return OpData(text, f"&{sym}_params", filt, bias)


FC = OpSpec(OpKind.FC, {"Gemm": convert, "MatMul": convert}, fully_connected, "ENG_OP_FC", c_data)
