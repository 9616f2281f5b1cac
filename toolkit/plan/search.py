"""`plan_graph`: choose a schedule (per-layer, or a patch stage + grid) and build the Plan.

Arguments:
- `split=None`: per-layer only (`grid` must be None).
- `split="auto"` or an op name (the last op of the patch stage); `grid` an int n (n x n), a
  (rows, cols) pair, "auto"/None (search n x n, n = 2..8, and with streamed input n x 1 too), or
  "rows" (n x 1 only: tile rows as wide as the map).
- `budget_bytes`: with a budget, the schedule with the fewest MACs whose real peak fits, then
  tiles cut on the output, the fewest tiles (cached halos tie many grids at per-layer MACs), then
  the lowest peak (when both split and grid are "auto", plain per-layer execution is a candidate
  too); without,
  the schedule with the lowest real peak (ties: fewer MACs). If nothing fits, `BudgetError`
  says the smallest achievable peak among the candidates and by how much it is over.
- `in_place`, `planner` ("greedy" | "linear"), `align`: planner options.
- `stream_input`: patch schedules hold one band of input rows instead of the full image
  (see toolkit.plan.patch); default False: the full image is in SRAM.
- `halo`: "recompute" (default, MCUNetV2) or "cache" the halos neighbouring tiles share
  (toolkit.plan.halo), "cache_cols" (columns only: tile rows recompute their shared rows, no
  full-width row caches), "lines" / "lines_narrow" (tiles cut on the input, line-buffer order:
  toolkit.plan.regions.line_walks; its grid counts input bands, LINE_GRIDS under "auto"), or
  "auto": all are candidates, so a budget buys the fewest MACs that fit (at equal MACs tiles cut
  on the output first, `Candidate.rank`) and no budget the lowest peak. A stage whose regions do
  not allow caching keeps recompute.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from toolkit.ir import Graph, macs
from toolkit.plan.liveness import Placement, plan_per_layer
from toolkit.plan.halo import narrow_recomputed
from toolkit.plan.patch import (HALOS, StagePlan, cut_on_input, evaluate_stage, paper_op_bytes, split_reason,
                               stage_output)
from toolkit.plan.regions import NotCacheable, WalkCache, local_reason, receptive_fields
from toolkit.plan.report import HALO_WORDS
from toolkit.plan.schema import Plan

AUTO_GRIDS = range(2, 9)
LINE_GRIDS = (2, 3, 4, 6, 8, 12, 16)

ACCOUNTING = {
    "real": "arena the firmware declares: every live activation (input image and model outputs "
            "included), in-place ops aliased, kernel scratch; in patch mode the full input image "
            "is in SRAM during the stage (arrives over serial, no streaming modelled)",
    "paper": "MCUNet/MCUNetV2: per op, input + output activation bytes (int8, depthwise in place: "
             "max(in, out)); patch mode: per-tile tensors + the full stage output buffer, full input "
             "image not counted; then the per-layer figure of each op after the stage",
    "stream_input": "if true, the patch stage holds one band of input rows (the host streams the "
                    "image band by band) instead of the full image",
    "macs": "patch_macs sums every op over every tile: halo overlap is recomputed, unless the patch "
            "stage caches its halos (patch.halo), whose caches then count in both peaks",
}


class BudgetError(ValueError):
    """No candidate schedule fits the SRAM budget."""

    def __init__(self, budget: int, best_peak: int, best: str):
        self.budget, self.best_peak, self.over_by = budget, best_peak, best_peak - budget
        super().__init__(f"no schedule fits {budget} B of SRAM: the smallest achievable real peak is "
                         f"{best_peak} B ({best}), {self.over_by} B over budget")


@dataclass
class Candidate:
    stage: StagePlan | None
    peak: int
    paper_peak: int
    macs: int

    def rank(self) -> tuple[int, bool, int, int]:
        return schedule_rank(self.macs, self.stage.halo if self.stage else None,
                             self.stage.grid if self.stage else None, self.peak)

    def describe(self, graph: Graph) -> str:
        if self.stage is None:
            return "per-layer"
        return (f"split after {graph.ops[self.stage.k].name}, {self.stage.grid[0]}x{self.stage.grid[1]} patches"
                + ("" if self.stage.halo == "recompute" else f", {HALO_WORDS[self.stage.halo]}")
                + (", input streamed" if self.stage.stream_input else ""))


def schedule_rank(macs: int, halo: str | None, grid, peak: int) -> tuple[int, bool, int, int]:
    """Under a budget: the fewest MACs, then tiles cut on the output (a cut on the input carries
    rows through its caches, more copies: measured BlazeFace 70.3 M emulated instructions either
    way at a larger arena; it wins where only it fits or it saves MACs), then the fewest tiles
    (cached halos tie many grids at per-layer MACs, and bigger kernel calls run faster: fashion_cnn
    7.6 M emulated instructions per layer, 10.8 M at 7x7 cached, the same MACs), then the lowest
    peak. `halo` and `grid` None: per layer (one tile). toolkit.firmware.make_plan ranks Plans by
    it too, on the firmware arena."""
    return macs, halo is not None and cut_on_input(halo), grid[0] * grid[1] if grid else 1, peak


def _grids(grid, stream_input: bool = False) -> list[tuple[int, int]]:
    """"rows": tile rows as wide as the map (the image arrives band by band and each band's rows
    go through the stage; streamed input also considers them under "auto")."""
    rows = [(n, 1) for n in AUTO_GRIDS]
    if grid == "rows":
        return rows
    if grid is None or grid == "auto":
        return [(n, n) for n in AUTO_GRIDS] + (rows if stream_input else [])
    if isinstance(grid, int):
        return [(grid, grid)]
    return [tuple(grid)]


def _line_grids(grid, stream_input: bool) -> list[tuple[int, int]]:
    """Grids of tiles cut on the input (halo "lines*"): bands of the input, so finer than the stage
    output is fine; more bands, smaller tiles (but more of them)."""
    if grid is None or grid == "auto":
        return [(n, n) for n in LINE_GRIDS] + ([(n, 1) for n in LINE_GRIDS] if stream_input else [])
    if grid == "rows":
        return [(n, 1) for n in LINE_GRIDS]
    return _grids(grid)


def _splits(graph: Graph, split) -> list[int]:
    if split == "auto":
        return [k for k in range(len(graph.ops)) if split_reason(graph, k) is None]
    k = next((i for i, op in enumerate(graph.ops) if op.name == split), None)
    if k is None:
        raise ValueError(f"no op named {split!r} to split after")
    reason = split_reason(graph, k)
    if reason:
        raise ValueError(f"cannot split after {split!r}: {reason}")
    return [k]


def _candidates(graph: Graph, split, grid, budget, opts, per_layer: Placement,
                cache: WalkCache | None = None) -> list[Candidate]:
    op_macs = [macs(graph, op) for op in graph.ops]
    full_macs = sum(op_macs)
    paper = [paper_op_bytes(graph, op) for op in graph.ops]
    # after a split at k: the rest's MACs and paper peak, once per split
    rest = [(sum(op_macs[k + 1:]), max(paper[k + 1:], default=0)) for k in range(len(graph.ops))]
    out = []
    if split is None:
        if grid is not None:
            raise ValueError("a grid needs a split (split='auto' or an op name)")
        return [Candidate(None, per_layer.peak, max(paper), full_macs)]
    if budget is not None and split == "auto" and grid in (None, "auto"):
        out.append(Candidate(None, per_layer.peak, max(paper), full_macs))
    grids = _grids(grid, opts.get("stream_input", False))
    halos = HALOS if opts.get("halo") == "auto" else (opts.get("halo", "recompute"),)
    cache = cache or WalkCache(graph)
    in_h, in_w = graph.tensors[graph.inputs[0]].shape[1:3]
    skipped: set[str] = set()   # why candidates were left out, for the error when none is left
    for halo in halos:   # tiles cut on the output first (HALOS' order)
        lines = cut_on_input(halo)
        if lines and budget is not None and any(c.macs == full_macs and c.peak <= budget for c in out):
            break   # ranked after a cut on the output of the same (per-layer) MACs: cannot be chosen
        for k in _splits(graph, split):
            stage_out = stage_output(graph, k)
            _, h, w, _ = graph.tensors[stage_out].shape
            if (halo == "lines_narrow" and len(halos) > 1
                    and not narrow_recomputed(graph, graph.ops[:k + 1], stage_out, cache)):
                continue   # nothing to recompute: the same schedule as "lines", a candidate already
            for g in (_line_grids(grid, opts.get("stream_input", False)) if lines else grids):
                if (g[0] > h or g[1] > w) if not lines else (g[0] > in_h or g[1] > in_w):
                    skipped.add("the grid is finer than the stage output (than the input, for tiles cut on it)")
                    continue
                try:
                    out.append(_candidate(graph, k, g, halo, opts, cache, rest[k]))
                except NotCacheable as exc:
                    skipped.add(f"halos cannot be cached ({exc})")
    if budget is not None and grid in (None, "auto"):
        out += _refine_lines(graph, out, budget, opts, cache, rest)
    if not out:
        raise ValueError(f"no patch schedule possible for split={split!r}, grid={grid!r}"
                         + (": " + "; ".join(sorted(skipped)) if skipped else ""))
    return out


def _refine_lines(graph: Graph, cands: list[Candidate], budget: int, opts, cache: WalkCache,
                  rest: list[tuple[int, int]]) -> list[Candidate]:
    """Tiles cut on the input are searched on square grids (and rows); where the best of them under
    the budget is the choice so far, its split and mode also try every rows x cols pair of
    LINE_GRIDS: unequal bands trade MACs against memory more finely (MobileNetV2-0.35 under 32 KB:
    8x4 tiles at 1.085x MACs fit where 8x8 took 1.125x), for a few dozen more evaluations."""
    fits = [c for c in cands if c.peak <= budget]
    best = min(fits, key=Candidate.rank, default=None)
    if best is None or best.stage is None or not cut_on_input(best.stage.halo):
        return []
    k, halo = best.stage.k, best.stage.halo
    tried = {c.stage.grid for c in cands if c.stage and c.stage.k == k and c.stage.halo == halo}
    in_h, in_w = graph.tensors[graph.inputs[0]].shape[1:3]
    out = []
    for g in ((r, c) for r in LINE_GRIDS for c in LINE_GRIDS if r <= in_h and c <= in_w):
        if g not in tried:
            try:
                out.append(_candidate(graph, k, g, halo, opts, cache, rest[k]))
            except NotCacheable:
                continue
    return out


def _candidate(graph: Graph, k: int, grid: tuple[int, int], halo: str, opts, cache: WalkCache,
               rest: tuple[int, int]) -> Candidate:
    """The split after op k on `grid` with `halo`, evaluated (`rest`: the MACs and paper peak of the
    ops after k); raises NotCacheable as evaluate_stage does."""
    st = evaluate_stage(graph, k, grid, cache=cache, **dict(opts, halo=halo))
    return Candidate(st, st.peak, max(max(st.paper_stage), rest[1]), sum(st.stage_macs) + rest[0])


def _choose(graph: Graph, cands: list[Candidate], budget: int | None) -> Candidate:
    if budget is None:
        return min(cands, key=lambda c: (c.peak, c.macs))
    fits = [c for c in cands if c.peak <= budget]
    if not fits:
        best = min(cands, key=lambda c: (c.peak, c.macs))
        raise BudgetError(budget, best.peak, best.describe(graph))
    return min(fits, key=Candidate.rank)


def plan_graph(graph: Graph, budget_bytes: int | None = None, split: str | None = None,
               grid: int | tuple[int, int] | str | None = None, *, in_place: bool = True,
               planner: str = "greedy", align: int = 4, stream_input: bool = False, halo: str = "recompute",
               arena_of: Callable[[Plan], int] | None = None, walk_cache: WalkCache | None = None) -> Plan:
    """`arena_of`: what a Plan really costs in the firmware (codegen's firmware_arena: the plan plus
    anything the executor adds); with a budget, the search then checks that figure, not the plan's.
    `walk_cache`: a WalkCache of `graph` shared by several calls (their walks are computed once)."""
    opts = dict(in_place=in_place, planner=planner, align=align)
    per_layer = plan_per_layer(graph, **opts)
    if halo not in (*HALOS, "auto"):
        raise ValueError(f"halo must be one of {(*HALOS, 'auto')}, not {halo!r}")
    cands = _candidates(graph, split, grid, budget_bytes, dict(opts, stream_input=stream_input, halo=halo), per_layer,
                        walk_cache)
    if budget_bytes is not None and arena_of is not None:
        return _choose_by_arena(graph, cands, per_layer, budget_bytes, opts, arena_of)
    chosen = _choose(graph, cands, budget_bytes)
    return _build_plan(graph, chosen, per_layer, budget_bytes, opts, cands)


def _choose_by_arena(graph: Graph, cands: list[Candidate], per_layer: Placement, budget: int, opts,
                     arena_of: Callable[[Plan], int]) -> Plan:
    """The fewest MACs whose firmware arena fits; candidates whose plan alone is over are skipped."""
    best = None
    for c in sorted((c for c in cands if c.peak <= budget), key=Candidate.rank):
        plan = _build_plan(graph, c, per_layer, budget, opts, cands)
        arena = arena_of(plan)
        if arena <= budget:
            return plan
        best = min(best or (arena, c), (arena, c), key=lambda t: t[0])
    if best is None:
        low = min(cands, key=lambda c: (c.peak, c.macs))
        raise BudgetError(budget, low.peak, low.describe(graph))
    raise BudgetError(budget, best[0], best[1].describe(graph) + ", with the executor's staging")


def _io_offsets(op, offsets: dict[str, int]) -> dict[str, list]:
    return {"inputs": [offsets.get(t) for t in op.inputs if t in offsets],
            "outputs": [offsets.get(t) for t in op.outputs]}


def _patch_offsets(st: StagePlan) -> tuple[int, dict[str, int], dict[str, int]]:
    whole = st.whole
    base = next(whole.offset_of_buffer(i) for i, b in enumerate(whole.buffers) if b.label == "patch_arena")
    local = {t: base + o for t, o in st.patch.tensor_offsets().items()}
    return base, local, whole.tensor_offsets()


def _layer_rows(graph: Graph, per_layer: Placement, st: StagePlan | None) -> list[dict]:
    rf = receptive_fields(graph)
    offsets = per_layer.tensor_offsets()
    live = per_layer.live_bytes()
    if st is not None:
        _, local, full = _patch_offsets(st)
        both = {**full, **local}
        patch_live, whole_live = st.patch.live_bytes(), st.whole.live_bytes()
        fixed = whole_live[0] - st.patch.peak  # input image + stage output, alive through the stage
    rows = []
    for i, op in enumerate(graph.ops):
        out = graph.tensors[op.outputs[0]]
        row = {"name": op.name, "kind": op.kind.value, "output_shape": list(out.shape),
               "macs": macs(graph, op), "per_layer_bytes": live[i],
               "paper_per_layer_bytes": paper_op_bytes(graph, op),
               "receptive_field": rf.get(op.outputs[0]), "offsets": _io_offsets(op, offsets),
               "in_stage": False, "patch_macs": None, "patch_bytes": None, "paper_patch_bytes": None,
               "patch_offsets": None, "halo_cache_bytes": None}
        if st is not None:
            row["patch_offsets"] = _io_offsets(op, both)
            if i <= st.k:
                row.update(in_stage=True, patch_macs=st.stage_macs[i], patch_bytes=fixed + patch_live[i],
                           paper_patch_bytes=st.paper_stage[i])
                if op.outputs[0] in st.caches:
                    c = st.caches[op.outputs[0]]
                    row["halo_cache_bytes"] = c.pixels() * graph.tensors[op.outputs[0]].shape[3]
            else:
                row.update(patch_macs=row["macs"], patch_bytes=whole_live[i - st.k],
                           paper_patch_bytes=row["paper_per_layer_bytes"])
        rows.append(row)
    return rows


def _patch_section(graph: Graph, st: StagePlan) -> dict:
    base, local, full = _patch_offsets(st)
    rf = receptive_fields(graph)
    img = graph.inputs[0]
    input_patch = [max(r.held[img][1] - r.held[img][0] for r in st.rows if img in r.held),
                   max(c.held[img][1] - c.held[img][0] for c in st.cols if img in c.held)]
    tiles = []
    for n, t in enumerate(st.tiles(graph)):
        tiles.append({"index": [n // st.grid[1], n % st.grid[1]], "output_region": list(t.output),
                      "tensors": {k: list(v) for k, v in t.tensors.items()},
                      "ops": [{"op": o.op, "output_region": list(o.output),
                               "inputs": [{"tensor": x.tensor, "region": list(x.region), "pad": list(x.pad),
                                           "pad_value": x.pad_value} for x in o.inputs]} for o in t.ops]})
    return {"stage_ops": [op.name for op in graph.ops[:st.k + 1]], "stage_inputs": list(graph.inputs),
            "stage_output": st.stage_output, "receptive_field": rf[st.stage_output], "input_patch": input_patch,
            "arena_offset": base, "arena_bytes": st.patch.peak, "tensor_offsets": local,
            "tensor_bytes": {t: st.tile_bytes[t] for t in local},
            "scratch": {k: [base + o, s] for k, (o, s) in st.patch.scratch_offsets().items()},
            "full_tensor_offsets": full,
            # a tile row that needs no new input rows (cached halos) has an empty band
            "bands": [list(r.held.get(img, (0, 0))) for r in st.rows] if st.stream_input else None,
            "band_bytes": (max(r.held[img][1] - r.held[img][0] for r in st.rows if img in r.held)
                           * graph.tensors[img].shape[2]
                           * graph.tensors[img].shape[3]) if st.stream_input else None,
            "rest_scratch": {k: [o, s] for k, (o, s) in st.whole.scratch_offsets().items()},
            "halo": st.halo, "halo_caches": _halo_caches(graph, st, base),
            "tiles": tiles}


def _halo_caches(graph: Graph, st: StagePlan, base: int) -> dict[str, dict]:
    """Per cached tensor: its row cache and column cache [offset, rows, cols] (pixels of `channels`
    bytes; rows x cols 0: none), offsets absolute in the arena."""
    offset = {b.label: base + st.patch.offset_of_buffer(i) for i, b in enumerate(st.patch.buffers) if b.label}
    out = {}
    for t, c in st.caches.items():
        at = offset[f"halo:{t}"]
        out[t] = {"channels": graph.tensors[t].shape[3], "rows": [at, c.rows, c.width],
                  "cols": [at + c.rows * c.width * graph.tensors[t].shape[3], c.col_rows, c.cols]}
    return out


def _build_plan(graph: Graph, chosen: Candidate, per_layer: Placement, budget, opts, cands) -> Plan:
    st = chosen.stage
    rows = _layer_rows(graph, per_layer, st)
    search = [[graph.ops[c.stage.k].name if c.stage else None, *(c.stage.grid if c.stage else (None, None)),
               c.peak, c.paper_peak, c.macs, c.stage.halo if c.stage else None] for c in cands]
    return Plan(
        model=graph.name, budget_bytes=budget,
        split=graph.ops[st.k].name if st else None, grid=list(st.grid) if st else None,
        arena_bytes=chosen.peak, per_layer_peak_bytes=per_layer.peak,
        patch_peak_bytes=st.peak if st else None,
        paper_per_layer_peak_bytes=max(r["paper_per_layer_bytes"] for r in rows),
        paper_patch_peak_bytes=max(r["paper_patch_bytes"] for r in rows) if st else None,
        macs=sum(r["macs"] for r in rows), patch_macs=sum(r["patch_macs"] for r in rows) if st else None,
        layers=rows, tensor_offsets=per_layer.tensor_offsets(),
        scratch={k: list(v) for k, v in per_layer.scratch_offsets().items()},
        patch=_patch_section(graph, st) if st else None,
        planner=opts["planner"], in_place=opts["in_place"], align=opts["align"],
        stream_input=bool(st and st.stream_input),
        accounting=dict(ACCOUNTING), search=search, stage_limit=_stage_limit(graph))


def _stage_limit(graph: Graph) -> dict[str, str] | None:
    """The first op no patch stage can contain, and why."""
    for op in graph.ops:
        reason = local_reason(graph, op)
        if reason:
            return {"op": op.name, "reason": reason}
    return None
