"""ConvTranspose (2-D, group 1): the learned upsampling of segmentation and detection heads.

Output pixel (oy, ox) gathers input pixel (iy, ix) through tap (ky, kx) where
oy + pad_top = iy * stride + ky * dilation (and the same for columns); accumulation is exact in
integers and requantized per output channel like conv. Weights are stored as conv's, [Cout, KH, KW,
Cin] (ONNX: [Cin, Cout, KH, KW]). A stride-2 upsampling reads half an input row per output row,
which the planner's window does not model, so a patch stage ends before it.
"""
from __future__ import annotations

import numpy as np
import onnx

from toolkit import qmath
from toolkit.errors import UnsupportedModelError
from toolkit.ir import ConvAttrs, Graph, Layout, Op, OpKind
from toolkit.ops import conv
from toolkit.ops.convert import Context, spatial_input
from toolkit.ops.spec import OpSpec


def convert(ctx: Context, node: onnx.NodeProto) -> Op:
    x = ctx.activation(node.input[0])
    spatial_input(x, node)
    wname, w, wq = ctx.weight(node.input[1], node, symmetric=True)
    if w.ndim != 4 or ctx.attr(node, "group", 1) != 1:
        raise UnsupportedModelError(f"node '{node.name}' (ConvTranspose): only 2-D, group 1 is supported")
    if ctx.text(node, "auto_pad", "NOTSET") not in ("NOTSET", "", "VALID"):
        raise UnsupportedModelError(f"node '{node.name}' (ConvTranspose): auto_pad SAME is not supported")
    _, _, kh, kw = w.shape
    if wq is not None and np.size(wq.scale) > 1 and wq.axis % 4 != 1:
        raise UnsupportedModelError(f"node '{node.name}' (ConvTranspose): weights quantized per channel along "
                                    f"axis {wq.axis}; the engine needs the output channels (axis 1)")
    stride = tuple(ctx.attr(node, "strides", [1, 1]))
    dilation = tuple(ctx.attr(node, "dilations", [1, 1]))
    p = ctx.attr(node, "pads", [0, 0, 0, 0])
    ctx.add_const(wname, np.ascontiguousarray(w.transpose(1, 2, 3, 0)), wq)   # -> [Cout, KH, KW, Cin]
    inputs = [x.name, wname]
    if len(node.input) > 2 and node.input[2]:
        bname, b, bq = ctx.weight(node.input[2], node)
        ctx.add_const(bname, b, bq)
        inputs.append(bname)
    attrs = ConvAttrs((kh, kw), stride, (p[0], p[1], p[2], p[3]), dilation)
    return Op(node.name, OpKind.CONV_TRANSPOSE, inputs, [ctx.output(node, Layout.SPATIAL)], attrs, node.name)


def conv_transpose(g: Graph, op: Op, x: np.ndarray) -> np.ndarray:
    tx, tw, ty = g.tensors[op.inputs[0]], g.tensors[op.inputs[1]], g.tensors[op.outputs[0]]
    a = op.attrs
    n, h, w, _ = x.shape
    ho, wo = ty.shape[1:3]
    (kh, kw), (sh, sw), (dh, dw), (pt, pl, _, _) = a.kernel, a.stride, a.dilation, a.pads
    xs = x.astype(np.float64) - int(tx.zero_point)
    wt = tw.data.astype(np.float64)                                   # [Cout, KH, KW, Cin]
    full_h = max((h - 1) * sh + (kh - 1) * dh + 1, pt + ho)
    full_w = max((w - 1) * sw + (kw - 1) * dw + 1, pl + wo)
    acc = np.zeros((n, full_h, full_w, wt.shape[0]))
    for ky in range(kh):
        for kx in range(kw):
            y0, x0 = ky * dh, kx * dw
            acc[:, y0:y0 + (h - 1) * sh + 1:sh, x0:x0 + (w - 1) * sw + 1:sw, :] += xs @ wt[:, ky, kx, :].T
    acc = np.rint(acc[:, pt:pt + ho, pl:pl + wo, :]).astype(np.int64) + qmath.bias(g, op, wt.shape[0])
    return qmath.requant_acc(acc, qmath.requant_multiplier(tx, tw, ty), ty)


CONV_TRANSPOSE = OpSpec(OpKind.CONV_TRANSPOSE, {"ConvTranspose": convert}, conv_transpose, "ENG_OP_CONV_TRANSPOSE",
                        conv.c_data)
