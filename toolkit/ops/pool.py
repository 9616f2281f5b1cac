"""MaxPool (windowed; GlobalMaxPool is one whose window is the map), AveragePool and global average pooling (GlobalAveragePool, ReduceMean over H and W)."""
from __future__ import annotations

import numpy as np
import onnx

from toolkit import qmath
from toolkit.codegen.params import OpData, qparam, struct
from toolkit.codegen.cformat import c_pads
from toolkit.errors import UnsupportedModelError
from toolkit.ir import Graph, Layout, Op, OpKind, PoolAttrs
from toolkit.ops.convert import Context, conv_pads, spatial_input
from toolkit.ops.spec import OpSpec, Window, windowed


def convert_window_pool(ctx: Context, node: onnx.NodeProto) -> Op:
    """MaxPool and AveragePool: the window, its stride and padding (no ceil_mode, no dilation)."""
    x = ctx.activation(node.input[0])
    spatial_input(x, node)
    if ctx.attr(node, "ceil_mode", 0) or any(d != 1 for d in ctx.attr(node, "dilations", [1, 1])):
        raise UnsupportedModelError(f"node '{node.name}' ({node.op_type}): ceil_mode and dilation are not supported")
    kernel = tuple(ctx.attr(node, "kernel_shape"))
    stride = tuple(ctx.attr(node, "strides", [1, 1]))
    pads = conv_pads(ctx, node, x.shape[1:3], kernel, stride, (1, 1))
    kind = OpKind.MAXPOOL if node.op_type == "MaxPool" else OpKind.AVGPOOL2D
    attrs = PoolAttrs(kernel, stride, pads, bool(ctx.attr(node, "count_include_pad", 0)))
    return Op(node.name, kind, [x.name], [ctx.output(node, Layout.SPATIAL)], attrs, node.name)


def convert_global_maxpool(ctx: Context, node: onnx.NodeProto) -> Op:
    """GlobalMaxPool is a MaxPool whose window is the whole map: no kernel of its own."""
    x = ctx.activation(node.input[0])
    spatial_input(x, node)
    return Op(node.name, OpKind.MAXPOOL, [x.name], [ctx.output(node, Layout.SPATIAL)],
              PoolAttrs(tuple(x.shape[1:3]), (1, 1)), node.name)


def maxpool(g: Graph, op: Op, x: np.ndarray, out_hw=None, pads=None) -> np.ndarray:
    tx, ty = g.tensors[op.inputs[0]], g.tensors[op.outputs[0]]
    a = op.attrs
    out_hw = out_hw or ty.shape[1:3]
    pads = a.pads if pads is None else pads
    xp = qmath.pad_spatial(x, pads, -128)  # -128 never wins over a real element in the window
    out = None
    for _, _, v in qmath.windows(xp, a.kernel, a.stride, (1, 1), out_hw):
        out = v.copy() if out is None else np.maximum(out, v)
    return qmath.requant_literal(out, tx, ty)


def pool_window(op: Op, axis: int) -> Window:
    a, at = axis - 1, op.attrs
    return Window(at.kernel[a], at.stride[a], 1, at.pads[a])


def maxpool_data(g: Graph, op: Op, sym: str) -> OpData:
    x, y, a = g.tensors[op.inputs[0]], g.tensors[op.outputs[0]], op.attrs
    return struct("eng_maxpool_params", sym, {
        "kernel_h": a.kernel[0], "kernel_w": a.kernel[1], "stride_h": a.stride[0], "stride_w": a.stride[1],
        "pads": c_pads(a.pads), "input": qparam(x), "output": qparam(y)})


def avgpool2d(g: Graph, op: Op, x: np.ndarray, out_hw=None, pads=None) -> np.ndarray:
    """onnxruntime's float average pool on the dequantized input: the taps inside the input summed in
    float32, row by row, divided by their count (or by the whole window with count_include_pad), then
    quantized. `pads` (a tile's border padding) marks where the window leaves the input."""
    tx, ty = g.tensors[op.inputs[0]], g.tensors[op.outputs[0]]
    a = op.attrs
    (kh, kw), (sh, sw) = a.kernel, a.stride
    top, left, _, _ = a.pads if pads is None else pads
    ho, wo = out_hw or ty.shape[1:3]
    v = qmath.dequantize(x, tx.scale, tx.zero_point)
    n, h, w, c = x.shape
    out = np.zeros((n, ho, wo, c), qmath.F32)
    for oy in range(ho):
        y0 = oy * sh - top
        ys = range(max(y0, 0), min(y0 + kh, h))
        for ox in range(wo):
            x0 = ox * sw - left
            xs = range(max(x0, 0), min(x0 + kw, w))
            total = np.zeros((n, c), qmath.F32)
            for iy in ys:
                for ix in xs:
                    total = (total + v[:, iy, ix, :]).astype(qmath.F32)
            count = kh * kw if a.count_include_pad else len(ys) * len(xs)
            out[:, oy, ox, :] = total / qmath.F32(count)
    return qmath.quantize(out, ty.scale, ty.zero_point)


def avgpool2d_data(g: Graph, op: Op, sym: str) -> OpData:
    x, y, a = g.tensors[op.inputs[0]], g.tensors[op.outputs[0]], op.attrs
    return struct("eng_avgpool2d_params", sym, {
        "kernel_h": a.kernel[0], "kernel_w": a.kernel[1], "stride_h": a.stride[0], "stride_w": a.stride[1],
        "pads": c_pads(a.pads), "count_include_pad": int(a.count_include_pad), "input": qparam(x),
        "output": qparam(y)})


def convert_global_avgpool(ctx: Context, node: onnx.NodeProto) -> Op:
    x = ctx.activation(node.input[0])
    spatial_input(x, node)
    layout = Layout.SPATIAL
    if node.op_type == "ReduceMean":
        axes = ctx.attr(node, "axes") or (list(ctx.consts[node.input[1]]) if len(node.input) > 1 else None)
        if sorted(a % 4 for a in axes or []) != [2, 3]:
            raise UnsupportedModelError(f"node '{node.name}' (ReduceMean): only the mean over H and W "
                                        f"(axes 2, 3) is supported, got axes {axes}")
        if not ctx.attr(node, "keepdims", 1):
            layout = Layout.RAW  # [1, C]: the same bytes as the NHWC [1, 1, 1, C] map
    return Op(node.name, OpKind.AVGPOOL, [x.name], [ctx.output(node, layout)], None, node.name)


def avgpool(g: Graph, op: Op, x: np.ndarray) -> np.ndarray:
    """Global average: exact integer sum, then mean and quantization in float32."""
    tx, ty = g.tensors[op.inputs[0]], g.tensors[op.outputs[0]]
    count = x.shape[1] * x.shape[2]
    s = (x.astype(np.int64) - int(tx.zero_point)).sum(axis=(1, 2), keepdims=True)
    mean = (s.astype(qmath.F32) * qmath.F32(tx.scale)) / qmath.F32(count)
    return qmath.quantize(mean, ty.scale, ty.zero_point).reshape((x.shape[0],) + ty.shape[1:])


def avgpool_fields(g: Graph, op: Op) -> dict:
    return {"input": qparam(g.tensors[op.inputs[0]]), "output": qparam(g.tensors[op.outputs[0]])}


def avgpool_data(g: Graph, op: Op, sym: str) -> OpData:
    return struct("eng_avgpool_params", sym, avgpool_fields(g, op))


MAXPOOL = OpSpec(OpKind.MAXPOOL, {"MaxPool": convert_window_pool, "GlobalMaxPool": convert_global_maxpool}, maxpool, "ENG_OP_MAXPOOL", maxpool_data,
                 window=pool_window, tile_golden=windowed(maxpool), pad_value="min")
AVGPOOL2D = OpSpec(OpKind.AVGPOOL2D, {"AveragePool": convert_window_pool}, avgpool2d, "ENG_OP_AVGPOOL2D",
                   avgpool2d_data, window=pool_window, tile_golden=windowed(avgpool2d))
AVGPOOL = OpSpec(OpKind.AVGPOOL, {"GlobalAveragePool": convert_global_avgpool, "ReduceMean": convert_global_avgpool},
                 avgpool, "ENG_OP_AVGPOOL", avgpool_data)
