"""Conv (2-D, any kernel, 1x1 included) and depthwise conv (channel multiplier 1): one ONNX Conv
converter picks the kind from `group`."""
from __future__ import annotations

import numpy as np
import onnx

from toolkit import qmath
from toolkit.codegen.cformat import c_init, c_pads
from toolkit.codegen.params import OpData, weights
from toolkit.errors import UnsupportedModelError
from toolkit.ir import ConvAttrs, Graph, Layout, Op, OpKind
from toolkit.ops.convert import Context, conv_pads, spatial_input
from toolkit.ops.spec import InPlace, OpSpec, Window, windowed

INT16_BYTES = 2


def convert(ctx: Context, node: onnx.NodeProto) -> Op:
    x = ctx.activation(node.input[0])
    spatial_input(x, node)
    wname, w, wq = ctx.weight(node.input[1], node, symmetric=True)
    if w.ndim != 4:
        raise UnsupportedModelError(f"node '{node.name}' (Conv): only 2-D convolutions are supported, "
                                    f"weight has rank {w.ndim}")
    group = ctx.attr(node, "group", 1)
    cout, cin_g, kh, kw = w.shape
    cin = x.shape[3]
    stride = tuple(ctx.attr(node, "strides", [1, 1]))
    dilation = tuple(ctx.attr(node, "dilations", [1, 1]))
    pads = conv_pads(ctx, node, x.shape[1:3], (kh, kw), stride, dilation)
    if group == 1:
        kind, data = OpKind.CONV, np.ascontiguousarray(w.transpose(0, 2, 3, 1))
    elif group == cin == cout and cin_g == 1:
        kind, data = OpKind.DEPTHWISE, np.ascontiguousarray(w[:, 0].transpose(1, 2, 0))
    else:
        raise UnsupportedModelError(
            f"node '{node.name}' (Conv): grouped convolution with group={group} (not depthwise, "
            f"{cin} in / {cout} out channels) is not supported")
    ctx.add_const(wname, data, wq)
    inputs = [x.name, wname]
    if len(node.input) > 2 and node.input[2]:
        bname, b, bq = ctx.weight(node.input[2], node)
        ctx.add_const(bname, b, bq)
        inputs.append(bname)
    attrs = ConvAttrs((kh, kw), stride, pads, dilation)
    return Op(node.name, kind, inputs, [ctx.output(node, Layout.SPATIAL)], attrs, node.name)


def conv(g: Graph, op: Op, x: np.ndarray, out_hw=None, pads=None) -> np.ndarray:
    tx, tw, ty = g.tensors[op.inputs[0]], g.tensors[op.inputs[1]], g.tensors[op.outputs[0]]
    a = op.attrs
    out_hw = out_hw or ty.shape[1:3]
    pads = a.pads if pads is None else pads
    xs = qmath.pad_spatial(x.astype(np.float64) - int(tx.zero_point), pads, 0.0)
    cols = np.stack([v for _, _, v in qmath.windows(xs, a.kernel, a.stride, a.dilation, out_hw)], axis=3)
    n, ho, wo = cols.shape[:3]
    w = tw.data.reshape(tw.shape[0], -1).astype(np.float64)          # [Cout, KH*KW*Cin]
    acc = cols.reshape(n * ho * wo, -1) @ w.T                         # exact: |acc| < 2**53
    acc = np.rint(acc).astype(np.int64) + qmath.bias(g, op, tw.shape[0])
    return qmath.requant_acc(acc, qmath.requant_multiplier(tx, tw, ty), ty).reshape(n, ho, wo, -1)


def depthwise(g: Graph, op: Op, x: np.ndarray, out_hw=None, pads=None) -> np.ndarray:
    tx, tw, ty = g.tensors[op.inputs[0]], g.tensors[op.inputs[1]], g.tensors[op.outputs[0]]
    a = op.attrs
    out_hw = out_hw or ty.shape[1:3]
    pads = a.pads if pads is None else pads
    xs = qmath.pad_spatial(x.astype(np.int32) - int(tx.zero_point), pads, 0)
    w = tw.data.astype(np.int32)                                      # [KH, KW, C]
    acc = np.zeros((x.shape[0], *out_hw, w.shape[2]), np.int64)
    for ky, kx, v in qmath.windows(xs, a.kernel, a.stride, a.dilation, out_hw):
        acc += v * w[ky, kx]
    acc += qmath.bias(g, op, w.shape[2])
    return qmath.requant_acc(acc, qmath.requant_multiplier(tx, tw, ty), ty)


def window(op: Op, axis: int) -> Window:
    a, at = axis - 1, op.attrs
    return Window(at.kernel[a], at.stride[a], at.dilation[a], at.pads[a])


def conv_params(g: Graph, op: Op, mult: str) -> str:
    """The eng_conv_params initialiser of a conv/depthwise op whose multipliers are array `mult`."""
    tx, ty, a = g.tensors[op.inputs[0]], g.tensors[op.outputs[0]], op.attrs
    return c_init({"kernel_h": a.kernel[0], "kernel_w": a.kernel[1], "stride_h": a.stride[0],
                   "stride_w": a.stride[1], "dilation_h": a.dilation[0], "dilation_w": a.dilation[1],
                   "pads": c_pads(a.pads), "input_offset": -int(tx.zero_point),
                   "output_zero_point": int(ty.zero_point), "act_min": -128, "act_max": 127,
                   "multiplier": mult})


def c_data(g: Graph, op: Op, sym: str) -> OpData:
    text, filt, bias, mult = weights(g, op, sym)
    text += f"static const eng_conv_params {sym}_params = {conv_params(g, op, mult)};\n"
    return OpData(text, f"&{sym}_params", filt, bias)


def conv_scratch(graph: Graph, op: Op, in_place: bool, input_bytes: int | None) -> int:
    """An im2col buffer of two columns of int16, 2 * Cin * KH * KW elements, 1x1 included
    (`arm_convolve_s8_get_buffer_size`; the DSP 1x1 conv widens each input pixel once into it)."""
    kh, kw = op.attrs.kernel
    cin = graph.tensors[op.inputs[1]].shape[-1]  # weights [Cout, KH, KW, Cin]
    return 2 * cin * kh * kw * INT16_BYTES


def depthwise_inplace_scratch(h: int, w: int) -> int:
    """`eng_depthwise_inplace_s8_scratch_size`: one h x w int8 channel plane."""
    return h * w


def depthwise_scratch(graph: Graph, op: Op, in_place: bool, input_bytes: int | None) -> int:
    """In place (the planner aliased its output onto its input, so the executor calls
    `eng_depthwise_inplace_s8`): one input channel plane, H x W the input the kernel sees (the full
    map per layer, the largest tile region in a patch stage: `input_bytes` // C); else nothing."""
    if not in_place:
        return 0
    _, h, w, c = graph.tensors[op.inputs[0]].shape
    return depthwise_inplace_scratch(h, w) if input_bytes is None else -(-input_bytes // c)


CONV = OpSpec(OpKind.CONV, {"Conv": convert}, conv, "ENG_OP_CONV", c_data, window=window,
              tile_golden=windowed(conv), scratch=conv_scratch)
DEPTHWISE = OpSpec(OpKind.DEPTHWISE, {}, depthwise, "ENG_OP_DEPTHWISE", c_data, window=window,
                   tile_golden=windowed(depthwise), in_place=InPlace.OPTION, paper_in_place=True,
                   in_place_kernel="ENG_OP_DEPTHWISE_INPLACE", scratch=depthwise_scratch)
