"""Cached halos in the planner: every pixel of a stage tensor is computed once, each tile's held
region is exactly its computed part plus what its copies fill from the caches, the caches are
counted in the plan's arena, and `toolkit plan` shows them. (Bit-exactness against the golden
interpreter: tests/test_golden_plan.py and tests/test_engine.py, cache_* schedules.)"""
from __future__ import annotations

import numpy as np
import pytest
from click.testing import CliRunner

from toolkit.cli import cli
from toolkit.plan import plan_graph
from toolkit.plan.halo import tile_copies
from toolkit.plan.synthetic import mobilenet_v2

CASES = [(224, "auto", (4, 4)), (224, "auto", (7, 7)), (96, "auto", (3, 5)), (96, "auto", (8, 8))]


@pytest.fixture(scope="module", params=CASES, ids=lambda c: f"mnv2_{c[0]}_{c[2][0]}x{c[2][1]}")
def plans(request):
    res, split, grid = request.param
    g = mobilenet_v2(res)
    cached = plan_graph(g, split=split, grid=grid, halo="cache")
    return g, cached, plan_graph(g, split=cached.split, grid=grid)


@pytest.fixture(scope="module", params=CASES, ids=lambda c: f"mnv2_{c[0]}_{c[2][0]}x{c[2][1]}_cols")
def column_plans(request):
    """Columns cached, rows recomputed, beside the fully cached and the recomputing plan of the same split."""
    res, split, grid = request.param
    g = mobilenet_v2(res)
    cols = plan_graph(g, split=split, grid=grid, halo="cache_cols")
    return (g, cols, plan_graph(g, split=cols.split, grid=grid, halo="cache"),
            plan_graph(g, split=cols.split, grid=grid))


def test_every_stage_pixel_is_computed_once(plans):
    g, cached, recomputed = plans
    assert cached.patch_macs == cached.macs < recomputed.patch_macs
    area = {}
    for tile in cached.tiles():
        for o in tile.ops:
            y0, y1, x0, x1 = o.output
            area.setdefault(o.op, np.zeros(g.tensors[g.op(o.op).outputs[0]].shape[1:3], np.int32))[y0:y1, x0:x1] += 1
    for op, counts in area.items():
        assert counts.max() == 1, f"{op}: a pixel computed {counts.max()} times"


def test_column_caching_recomputes_rows_only(column_plans):
    g, cols, cached, recomputed = column_plans
    assert cached.patch_macs < cols.patch_macs < recomputed.patch_macs
    caches = cols.patch["halo_caches"]
    assert caches and all(c["rows"][1] == 0 and c["cols"][1] * c["cols"][2] > 0 for c in caches.values())
    check_held_regions(g, cols)


def test_held_regions_are_computed_part_plus_copies(plans):
    check_held_regions(plans[0], plans[1])


def check_held_regions(g, plan):
    tiles, caches, grid = plan.tiles(), plan.caches(), tuple(plan.grid)
    assert caches and set(caches) == set(plan.patch["halo_caches"])
    producer = {g.op(n).outputs[0]: n for n in plan.patch["stage_ops"]}
    for n, tile in enumerate(tiles):
        computed = {o.op: o.output for o in tile.ops}
        for t, copies in tile_copies(tiles, grid, n, caches).items():
            y0, y1, x0, x1 = tile.tensors[t]
            filled = np.zeros((y1 - y0, x1 - x0), np.int32)
            if producer[t] in computed:
                cy0, cy1, cx0, cx1 = computed[producer[t]]
                filled[cy0 - y0:cy1 - y0, cx0 - x0:cx1 - x0] += 1
            for c in copies:
                if c.dst == "tile":
                    filled[c.dst_at[0]:c.dst_at[0] + c.h, c.dst_at[1]:c.dst_at[1] + c.w] += 1
                else:   # a save reads only what the tile holds, into a cache of the planned shape
                    assert c.src_at[0] + c.h <= y1 - y0 and c.src_at[1] + c.w <= x1 - x0
                    shape = caches[t]
                    rows, width = (shape.rows, shape.width) if c.dst == "rows" else (shape.col_rows, shape.cols)
                    assert c.dst_at[0] + c.h <= rows and c.dst_at[1] + c.w <= width, (t, n, c)
            assert (filled == 1).all(), f"tile {n}, {t}: held pixels filled {sorted(set(filled.ravel()))} times"


def test_caches_are_counted_in_the_arena(plans):
    g, plan, _ = plans
    patch = plan.patch
    base, top = patch["arena_offset"], patch["arena_offset"] + patch["arena_bytes"]
    spans = []
    for t, c in patch["halo_caches"].items():
        for at, rows, cols in (c["rows"], c["cols"]):
            if rows * cols:
                spans.append((at, at + rows * cols * c["channels"]))
    assert spans and all(base <= a < b <= top for a, b in spans)   # inside the planned patch arena
    spans.sort()
    assert all(a[1] <= b[0] for a, b in zip(spans, spans[1:]))      # and apart
    total = sum(b - a for a, b in spans)
    assert sum(r["halo_cache_bytes"] or 0 for r in plan.layers) == total


def test_budget_search_buys_fewest_macs_with_caches():
    """Under a budget with halo=auto the search takes a cached schedule (per-layer MACs) where a
    recomputing one of the same grid would cost more MACs."""
    g = mobilenet_v2(224)
    budget = 340 * 1024
    auto = plan_graph(g, budget_bytes=budget, split="auto", grid="auto", halo="auto")
    recompute = plan_graph(g, budget_bytes=budget, split="auto", grid="auto")
    assert auto.patch["halo"] == "cache" and auto.patch_macs == auto.macs < recompute.patch_macs
    assert auto.arena_bytes <= budget


def test_toolkit_plan_shows_the_caches(tmp_path):
    from engine_cases import int8_path
    from toolkit import zoo
    q = int8_path(zoo.SAMPLES["fashion_cnn"])
    res = CliRunner().invoke(cli, ["plan", str(q)])
    assert res.exit_code == 0 and "planned on the float graph" not in res.output, res.output
    res = CliRunner().invoke(cli, ["plan", "fashion_cnn", "--patches", "4", "--halo", "cache",
                                   "--plot", str(tmp_path / "p.png")])
    assert res.exit_code == 0, res.output
    assert "halos cached (+0.0% MACs)" in res.output and "cache kB" in res.output
    assert "planned on the float graph" in res.output   # the sample's float model: Relu as ops of their own
    assert (tmp_path / "p.png").stat().st_size > 10_000
    res = CliRunner().invoke(cli, ["plan", "fashion_cnn", "--patches", "4", "--halo", "lines_narrow"])
    assert res.exit_code == 0, res.output
    assert "tiles cut on the input, halos cached narrow" in res.output
    res = CliRunner().invoke(cli, ["plan", "fashion_cnn", "--patches", "4", "--halo", "sometimes"])
    assert res.exit_code != 0 and "sometimes" in res.output


@pytest.fixture(scope="module", params=[(96, (4, 4)), (144, (8, 6))], ids=lambda c: f"mnv2_{c[0]}_{c[1][0]}x{c[1][1]}")
def line_plans(request):
    """Tiles cut on the input at the last split the grid fits (line buffers), every halo cached and with expansions
    recomputed, beside the output-cut cached plan of the same split and grid."""
    from engine_cases import valid_splits
    res, grid = request.param
    g = mobilenet_v2(res)
    split = [s for s in valid_splits(g) if min(g.tensors[g.op(s).outputs[0]].shape[1:3]) >= max(grid)][-1]
    return (g, plan_graph(g, split=split, grid=grid, halo="lines"),
            plan_graph(g, split=split, grid=grid, halo="lines_narrow"),
            plan_graph(g, split=split, grid=grid, halo="cache"))


def test_lines_compute_every_pixel_once_and_hold_no_receptive_field(line_plans):
    g, lines, _, cached = line_plans
    assert lines.patch_macs == lines.macs
    check_held_regions(g, lines)
    area = {}
    for tile in lines.tiles():
        for o in tile.ops:
            y0, y1, x0, x1 = o.output
            area.setdefault(o.op, np.zeros(g.tensors[g.op(o.op).outputs[0]].shape[1:3], np.int32))[y0:y1, x0:x1] += 1
    assert all((c == 1).all() for c in area.values()), "a pixel computed twice, or never"
    # the first tiles advance the early layers only: the stage output is not in every tile
    out = g.op(lines.split).name
    assert any(all(o.op != out for o in t.ops) for t in lines.tiles())
    # an output-cut tile holds its receptive field (the first tile all of it): the input cut does not
    biggest = max(lines.patch["tensor_bytes"].values())
    assert biggest < max(cached.patch["tensor_bytes"].values())


def test_lines_narrow_recompute_expansions_instead_of_caching_them(line_plans):
    g, lines, narrow, _ = line_plans
    channels = {n: t.shape[-1] for n, t in g.tensors.items()}
    expansions = {op.outputs[0] for op in g.ops if op.name in narrow.patch["stage_ops"] and op.kind.value == "conv"
                  and op.attrs.kernel == (1, 1) and channels[op.inputs[0]] < channels[op.outputs[0]]}
    assert expansions & set(lines.patch["halo_caches"])
    assert not expansions & set(narrow.patch["halo_caches"])
    assert narrow.macs < narrow.patch_macs < 1.5 * narrow.macs
    def cache_bytes(plan):
        return sum(r["halo_cache_bytes"] or 0 for r in plan.layers)
    assert cache_bytes(narrow) < cache_bytes(lines)
    check_held_regions(g, narrow)


def test_a_budget_tries_unequal_bands_for_tiles_cut_on_the_input():
    """Under a budget where tiles cut on the input win, their split also tries every rows x cols
    pair of band counts: fewer MACs fit than on any square grid or full-width rows."""
    g = mobilenet_v2(144)
    budget = 80_000
    plan = plan_graph(g, budget_bytes=budget, split="auto", grid="auto", halo="auto", stream_input=True)
    assert plan.patch["halo"].startswith("lines") and plan.arena_bytes <= budget
    rows, cols = plan.grid
    assert rows != cols and cols != 1
    regular = [r[5] for r in plan.search if (r[1] == r[2] or r[2] == 1) and r[3] <= budget]
    assert plan.patch_macs < min(regular)


def test_narrow_recompute_follows_an_expansion_through_its_activation():
    """A float graph keeps Relu6 as its own op: the expansion's activation is recomputed with it
    (else its wide output would be cached, and `toolkit plan` on the float model would miss the
    saving deploy's int8 graph, activations fused, gets)."""
    from toolkit import zoo
    from toolkit.importer import load_graph
    from toolkit.ir import OpKind
    from toolkit.plan.halo import narrow_recomputed
    from toolkit.plan.regions import WalkCache
    from engine_cases import valid_splits
    from toolkit.plan.patch import stage_output
    g = load_graph(zoo.SAMPLES["mobilenetv2"].onnx_path())
    k = next(i for i, op in enumerate(g.ops) if op.name == valid_splits(g)[-1])
    stage = g.ops[:k + 1]
    out = stage_output(g, k)
    recomputed = narrow_recomputed(g, stage, out, WalkCache(g))
    after = [op for op in stage if op.kind == OpKind.CLAMP and op.inputs[0] in recomputed and op.outputs[0] != out]
    assert after and all(op.outputs[0] in recomputed for op in after)
    assert out not in recomputed   # the stage output is computed once, tile by tile
    assert not any(op.outputs[0] in recomputed for op in stage if op.kind == OpKind.DEPTHWISE)
