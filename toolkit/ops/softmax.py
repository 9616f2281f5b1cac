"""Softmax over the last IR axis (a classifier's class axis, or NCHW channels).

For int8 input, x - max(x) takes one of 256 values per row, (q - q_max) * scale, so exp comes from a
256-entry float32 table made here with numpy: the C engine and the golden interpreter share it and
stay bit-exact without depending on a C library's expf. Then, as onnxruntime computes it: the sum in
float32 (in order along the axis), each exp divided by it, quantized. Against onnxruntime the only
difference is exp's last bit and dequantizing the difference instead of subtracting two dequantized
values: within 1 LSB, checked op by op.
"""
from __future__ import annotations

import numpy as np
import onnx

from toolkit import qmath
from toolkit.codegen.cformat import c_array, c_float
from toolkit.codegen.params import OpData, pixel_views, qparam, struct
from toolkit.errors import UnsupportedModelError
from toolkit.ir import Graph, Op, OpKind, Tensor
from toolkit.ops.convert import Context, onnx_channel_axis
from toolkit.ops.spec import OpSpec

F32 = qmath.F32


def convert(ctx: Context, node: onnx.NodeProto) -> Op:
    x = ctx.activation(node.input[0])
    rank = len(x.shape)
    axis = ctx.attr(node, "axis", -1 if ctx.model.opset_import[0].version >= 13 else 1) % rank
    last = onnx_channel_axis(x)
    if axis != last:
        raise UnsupportedModelError(f"node '{node.name}' (Softmax): only the softmax over "
                                    f"{'channels' if last == 1 else 'the last axis'} (axis {last}) is supported, "
                                    f"got axis {axis}")
    return Op(node.name, OpKind.SOFTMAX, [x.name], [ctx.output(node, x.layout)], None, node.name)


def exp_table(tx: Tensor) -> np.ndarray:
    """float32 [256]: entry j = exp(f32(j - 255) * scale), the exp of q - q_max = j - 255."""
    return np.exp((np.arange(256, dtype=np.int32) - 255).astype(F32) * F32(tx.scale)).astype(F32)


def softmax(g: Graph, op: Op, x: np.ndarray) -> np.ndarray:
    tx, ty = g.tensors[op.inputs[0]], g.tensors[op.outputs[0]]
    q = x.astype(np.int32)
    e = exp_table(tx)[q - q.max(axis=-1, keepdims=True) + 255]
    total = np.zeros(e.shape[:-1], F32)
    for k in range(e.shape[-1]):          # in order, as the C loop adds
        total = (total + e[..., k]).astype(F32)
    return qmath.quantize((e / total[..., None]).astype(F32), ty.scale, ty.zero_point)


def c_data(g: Graph, op: Op, sym: str) -> OpData:
    tx, ty = g.tensors[op.inputs[0]], g.tensors[op.outputs[0]]
    text = c_array("float", f"{sym}_exp", exp_table(tx), per_line=4, fmt=c_float)
    params = struct("eng_softmax_params", sym, {"exp": f"{sym}_exp", "output": qparam(ty)})
    return OpData(text + params.text, params.params)


SOFTMAX = OpSpec(OpKind.SOFTMAX, {"Softmax": convert}, softmax, "ENG_OP_SOFTMAX", c_data, io_views=pixel_views)
