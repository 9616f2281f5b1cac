"""Resize of H and W (ONNX Resize, nearest or linear), with the coordinate transformations real
converters emit: half_pixel, pytorch_half_pixel, align_corners, asymmetric, tf_half_pixel_for_nn.

Where each output row and column reads from is worked out once, here, in float32 exactly as
onnxruntime's CPU Resize does (get_original_coordinate, get_nearest_pixel, the bilinear set-up of
upsample.cc), and handed to the C kernel as tables: the kernel only gathers (nearest) or blends the
four neighbours in the same float order as onnxruntime (linear). The planner does not model the
fractional window of a resize, so a patch stage ends before it.
"""
from __future__ import annotations

import numpy as np
import onnx

from toolkit import qmath
from toolkit.codegen.cformat import c_array, c_float
from toolkit.codegen.params import OpData, qparam, struct
from toolkit.errors import UnsupportedModelError
from toolkit.ir import Graph, Layout, Op, OpKind, ResizeAttrs
from toolkit.ops.convert import Context, spatial_input
from toolkit.ops.spec import OpSpec

F32 = qmath.F32
COORDINATE_MODES = ("half_pixel", "pytorch_half_pixel", "align_corners", "asymmetric", "tf_half_pixel_for_nn")
NEAREST_MODES = ("round_prefer_floor", "round_prefer_ceil", "floor", "ceil")


def convert(ctx: Context, node: onnx.NodeProto) -> Op:
    x = ctx.activation(node.input[0])
    spatial_input(x, node)
    mode = ctx.text(node, "mode", "nearest")
    coord = ctx.text(node, "coordinate_transformation_mode", "half_pixel")
    nearest = ctx.text(node, "nearest_mode", "round_prefer_floor")
    if mode not in ("nearest", "linear") or coord not in COORDINATE_MODES or nearest not in NEAREST_MODES:
        raise UnsupportedModelError(
            f"node '{node.name}' (Resize): mode={mode}, coordinate_transformation_mode={coord}, "
            f"nearest_mode={nearest} is not supported; modes: nearest, linear; coordinate modes: "
            f"{', '.join(COORDINATE_MODES)}")
    if ctx.attr(node, "antialias", 0) or ctx.attr(node, "axes") is not None:
        raise UnsupportedModelError(f"node '{node.name}' (Resize): antialias and axes are not supported")
    out = ctx.ir_shape(node.output[0], Layout.SPATIAL)
    if out[0] != x.shape[0] or out[3] != x.shape[3]:
        raise UnsupportedModelError(f"node '{node.name}' (Resize): only H and W may be resized")
    scales_name = node.input[2] if len(node.input) > 2 and node.input[2] else ""
    scales = ctx.consts.get(scales_name) if scales_name else None
    if scales is not None and scales.size:
        sh, sw = (F32(v) for v in np.asarray(scales, np.float32)[2:4])      # NCHW scales
    else:   # sizes: onnxruntime's scale is output / input in float32
        sh, sw = F32(out[1]) / F32(x.shape[1]), F32(out[2]) / F32(x.shape[2])
    attrs = ResizeAttrs(mode, coord, nearest, (float(sh), float(sw)))
    return Op(node.name, OpKind.RESIZE, [x.name], [ctx.output(node, Layout.SPATIAL)], attrs, node.name)


def original_coordinates(attrs: ResizeAttrs, axis: int, length_in: int, length_out: int) -> np.ndarray:
    """The input coordinate of each output index (float32), onnxruntime's get_original_coordinate."""
    x = np.arange(length_out, dtype=F32)
    scale = F32(attrs.scales[axis])
    half = F32(0.5)
    mode = attrs.coordinate_mode
    if mode == "half_pixel":
        return (x + half) / scale - half
    if mode == "pytorch_half_pixel":
        return (x + half) / scale - half if length_out > 1 else np.zeros(length_out, F32)
    if mode == "tf_half_pixel_for_nn":
        return (x + half) / scale
    if mode == "asymmetric":
        return x / scale
    if length_out == 1:   # align_corners
        return np.zeros(1, F32)
    return x * F32(length_in - 1) / F32(length_out - 1)


def nearest_index(attrs: ResizeAttrs, axis: int, length_in: int, length_out: int) -> np.ndarray:
    x = original_coordinates(attrs, axis, length_in, length_out)
    if attrs.nearest_mode == "round_prefer_floor":
        tie = x == np.trunc(x) + F32(0.5)
        i = np.where(tie, np.floor(x), np.sign(x) * np.floor(np.abs(x) + F32(0.5)))
    elif attrs.nearest_mode == "round_prefer_ceil":
        i = np.sign(x) * np.floor(np.abs(x) + F32(0.5))          # std::round: half away from zero
    elif attrs.nearest_mode == "floor":
        i = np.floor(x)
    else:
        i = np.ceil(x)
    return np.clip(i, 0, length_in - 1).astype(np.int16)


def linear_taps(attrs: ResizeAttrs, axis: int, length_in: int, length_out: int):
    """(i1, i2, d1, d2) per output index: the two neighbours and onnxruntime's weights, where the
    value is d2 * X[i1] + d1 * X[i2] (d1 = |x - i1|, d2 = |x - i2|, both 0.5 where i1 == i2)."""
    x = np.clip(original_coordinates(attrs, axis, length_in, length_out), F32(0), F32(length_in - 1))
    i1 = np.minimum(x.astype(np.int64), length_in - 1)
    i2 = np.minimum(i1 + 1, length_in - 1)
    d1 = np.abs(x - i1.astype(F32)).astype(F32)
    d2 = np.abs(x - i2.astype(F32)).astype(F32)
    same = i1 == i2
    d1[same] = d2[same] = F32(0.5)
    return i1.astype(np.int16), i2.astype(np.int16), d1, d2


def resize(g: Graph, op: Op, x: np.ndarray) -> np.ndarray:
    tx, ty = g.tensors[op.inputs[0]], g.tensors[op.outputs[0]]
    (h, w), (ho, wo) = tx.shape[1:3], ty.shape[1:3]
    a = op.attrs
    if a.mode == "nearest":
        rows, cols = nearest_index(a, 0, h, ho), nearest_index(a, 1, w, wo)
        return qmath.requant_literal(x[:, rows][:, :, cols], tx, ty)
    y1, y2, dy1, dy2 = linear_taps(a, 0, h, ho)
    x1, x2, dx1, dx2 = linear_taps(a, 1, w, wo)
    v = qmath.dequantize(x, tx.scale, tx.zero_point)
    wy1, wy2 = dy1[None, :, None, None], dy2[None, :, None, None]
    wx1, wx2 = dx1[None, None, :, None], dx2[None, None, :, None]
    x11, x21 = v[:, y1][:, :, x1], v[:, y1][:, :, x2]
    x12, x22 = v[:, y2][:, :, x1], v[:, y2][:, :, x2]
    # onnxruntime's order: dx2*dy2*X11 + dx1*dy2*X21 + dx2*dy1*X12 + dx1*dy1*X22, left to right
    t = wx2 * wy2 * x11 + wx1 * wy2 * x21 + wx2 * wy1 * x12 + wx1 * wy1 * x22
    return qmath.quantize(t.astype(F32), ty.scale, ty.zero_point)


def c_data(g: Graph, op: Op, sym: str) -> OpData:
    tx, ty = g.tensors[op.inputs[0]], g.tensors[op.outputs[0]]
    (h, w), (ho, wo) = tx.shape[1:3], ty.shape[1:3]
    a = op.attrs
    if a.mode == "nearest":
        y1, x1 = nearest_index(a, 0, h, ho), nearest_index(a, 1, w, wo)
        y2, x2 = y1, x1
        dy1 = dy2 = np.zeros(ho, F32)
        dx1 = dx2 = np.zeros(wo, F32)
    else:
        y1, y2, dy1, dy2 = linear_taps(a, 0, h, ho)
        x1, x2, dx1, dx2 = linear_taps(a, 1, w, wo)
    text = "".join(c_array("int16_t", f"{sym}_{n}", v) for n, v in (("y1", y1), ("y2", y2), ("x1", x1), ("x2", x2)))
    if a.mode == "linear":
        text += "".join(c_array("float", f"{sym}_{n}", v, per_line=4, fmt=c_float)
                        for n, v in (("dy1", dy1), ("dy2", dy2), ("dx1", dx1), ("dx2", dx2)))
    weight = (lambda n: f"{sym}_{n}") if a.mode == "linear" else (lambda n: "0")
    params = struct("eng_resize_params", sym, {
        "linear": int(a.mode == "linear"), "y1": f"{sym}_y1", "y2": f"{sym}_y2", "x1": f"{sym}_x1", "x2": f"{sym}_x2",
        "dy1": weight("dy1"), "dy2": weight("dy2"), "dx1": weight("dx1"), "dx2": weight("dx2"),
        "input": qparam(tx), "output": qparam(ty)})
    return OpData(text + params.text, params.params)


RESIZE = OpSpec(OpKind.RESIZE, {"Resize": convert}, resize, "ENG_OP_RESIZE", c_data)
