"""Tile regions are exact: running every tile from the plan's regions and border padding
reproduces the full stage output (float reference executor, random weights)."""
import numpy as np
import pytest

from test_plan_graphs import graph
from toolkit.ir import Graph, OpKind
from toolkit.plan import plan_graph, tile_regions
from toolkit.plan.patch import split_reason, stage_output
from toolkit.plan.regions import input_range, Window
from toolkit.plan import synthetic


def _pad(x, pads, value=0.0):
    t, l, b, r = pads
    return np.pad(x, ((0, 0), (t, b), (l, r), (0, 0)), constant_values=value)


def _windows(x, kh, kw, s, d):
    n, h, w, c = x.shape
    ho, wo = (h - (kh - 1) * d[0] - 1) // s[0] + 1, (w - (kw - 1) * d[1] - 1) // s[1] + 1
    return np.stack([x[:, i * d[0]:i * d[0] + (ho - 1) * s[0] + 1:s[0], j * d[1]:j * d[1] + (wo - 1) * s[1] + 1:s[1], :]
                     for i in range(kh) for j in range(kw)], axis=0)  # [kh*kw, n, ho, wo, c]


def run_op(g: Graph, op, xs, pads=None):
    a = op.attrs
    if op.kind in (OpKind.CONV, OpKind.DEPTHWISE, OpKind.MAXPOOL):
        pads = a.pads if pads is None else pads
        x = _pad(xs[0], pads, -np.inf if op.kind == OpKind.MAXPOOL else 0.0)
        dil = a.dilation if op.kind != OpKind.MAXPOOL else (1, 1)
        win = _windows(x, *a.kernel, a.stride, dil)
        if op.kind == OpKind.MAXPOOL:
            return win.max(axis=0)
        w = g.tensors[op.inputs[1]].data.astype(np.float64)
        if op.kind == OpKind.DEPTHWISE:
            return np.einsum("knhwc,kc->nhwc", win, w.reshape(-1, w.shape[-1]))
        return np.einsum("knhwc,okc->nhwo", win, w.reshape(w.shape[0], -1, w.shape[-1]))
    if op.kind == OpKind.ADD:
        return xs[0] + xs[1]
    if op.kind == OpKind.CLAMP:
        return np.clip(xs[0], -1.0, 1.0)
    if op.kind == OpKind.PAD:
        widths = list(a.pads)
        if pads is not None:
            widths[1], widths[2] = (pads[0], pads[2]), (pads[1], pads[3])
        return np.pad(xs[0], widths)
    if op.kind == OpKind.CONCAT:
        return np.concatenate(xs, axis=a.axis)
    raise NotImplementedError(op.kind)


def randomize(g: Graph, seed=0) -> Graph:
    rng = np.random.default_rng(seed)
    for t in g.tensors.values():
        if t.is_const:
            t.data = rng.standard_normal(t.shape) / np.sqrt(max(1, np.prod(t.shape[1:])))
    return g


def check_tiles(g: Graph, k: int, tiles):
    rng = np.random.default_rng(1)
    vals = {t: rng.standard_normal(g.tensors[t].shape) for t in g.inputs}
    for op in g.ops[:k + 1]:
        vals[op.outputs[0]] = run_op(g, op, [vals[t] for t in op.inputs if not g.tensors[t].is_const])
    out = stage_output(g, k)
    got = np.full_like(vals[out], np.nan)
    ops = {op.name: op for op in g.ops}
    for tile in tiles:
        held = {}
        for r in tile.ops:
            xs = []
            for i in r.inputs:
                src, base = (held[i.tensor], tile.tensors[i.tensor]) if i.tensor in held else (vals[i.tensor], (0, 0, 0, 0))
                y0, x0 = i.region[0] - base[0], i.region[2] - base[2]
                xs.append(src[:, y0:y0 + i.region[1] - i.region[0], x0:x0 + i.region[3] - i.region[2], :])
            y = run_op(g, ops[r.op], xs, r.inputs[0].pad)
            o = r.output
            assert y.shape[1:3] == (o[1] - o[0], o[3] - o[2]), r.op
            assert tile.tensors[ops[r.op].outputs[0]] == o
            held[ops[r.op].outputs[0]] = y
        y0, y1, x0, x1 = tile.output
        got[:, y0:y1, x0:x1] = held[out]
    np.testing.assert_allclose(got, vals[out], rtol=1e-9, atol=1e-9)


def test_input_range_asymmetric_at_borders():
    w = Window(kernel=3, stride=2, pad_before=1)  # 56 -> 28
    assert input_range(w, (0, 7), 56) == ((0, 14), 1, 0)
    assert input_range(w, (7, 14), 56) == ((13, 28), 0, 0)
    assert input_range(w, (21, 28), 56) == ((41, 56), 0, 0)  # pad after 1 in ONNX, unused here
    w = Window(kernel=3, stride=1, pad_before=1)
    assert input_range(w, (21, 28), 28) == ((20, 28), 0, 1)


@pytest.mark.parametrize("name,source", [("mobilenetv2", "synthetic"), ("blazeface", "synthetic"),
                                         ("blazeface", "onnx"), ("fashion_cnn", "onnx")])
@pytest.mark.parametrize("grid", [(2, 2), (3, 4)])
def test_every_valid_split_tiles_exactly(name, source, grid):
    if name == "mobilenetv2":
        g = randomize(synthetic.mobilenet_v2(resolution=96, width=0.35))
    else:
        g = graph(name, source)
        g = randomize(g) if source == "synthetic" else g
    splits = [k for k in range(len(g.ops)) if split_reason(g, k) is None]
    assert splits
    for k in splits[::max(1, len(splits) // 8)]:
        out = stage_output(g, k)
        _, h, w, _ = g.tensors[out].shape
        if grid[0] > h or grid[1] > w:
            continue
        bounds = lambda n, parts: [(i * n // parts, (i + 1) * n // parts) for i in range(parts)]
        tiles = [tile_regions(g, g.ops[:k + 1], out, (*r, *c)) for r in bounds(h, grid[0]) for c in bounds(w, grid[1])]
        check_tiles(g, k, tiles)


def test_plan_json_tiles_round_trip_to_exact_execution():
    g = randomize(synthetic.mobilenet_v2(resolution=96, width=0.35))
    p = plan_graph(g, split="auto", grid=3)
    k = next(i for i, op in enumerate(g.ops) if op.name == p.split)
    check_tiles(g, k, type(p).from_json(p.to_json()).tiles())
