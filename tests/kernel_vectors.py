"""Kernel test vectors for firmware/tests/kernel_runner: one case per kernel call, the expected
output computed by toolkit/golden.py. Used by tests/test_kernels.py (host, ASan, QEMU).

A case is built either from an op of a real quantized Graph (`cases_from_graph`, with the golden
interpreter's own inputs and outputs) or from a synthetic single-op graph (`synthetic_cases`,
random but seeded, covering the per-side pads / strides / dilations / patch shapes that patch
execution needs). `write_vectors` serialises them in the runner's format (see its main.c).
"""
from __future__ import annotations

import struct
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace

import numpy as np

from toolkit import golden, qmath
from toolkit.ops import spec
from toolkit.ops import conv_avgpool, requant, resize, softmax
from toolkit.ops.lut import lut_table
from toolkit.ir import (ResizeAttrs, SliceAttrs, TransposeAttrs, ClampAttrs, ConcatAttrs, ConvAttrs, ConvPoolAttrs, DType, Graph, Layout, LutAttrs, Op, OpKind, PadAttrs,
                        PoolAttrs, Tensor)

F32 = np.float32
OP_CODES = {"conv": 1, "depthwise": 2, "fc": 3, "add": 4, "maxpool": 5, "avgpool": 6, "pad": 7, "requant": 8,
            "concat": 9, "depthwise_inplace": 10, "lut": 11, "mul": 12, "resize": 13, "slice": 14,
            "softmax": 15, "conv_transpose": 16, "avgpool2d": 17,
            "transpose": 18, "conv_avgpool": 19}
N_INTS, N_FLOATS = 24, 4


@dataclass
class Case:
    op: str
    ints: list[int]
    floats: list[float]
    arrays: list[np.ndarray]          # int8 / int32 / float32; the last one is the expected int8 output
    label: str = ""
    meta: dict = field(default_factory=dict)


def _array_bytes(a: np.ndarray) -> bytes:
    a = np.ascontiguousarray(a)
    kind = {np.dtype(np.int8): 1, np.dtype(np.int32): 2, np.dtype(np.float32): 3}[a.dtype]
    raw = a.astype(a.dtype.newbyteorder("<")).tobytes()
    return struct.pack("<II", kind, a.size) + raw + b"\0" * (-len(raw) % 4)


def write_vectors(path: Path, cases: list[Case]) -> Path:
    out = [b"EKTV", struct.pack("<II", 1, len(cases))]
    for c in cases:
        assert len(c.ints) <= N_INTS and len(c.floats) <= N_FLOATS, c.label
        ints = list(c.ints) + [0] * (N_INTS - len(c.ints))
        floats = list(c.floats) + [0.0] * (N_FLOATS - len(c.floats))
        out.append(struct.pack("<I", OP_CODES[c.op]) + struct.pack(f"<{N_INTS}i", *ints)
                   + np.asarray(floats, "<f4").tobytes() + struct.pack("<I", len(c.arrays)))
        out.extend(_array_bytes(a) for a in c.arrays)
    Path(path).write_bytes(b"".join(out))
    return Path(path)


# --------------------------------------------------------------------------- graph op -> case

def _hwc(shape) -> list[int]:
    """IR shape (with batch) -> the kernel's h, w, c view (batch 1)."""
    assert shape[0] == 1, shape
    if len(shape) == 4:
        return list(shape[1:])
    return [1, 1, int(np.prod(shape[1:], dtype=np.int64))]


def _pixels(shape) -> list[int]:
    """Any shape as the 1 x pixels x C view of an op over the last axis."""
    return [1, int(np.prod(shape[:-1], dtype=np.int64)), int(shape[-1])]


def _zp(t: Tensor) -> int:
    return int(t.zero_point)


def _scale(t: Tensor) -> float:
    return float(F32(t.scale))


def _i8(a) -> np.ndarray:
    return np.ascontiguousarray(a, dtype=np.int8).reshape(-1)


def case_for_op(g: Graph, op: Op, acts: list[np.ndarray], want: np.ndarray, label: str = "",
                out_hw=None, pads=None, act=(-128, 127)) -> Case:
    """The kernel call computing `op` on `acts` (golden inputs); `want` is golden's output.

    out_hw/pads override the op's (patch execution); act narrows the int8 clamp of conv/depthwise/fc
    (the expected output is clipped accordingly)."""
    tensors = g.tensors
    ty = tensors[op.outputs[0]]
    label = label or f"{g.name}:{op.name}"
    k = op.kind
    if k in (OpKind.CONV, OpKind.DEPTHWISE, OpKind.FC, OpKind.CONV_TRANSPOSE):
        tx, tw = tensors[op.inputs[0]], tensors[op.inputs[1]]
        mult = qmath.requant_multiplier(tx, tw, ty).astype(F32).reshape(-1)
        bias = tensors[op.inputs[2]].data.astype(np.int32) if len(op.inputs) > 2 else np.zeros(0, np.int32)
        want = np.clip(want, *act).astype(np.int8)
        arrays = [_i8(acts[0]), _i8(tw.data), bias.reshape(-1), mult, _i8(want)]
        if k == OpKind.FC:
            ints = [-_zp(tx), _zp(ty), act[0], act[1], 1, 1, acts[0].size, 1, 1, want.size]
            return Case("fc", ints, [], arrays, label)
        a = op.attrs
        p = a.pads if pads is None else pads
        ints = [*a.kernel, *a.stride, *a.dilation, *p, -_zp(tx), _zp(ty), act[0], act[1],
                *_hwc(acts[0].shape), *_hwc(want.shape)]
        return Case(k.value, ints, [], arrays, label)
    if k == OpKind.CONV_AVGPOOL:
        # the conv's case (its output the 1x1 pool's input), then the pool's zero points and scales
        conv, _ = conv_avgpool.parts(op)
        mid = tensors[op.attrs.mid]
        c = case_for_op(g, conv, acts, spec(OpKind.CONV).golden(g, conv, acts[0]), label)
        ints = c.ints[:14] + [*_hwc(acts[0].shape), *_hwc(want.shape), _zp(mid), _zp(ty)]
        return Case("conv_avgpool", ints, [_scale(mid), _scale(ty)], c.arrays[:4] + [_i8(want)], label)
    if k == OpKind.ADD:
        ta, tb = tensors[op.inputs[0]], tensors[op.inputs[1]]
        ints = [_zp(ta), _zp(tb), _zp(ty), *_hwc(want.shape)]
        return Case("add", ints, [_scale(ta), _scale(tb), _scale(ty)], [_i8(acts[0]), _i8(acts[1]), _i8(want)], label)
    if k == OpKind.MUL:
        ta, tb = tensors[op.inputs[0]], tensors[op.inputs[1]]
        ints = [_zp(ta), _zp(tb), _zp(ty), *_hwc(acts[0].shape), *_hwc(acts[1].shape)]
        return Case("mul", ints, [_scale(ta), _scale(tb), _scale(ty)], [_i8(acts[0]), _i8(acts[1]), _i8(want)], label)
    tx = tensors[op.inputs[0]]
    q = [_scale(tx), _scale(ty)]
    if k == OpKind.TRANSPOSE:
        (view,), flat = requant.transpose_views(SimpleNamespace(tensors=tensors), op)
        ints = [*requant.view_perm(tx, op), _zp(tx), _zp(ty), *view, *flat]
        return Case("transpose", ints, q, [_i8(acts[0]), _i8(want)], label)
    if k == OpKind.SLICE:
        a = op.attrs
        ints = [a.start, a.step, _zp(tx), _zp(ty), *_pixels(acts[0].shape), *_pixels(want.shape)]
        return Case("slice", ints, q, [_i8(acts[0]), _i8(want)], label)
    if k == OpKind.SOFTMAX:
        ints = [_zp(ty), *_pixels(acts[0].shape), *_pixels(want.shape)]
        return Case("softmax", ints, [_scale(ty)], [_i8(acts[0]), softmax.exp_table(tx), _i8(want)], label)
    if k == OpKind.RESIZE:
        (h, w), (ho, wo), a = tx.shape[1:3], ty.shape[1:3], op.attrs
        if a.mode == "nearest":
            rows, cols = resize.nearest_index(a, 0, h, ho), resize.nearest_index(a, 1, w, wo)
            taps = [rows, rows, cols, cols, np.zeros(ho, F32), np.zeros(ho, F32), np.zeros(wo, F32), np.zeros(wo, F32)]
        else:
            y1, y2, dy1, dy2 = resize.linear_taps(a, 0, h, ho)
            x1, x2, dx1, dx2 = resize.linear_taps(a, 1, w, wo)
            taps = [y1, y2, x1, x2, dy1, dy2, dx1, dx2]
        arrays = [_i8(acts[0])] + [t.view(np.int8) if t.dtype == np.int16 else t for t in taps] + [_i8(want)]
        ints = [int(a.mode == "linear"), _zp(tx), _zp(ty), *_hwc(acts[0].shape), *_hwc(want.shape)]
        return Case("resize", ints, q, arrays, label)
    if k == OpKind.MAXPOOL:
        a = op.attrs
        p = a.pads if pads is None else pads
        ints = [*a.kernel, *a.stride, *p, _zp(tx), _zp(ty), *_hwc(acts[0].shape), *_hwc(want.shape)]
        return Case("maxpool", ints, q, [_i8(acts[0]), _i8(want)], label)
    if k == OpKind.AVGPOOL2D:
        a = op.attrs
        p = a.pads if pads is None else pads
        ints = [*a.kernel, *a.stride, *p, int(a.count_include_pad), _zp(tx), _zp(ty), *_hwc(acts[0].shape),
                *_hwc(want.shape)]
        return Case("avgpool2d", ints, q, [_i8(acts[0]), _i8(want)], label)
    if k == OpKind.AVGPOOL:
        ints = [_zp(tx), _zp(ty), *_hwc(acts[0].shape), *_hwc(want.shape)]
        return Case("avgpool", ints, q, [_i8(acts[0]), _i8(want)], label)
    if k == OpKind.PAD:
        w = op.attrs.pads if pads is None else pads
        assert len(w) == 4, "kernel pads NHWC maps"
        (_, _), (t, b), (l, r), (cb, ca) = w
        ints = [t, l, b, r, cb, ca, _zp(tx), _zp(ty), *_hwc(acts[0].shape), *_hwc(want.shape)]
        return Case("pad", ints, q, [_i8(acts[0]), _i8(want)], label)
    if k in (OpKind.RESHAPE, OpKind.CLAMP):
        lo, hi = (-128, 127) if k == OpKind.RESHAPE else qmath.clamp_bounds(ty, op.attrs.low, op.attrs.high)
        ints = [_zp(tx), _zp(ty), lo, hi, 0, *_hwc(acts[0].shape), *_hwc(want.shape)]  # 0: separate output
        return Case("requant", ints, q, [_i8(acts[0]), _i8(want)], label)
    if k == OpKind.LUT:
        table = lut_table(SimpleNamespace(tensors=tensors), op)
        ints = [len(table), 0, *_hwc(acts[0].shape), *_hwc(want.shape)]  # 0: separate output
        return Case("lut", ints, [], [_i8(acts[0]), _i8(table), _i8(want)], label)
    if k == OpKind.CONCAT:
        axis = op.attrs.axis
        shape = want.shape
        if len(shape) == 4 and axis == 3:
            view_axis, view = 2, lambda s: list(s[1:])
        else:
            view_axis = 1
            view = lambda s: [int(np.prod(s[:axis], dtype=np.int64)), s[axis],  # noqa: E731
                              int(np.prod(s[axis + 1:], dtype=np.int64))]
        arrays, offset = [], 0
        for x, name in zip(acts, op.inputs):
            t = tensors[name]
            dims = view(x.shape)
            arrays += [_i8(x), np.array([*dims, _zp(t), offset], np.int32), np.array([_scale(t)], F32)]
            offset += x.shape[axis]
        ints = [view_axis, _zp(ty), len(acts), *view(shape)]
        return Case("concat", ints, [_scale(ty)], arrays + [_i8(want)], label)
    raise ValueError(f"no kernel case for {k}")


REQUANT_IN_PLACE = 4  # index of the requant case's in-place flag in its ints


def in_place(case: Case) -> Case:
    """The same call run in place. Depthwise: eng_depthwise_inplace_s8, the runner puts the output over
    the input (same start) and the kernel saves one channel plane at a time in its scratch. Requant
    (reshape, clamp): the output buffer is the input buffer."""
    if case.op in ("requant", "lut"):
        ints = list(case.ints)
        ints[REQUANT_IN_PLACE if case.op == "requant" else 1] = 1
        return Case(case.op, ints, list(case.floats), list(case.arrays), case.label + " in place", dict(case.meta))
    assert case.op == "depthwise", case.label
    return Case("depthwise_inplace", list(case.ints), [], list(case.arrays), case.label + " in place", dict(case.meta))


def cases_from_graph(g: Graph, inputs: dict[str, np.ndarray]) -> list[Case]:
    """One case per op of a quantized graph, fed with the golden interpreter's own tensors (and an
    in-place case for every depthwise, reshape and clamp op)."""
    values = golden.run_graph(g, inputs, keep=True)
    cases = []
    for op in g.ops:
        acts = [values[n] for n in op.inputs if not g.tensors[n].is_const]
        if op.kind == OpKind.PAD and len(acts[0].shape) != 4:
            continue
        cases.append(case_for_op(g, op, acts, values[op.outputs[0]]))
        if op.kind in (OpKind.DEPTHWISE, OpKind.RESHAPE, OpKind.CLAMP):
            cases.append(in_place(cases[-1]))
    return cases


# --------------------------------------------------------------------------- synthetic single ops

def tile_cases(g: Graph, values: dict[str, np.ndarray], max_cases: int = 40) -> list[Case]:
    """Patch tiles of a graph's conv/depthwise/maxpool layers, as patch execution runs them: a
    top-left and a bottom-right quarter and a one-column tile each, padding kept only on the
    image sides the tile touches.
    `values` holds every tensor of a golden run (run_graph(..., keep=True)); each tile's expected
    output is checked to equal the slice of the full layer before it becomes a case."""
    cases = []
    for op in g.ops:
        if op.kind not in (OpKind.CONV, OpKind.DEPTHWISE, OpKind.MAXPOOL) or len(cases) > max_cases:
            continue
        x = values[op.inputs[0]]
        a = op.attrs
        (kh, kw), (sh, sw) = a.kernel, a.stride
        dh, dw = getattr(a, "dilation", (1, 1))
        t, l, _, _ = a.pads
        ho, wo = g.tensors[op.outputs[0]].shape[1:3]
        if ho < 4 or wo < 4:
            continue
        # top-left and bottom-right quarters, and the last column's bottom two pixels: with cached
        # halos a tile computes as little as one output column, its input narrower than the kernel
        for y0, x0, th, tw in ((0, 0, ho // 2, wo // 2), (ho // 2, wo // 2, ho - ho // 2, wo - wo // 2),
                               (ho - 2, wo - 1, 2, 1)):
            iy0, ix0 = y0 * sh - t, x0 * sw - l
            iy1, ix1 = iy0 + (th - 1) * sh + (kh - 1) * dh + 1, ix0 + (tw - 1) * sw + (kw - 1) * dw + 1
            pads = (max(0, -iy0), max(0, -ix0), max(0, iy1 - x.shape[1]), max(0, ix1 - x.shape[2]))
            patch = x[:, max(0, iy0):min(iy1, x.shape[1]), max(0, ix0):min(ix1, x.shape[2]), :]
            want = spec(op.kind).golden(g, op, patch, out_hw=(th, tw), pads=pads)
            full = values[op.outputs[0]][:, y0:y0 + th, x0:x0 + tw, :]
            assert np.array_equal(want, full), op.name  # golden patch == slice of the full layer
            cases.append(case_for_op(g, op, [patch], want, f"{op.name} tile {y0},{x0}", out_hw=(th, tw), pads=pads))
    return cases + [in_place(c) for c in cases if c.op == "depthwise"]  # the same tiles, output over input


def _act(name, shape, rng, layout=Layout.SPATIAL, scale=None, zp=None) -> Tensor:
    scale = F32(rng.uniform(0.005, 0.1)) if scale is None else F32(scale)
    zp = int(rng.integers(-128, 128)) if zp is None else zp
    return Tensor(name, tuple(shape), DType.INT8, layout, np.array(scale, F32), np.array(zp, np.int32))


def _const(name, data, scale=None) -> Tensor:
    dt = DType.INT8 if data.dtype == np.int8 else DType.INT32
    zp = None if scale is None else np.zeros(scale.shape, np.int32)
    return Tensor(name, tuple(data.shape), dt, Layout.RAW, scale, zp, data=data)


def _rand_i8(rng, shape, extreme=False):
    if extreme:
        return rng.choice(np.array([-128, 127], np.int8), size=shape)
    return rng.integers(-128, 128, size=shape, dtype=np.int8)


def conv_case(rng, kind, hw, cin, cout, kernel, stride, dilation, pads, out_hw=None, bias=True, act=(-128, 127),
              extreme=False, mult_scale=None, label="") -> Case:
    """A random conv/depthwise; out_hw smaller than the full output = a patch of the layer."""
    (h, w), (kh, kw), (sh, sw), (dh, dw) = hw, kernel, stride, dilation
    t, l, b, r = pads
    full = ((h + t + b - (kh - 1) * dh - 1) // sh + 1, (w + l + r - (kw - 1) * dw - 1) // sw + 1)
    out_hw = out_hw or full
    if kind == OpKind.DEPTHWISE:
        cout = cin
        wdata = _rand_i8(rng, (kh, kw, cin), extreme)
    else:
        wdata = _rand_i8(rng, (cout, kh, kw, cin), extreme)
    x = _act("x", (1, h, w, cin), rng)
    wscale = rng.uniform(0.001, 0.02, size=cout).astype(F32)
    # Output scale from the accumulator range, so outputs spread over int8 instead of saturating.
    fan = kh * kw * (1 if kind == OpKind.DEPTHWISE else cin)
    yscale = F32(x.scale) * float(wscale.mean()) * 128 * 127 * np.sqrt(fan) / 127 / 2
    y = _act("y", (1, *out_hw, cout), rng, scale=yscale if mult_scale is None else 1.0)
    if mult_scale is not None:  # exact multipliers (0.5, 0.25...) to hit rounding ties
        x.scale = np.array(1.0, F32)
        wscale = np.full(cout, mult_scale, F32)
    g = Graph("syn")
    g.tensors = {"x": x, "w": _const("w", wdata, wscale), "y": y}
    inputs = ["x", "w"]
    if bias:
        g.tensors["b"] = _const("b", rng.integers(-5000, 5000, size=cout).astype(np.int32))
        inputs.append("b")
    op = Op("op", kind, inputs, ["y"], ConvAttrs((kh, kw), (sh, sw), (t, l, b, r), (dh, dw)))
    xs = _rand_i8(rng, (1, h, w, cin), extreme)
    fn = spec(kind).golden
    want = fn(g, op, xs, out_hw=tuple(out_hw), pads=(t, l, b, r))
    return case_for_op(g, op, [xs], want, label or f"{kind.value} {hw}x{cin}->{cout} k{kernel} s{stride} "
                       f"d{dilation} p{pads} o{out_hw}", act=act)


def conv_transpose_case(rng, hw, cin, cout, kernel, stride, dilation=(1, 1), pads=(0, 0, 0, 0), out_pad=(0, 0),
                        bias=True) -> Case:
    """A random transposed conv; out_pad: ONNX output_padding (extra rows/cols of bias only)."""
    (h, w), (kh, kw), (sh, sw), (dh, dw), (t, l, b, r) = hw, kernel, stride, dilation, pads
    ho = (h - 1) * sh - t - b + (kh - 1) * dh + 1 + out_pad[0]
    wo = (w - 1) * sw - l - r + (kw - 1) * dw + 1 + out_pad[1]
    x = _act("x", (1, h, w, cin), rng)
    wscale = rng.uniform(0.001, 0.02, size=cout).astype(F32)
    y = _act("y", (1, ho, wo, cout), rng, scale=F32(x.scale) * float(wscale.mean()) * 128 * np.sqrt(cin * kh * kw) / 2)
    g = Graph("syn")
    g.tensors = {"x": x, "w": _const("w", _rand_i8(rng, (cout, kh, kw, cin)), wscale), "y": y}
    inputs = ["x", "w"]
    if bias:
        g.tensors["b"] = _const("b", rng.integers(-5000, 5000, size=cout).astype(np.int32))
        inputs.append("b")
    op = Op("op", OpKind.CONV_TRANSPOSE, inputs, ["y"], ConvAttrs((kh, kw), (sh, sw), (t, l, b, r), (dh, dw)))
    xs = _rand_i8(rng, (1, h, w, cin))
    return case_for_op(g, op, [xs], spec(OpKind.CONV_TRANSPOSE).golden(g, op, xs),
                       f"conv_transpose {hw}x{cin}->{cout} k{kernel} s{stride} d{dilation} p{pads} op{out_pad}")


def conv_avgpool_case(rng, hw, cin, cout, bias=True) -> Case:
    """A random 1x1 conv fused with the global average pool of its output."""
    g = Graph("syn")
    x = _act("x", (1, *hw, cin), rng)
    wscale = rng.uniform(0.001, 0.02, size=cout).astype(F32)
    mid = _act("mid", (1, *hw, cout), rng, scale=F32(x.scale) * float(wscale.mean()) * 128 * np.sqrt(cin) / 2)
    g.tensors = {"x": x, "w": _const("w", _rand_i8(rng, (cout, 1, 1, cin)), wscale), "mid": mid,
                 "y": _act("y", (1, 1, 1, cout), rng, scale=F32(mid.scale) / 2)}
    inputs = ["x", "w"]
    if bias:
        g.tensors["b"] = _const("b", rng.integers(-5000, 5000, size=cout).astype(np.int32))
        inputs.append("b")
    op = Op("op", OpKind.CONV_AVGPOOL, inputs, ["y"], ConvPoolAttrs(ConvAttrs((1, 1)), "mid"))
    xs = _rand_i8(rng, (1, *hw, cin))
    return case_for_op(g, op, [xs], spec(OpKind.CONV_AVGPOOL).golden(g, op, xs),
                       f"conv_avgpool {hw}x{cin}->{cout}{'' if bias else ' no bias'}")


def fc_case(rng, k, n, bias=True, act=(-128, 127), extreme=False, x_zp=None) -> Case:
    x = _act("x", (1, k), rng, Layout.RAW, zp=x_zp)
    wscale = rng.uniform(0.001, 0.02, size=n).astype(F32)
    y = _act("y", (1, n), rng, Layout.RAW, scale=F32(x.scale) * float(wscale.mean()) * 127 * np.sqrt(k) / 2)
    g = Graph("syn")
    g.tensors = {"x": x, "w": _const("w", _rand_i8(rng, (n, k), extreme), wscale), "y": y}
    inputs = ["x", "w"]
    if bias:
        g.tensors["b"] = _const("b", rng.integers(-5000, 5000, size=n).astype(np.int32))
        inputs.append("b")
    op = Op("op", OpKind.FC, inputs, ["y"])
    xs = _rand_i8(rng, (1, k), extreme)
    return case_for_op(g, op, [xs], spec(OpKind.FC).golden(g, op, xs), f"fc {k}->{n}", act=act)


def simple_case(rng, kind, in_shapes, out_shape, attrs=None, scales=None, label="") -> Case:
    """add / maxpool / avgpool / pad / reshape / clamp / concat on random data."""
    g = Graph("syn")
    names = [f"x{i}" for i in range(len(in_shapes))]
    scales = scales or [None] * (len(in_shapes) + 1)
    for n, s, sc in zip(names, in_shapes, scales):
        g.tensors[n] = _act(n, s, rng, scale=sc)
    if scales[-1] != "same":
        g.tensors["y"] = _act("y", out_shape, rng, scale=scales[-1])
    else:  # output parameters equal to the first input's: the identity path
        g.tensors["y"] = Tensor("y", tuple(out_shape), DType.INT8, Layout.SPATIAL, g.tensors["x0"].scale,
                                g.tensors["x0"].zero_point)
    op = Op("op", kind, names, ["y"], attrs)
    xs = [_rand_i8(rng, s) for s in in_shapes]
    want = spec(kind).golden(g, op, *xs)
    return case_for_op(g, op, xs, want, label or f"{kind.value} {in_shapes}->{out_shape}")


def synthetic_cases(seed: int = 1234) -> list[Case]:
    rng = np.random.default_rng(seed)
    cases = []
    C, D = OpKind.CONV, OpKind.DEPTHWISE
    # conv: 1x1 / 3x3 / 5x5 / 1x3 / 3x1, strides, dilations, asymmetric per-side pads, odd channel tails.
    for kernel, stride, dil, pads, cin, cout in [
        ((1, 1), (1, 1), (1, 1), (0, 0, 0, 0), 16, 8), ((1, 1), (1, 1), (1, 1), (0, 0, 0, 0), 7, 5),
        ((1, 1), (2, 2), (1, 1), (0, 0, 0, 0), 9, 3), ((1, 1), (1, 1), (1, 1), (1, 0, 0, 1), 4, 6),
        ((3, 3), (1, 1), (1, 1), (1, 1, 1, 1), 3, 8), ((3, 3), (2, 2), (1, 1), (0, 0, 1, 1), 8, 16),
        ((3, 3), (2, 2), (1, 1), (1, 1, 0, 0), 5, 7), ((3, 3), (1, 1), (2, 2), (2, 2, 2, 2), 4, 4),
        ((3, 3), (1, 2), (2, 1), (2, 0, 1, 2), 6, 3), ((5, 5), (1, 1), (1, 1), (2, 2, 2, 2), 2, 5),
        ((5, 5), (2, 2), (1, 1), (1, 2, 1, 2), 1, 3), ((1, 3), (1, 1), (1, 1), (0, 1, 0, 1), 12, 9),
        ((3, 1), (1, 1), (1, 3), (1, 0, 1, 0), 3, 2), ((2, 2), (2, 2), (1, 1), (0, 0, 0, 0), 16, 32),
    ]:
        cases.append(conv_case(rng, C, (9, 11), cin, cout, kernel, stride, dil, pads))
    for kernel, stride, dil, pads, ch in [
        ((3, 3), (1, 1), (1, 1), (1, 1, 1, 1), 8), ((3, 3), (2, 2), (1, 1), (0, 0, 1, 1), 16),
        ((3, 3), (2, 2), (1, 1), (1, 1, 1, 1), 7), ((5, 5), (1, 1), (1, 1), (2, 2, 2, 2), 5),
        ((3, 3), (1, 1), (2, 2), (2, 2, 2, 2), 12), ((5, 5), (2, 2), (1, 1), (1, 2, 1, 2), 3),
        ((3, 3), (1, 1), (1, 1), (2, 0, 0, 2), 1), ((1, 1), (1, 1), (1, 1), (0, 0, 0, 0), 9),
        ((3, 3), (2, 1), (1, 2), (0, 2, 1, 0), 4),
    ]:
        cases.append(conv_case(rng, D, (10, 9), ch, ch, kernel, stride, dil, pads))
    # Patch execution: a tile of the layer with padding only on the image-border sides.
    for kind in (C, D):
        for pads, out_hw in [((1, 1, 0, 0), (4, 5)), ((0, 0, 1, 1), (4, 5)), ((0, 1, 0, 0), (3, 4)),
                             ((0, 0, 0, 0), (3, 3))]:
            cases.append(conv_case(rng, kind, (8, 10), 8, 6, (3, 3), (1, 1), (1, 1), pads, out_hw=out_hw,
                                   label=f"{kind.value} patch p{pads} o{out_hw}"))
            cases.append(conv_case(rng, kind, (9, 11), 5, 4, (3, 3), (2, 2), (1, 1), pads, out_hw=out_hw,
                                   label=f"{kind.value} patch s2 p{pads} o{out_hw}"))
    # No bias, fused ReLU-style clamp, saturation extremes, exact multipliers (rounding ties).
    for kind in (C, D):
        cases.append(conv_case(rng, kind, (6, 6), 8, 8, (3, 3), (1, 1), (1, 1), (1, 1, 1, 1), bias=False))
        cases.append(conv_case(rng, kind, (6, 6), 8, 8, (3, 3), (1, 1), (1, 1), (1, 1, 1, 1), act=(-20, 90)))
        cases.append(conv_case(rng, kind, (6, 6), 13, 8, (3, 3), (1, 1), (1, 1), (1, 1, 1, 1), extreme=True))
        for m in (0.5, 0.25, 0.125):
            cases.append(conv_case(rng, kind, (5, 5), 4, 4, (1, 1), (1, 1), (1, 1), (0, 0, 0, 0), mult_scale=m,
                                   label=f"{kind.value} ties m={m}"))
    # In place (output over the input): every depthwise case above, incl. stride 2, dilation, border pads,
    # patch tiles, 1 channel, odd channel counts.
    cases += [in_place(c) for c in cases if c.op == "depthwise"]
    for k, n in [(1, 1), (3, 2), (4, 4), (7, 5), (16, 10), (37, 11), (64, 3), (256, 10)]:
        cases.append(fc_case(rng, k, n))
    cases += [conv_transpose_case(rng, (4, 5), 6, 3, (2, 2), (2, 2)), conv_transpose_case(rng, (3, 3), 4, 5, (3, 3), (2, 2), pads=(1, 1, 1, 1)),
              conv_transpose_case(rng, (5, 4), 3, 2, (3, 2), (1, 2), dilation=(2, 1), pads=(0, 1, 2, 0), bias=False),
              conv_transpose_case(rng, (3, 4), 5, 4, (3, 3), (2, 2), pads=(1, 1, 1, 1), out_pad=(1, 1)),
              conv_transpose_case(rng, (1, 1), 7, 3, (4, 4), (1, 1))]
    cases += [conv_avgpool_case(rng, (5, 5), 16, 40), conv_avgpool_case(rng, (3, 4), 7, 5, bias=False),
              conv_avgpool_case(rng, (1, 1), 9, 12)]
    cases += [fc_case(rng, 20, 6, bias=False), fc_case(rng, 33, 9, act=(-128, 0)), fc_case(rng, 40, 7, extreme=True)]
    # input zero point 0: the DSP fc's loop without the offset (code generation folds it into the bias)
    cases += [fc_case(rng, 37, 11, x_zp=0), fc_case(rng, 64, 6, bias=False, x_zp=0, extreme=True)]
    # Elementwise and data movement.
    for shape in [(1, 7, 5, 3), (1, 4, 4, 16), (1, 1, 1, 1)]:
        cases.append(simple_case(rng, OpKind.ADD, [shape, shape], shape))
    cases.append(simple_case(rng, OpKind.ADD, [(1, 3, 3, 8)] * 2, (1, 3, 3, 8), scales=[0.02, 0.02, 0.04],
                             label="add ties"))
    for a, b in [((1, 7, 5, 3), (1, 7, 5, 3)), ((1, 1, 1, 1), (1, 1, 1, 1)), ((1, 6, 4, 16), (1, 1, 1, 16)),
                 ((1, 1, 1, 5), (1, 1, 1, 5)), ((1, 3, 2, 7), (1, 1, 1, 7))]:
        cases.append(simple_case(rng, OpKind.MUL, [a, b], a, label=f"mul {a} x {b}"))
    cases.append(simple_case(rng, OpKind.MUL, [(1, 3, 3, 8)] * 2, (1, 3, 3, 8), scales=[0.5, 0.25, 0.125],
                             label="mul ties"))
    # 2x2 windows whole (the DSP kernel's written-out path) and cut by padding on the bottom/right border
    for k, s, p, hw in [((2, 2), (2, 2), (0, 0, 0, 0), (8, 8)), ((2, 2), (2, 2), (0, 0, 1, 1), (7, 7)),
                        ((3, 3), (2, 2), (1, 1, 1, 1), (9, 9)),
                        ((3, 3), (1, 1), (0, 1, 2, 0), (5, 6)), ((2, 3), (1, 2), (1, 0, 0, 1), (6, 7)),
                        ((7, 5), (1, 1), (0, 0, 0, 0), (7, 5))]:  # the last: GlobalMaxPool
        ho = (hw[0] + p[0] + p[2] - k[0]) // s[0] + 1
        wo = (hw[1] + p[1] + p[3] - k[1]) // s[1] + 1
        for sc in ("same", None):
            cases.append(simple_case(rng, OpKind.MAXPOOL, [(1, *hw, 5)], (1, ho, wo, 5), PoolAttrs(k, s, p),
                                     scales=[None, sc], label=f"maxpool k{k} s{s} p{p} {sc or 'requant'}"))
    for hw, c in [((7, 7), 16), ((1, 1), 3), ((5, 3), 9), ((16, 16), 4)]:
        cases.append(simple_case(rng, OpKind.AVGPOOL, [(1, *hw, c)], (1, 1, 1, c)))
    for k, s_, p, hw, inc in [((2, 2), (2, 2), (0, 0, 0, 0), (8, 8), False), ((3, 3), (2, 2), (1, 1, 1, 1), (9, 9), False),
                              ((3, 3), (2, 2), (1, 1, 1, 1), (9, 9), True), ((3, 2), (1, 2), (1, 0, 1, 1), (5, 6), False)]:
        ho = (hw[0] + p[0] + p[2] - k[0]) // s_[0] + 1
        wo = (hw[1] + p[1] + p[3] - k[1]) // s_[1] + 1
        cases.append(simple_case(rng, OpKind.AVGPOOL2D, [(1, *hw, 5)], (1, ho, wo, 5), PoolAttrs(k, s_, p, inc),
                                 label=f"avgpool2d k{k} s{s_} p{p} include_pad={inc}"))
    for pads in [((0, 0), (1, 1), (1, 1), (0, 0)), ((0, 0), (0, 2), (1, 0), (0, 0)), ((0, 0), (0, 0), (0, 0), (0, 5)),
                 ((0, 0), (1, 0), (0, 1), (2, 3))]:
        shape = (1, 4, 5, 6)
        out = tuple(d + b + a for d, (b, a) in zip(shape, pads))
        for sc in ("same", None):
            cases.append(simple_case(rng, OpKind.PAD, [shape], out, PadAttrs(pads), scales=[None, sc],
                                     label=f"pad {pads} {sc or 'requant'}"))
    for sc in ("same", None):
        cases.append(simple_case(rng, OpKind.RESHAPE, [(1, 3, 4, 5)], (1, 3, 4, 5), scales=[None, sc]))
        for lo, hi in [(0.0, np.inf), (0.0, 6.0), (-1.0, 1.0)]:
            cases.append(simple_case(rng, OpKind.CLAMP, [(1, 5, 5, 4)], (1, 5, 5, 4), ClampAttrs(lo, hi),
                                     scales=[None, sc], label=f"clamp [{lo},{hi}] {sc or 'requant'}"))
    for attrs in [LutAttrs("Sigmoid"), LutAttrs("Tanh"), LutAttrs("HardSigmoid", 0.2, 0.5), LutAttrs("HardSwish"),
                  LutAttrs("LeakyRelu", 0.1), LutAttrs("PRelu", values=(0.25,)),
                  LutAttrs("PRelu", values=(0.1, -0.5, 0.0, 1.5, 0.3, 0.02, 0.7)),
                  LutAttrs("Add", values=(3.0,)), LutAttrs("Sub", values=(0.5, -1.0, 2.0, 0.0, 1.5, -3.0, 0.25)),
                  LutAttrs("Sub", values=(1.0,), reverse=True), LutAttrs("Mul", values=(-0.7,)),
                  LutAttrs("Mul", values=(0.5, 2.0, -1.0, 0.0, 3.0, 0.1, 1.0)), LutAttrs("Div", values=(6.0,)),
                  LutAttrs("Div", values=(1.0,), reverse=True)]:
        cases.append(simple_case(rng, OpKind.LUT, [(1, 5, 3, 7)], (1, 5, 3, 7), attrs,
                                 label=f"lut {attrs.func}{'r' if attrs.reverse else ''}{len(attrs.values) if attrs.values else ''}"))
    for mode, coord, nearest, hw, out in [
            ("nearest", "asymmetric", "floor", (4, 5), (8, 10)), ("nearest", "half_pixel", "round_prefer_floor", (3, 4), (7, 9)),
            ("nearest", "align_corners", "round_prefer_ceil", (5, 5), (3, 8)), ("nearest", "tf_half_pixel_for_nn", "ceil", (4, 4), (6, 6)),
            ("linear", "half_pixel", "round_prefer_floor", (4, 5), (8, 10)), ("linear", "align_corners", "round_prefer_floor", (3, 4), (7, 9)),
            ("linear", "pytorch_half_pixel", "round_prefer_floor", (5, 6), (1, 3)), ("linear", "asymmetric", "round_prefer_floor", (6, 6), (4, 9))]:
        scales = (float(F32(out[0]) / F32(hw[0])), float(F32(out[1]) / F32(hw[1])))
        for sc in ("same", None):
            cases.append(simple_case(rng, OpKind.RESIZE, [(1, *hw, 5)], (1, *out, 5),
                                     ResizeAttrs(mode, coord, nearest, scales), scales=[None, sc],
                                     label=f"resize {mode} {coord} {nearest} {hw}->{out} {sc or 'requant'}"))
    for shape, attrs in [((1, 4, 5, 16), SliceAttrs(0, 8)), ((1, 3, 3, 16), SliceAttrs(8, 16)),
                         ((1, 2, 6, 9), SliceAttrs(1, 9, 3)), ((1, 1, 1, 5), SliceAttrs(4, 5))]:
        out = (*shape[:-1], len(range(attrs.start, attrs.stop, attrs.step)))
        for sc in ("same", None):
            cases.append(simple_case(rng, OpKind.SLICE, [shape], out, attrs, scales=[None, sc],
                                     label=f"slice {shape} [{attrs.start}:{attrs.stop}:{attrs.step}] {sc or 'requant'}"))
    for shape, perm, out in [((1, 3, 4, 5), (0, 3, 1, 2), (1, 60)), ((1, 4, 6), (0, 2, 1), (1, 6, 4)),
                             ((1, 2, 3, 4), (0, 2, 1, 3), (1, 3, 2, 4)), ((1, 5, 1, 7), (0, 3, 1, 2), (1, 35))]:
        for sc in ("same", None):
            cases.append(simple_case(rng, OpKind.TRANSPOSE, [shape], out, TransposeAttrs(perm), scales=[None, sc],
                                     label=f"transpose {shape} {perm} -> {out} {sc or 'requant'}"))
    for shape, sc in [((1, 1, 1, 10), None), ((1, 3, 4, 2), None), ((1, 1, 1, 1000), None), ((1, 2, 2, 7), 1 / 256)]:
        cases.append(simple_case(rng, OpKind.SOFTMAX, [shape], shape, scales=[0.3, sc], label=f"softmax {shape}"))
    cases += [in_place(c) for c in cases if c.op in ("requant", "lut")]  # the same calls, output over input
    for axis, shapes in [(3, [(1, 4, 5, 3), (1, 4, 5, 6)]), (3, [(1, 2, 2, 1), (1, 2, 2, 7), (1, 2, 2, 4)]),
                         (1, [(1, 2, 5, 3), (1, 4, 5, 3)]), (2, [(1, 3, 1, 2), (1, 3, 4, 2)])]:
        out = list(shapes[0])
        out[axis] = sum(s[axis] for s in shapes)
        for sc in ("same", None):
            cases.append(simple_case(rng, OpKind.CONCAT, shapes, tuple(out), ConcatAttrs(axis),
                                     scales=[None] * len(shapes) + [sc], label=f"concat axis{axis} {shapes}"))
    return cases
