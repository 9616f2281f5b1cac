"""The patch stage: run ops[0..k] tile by tile, the rest layer by layer (MCUNetV2).

Memory model (real accounting, what the firmware holds in SRAM):
- during the patch stage: the full input image (by default it arrives over serial into the
  arena before inference), the full stage output buffer (each tile writes its region into it),
  and one patch arena reused by every tile. The patch arena holds the stage's intermediate
  tensors at their largest tile size plus kernel scratch, placed by the same planner;
- ops read their tile's input region straight from the full image / held tensor (a view at an
  offset), so no patch copy of the input is made;
- `stream_input=True` models streaming instead: the host sends the image band by band (the
  input rows of one tile row, full width, in raster order, halo rows sent again) and SRAM holds
  one band, the largest; tile rows then run in order. Off by default, and the Plan says which;
- `halo="cache"` (toolkit.plan.halo): every stage tensor but the output computes each pixel once
  and keeps the rows and columns the next tiles share in a row cache and a column cache, buffers
  of the patch arena alive through the whole stage; their tile buffers shrink too, since a
  consumer reads only what its computed part needs; "cache_cols" caches the columns only (tile
  rows recompute the rows they share: no full-width row caches). "lines" cuts the tiles on the
  stage input instead (toolkit.plan.regions.line_walks: each tile advances every tensor as far as
  the input bands so far allow, so no tile holds a receptive field), halos cached; "lines_narrow"
  also recomputes widening 1x1 outputs from their narrow inputs' caches. Default "recompute" (MCUNetV2);
- after the stage: the rest of the network per layer, with the stage output as its input.
The global arena is planned as one schedule where step 0 is the whole patch stage.

Paper accounting (MCUNetV2): per op, input + output bytes of the tile's tensors (depthwise in
place: max(in, out); so are standalone clamp and reshape), plus the whole stage output buffer; the full input image is not counted,
the input patch is; cached halos add their caches. After the stage, the per-layer paper figure of
each op.

A split after op k is valid when ops[0..k] are all spatially local and exactly one tensor (the
stage output, a 4-D feature map produced by the stage) is read after op k.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from toolkit.ir import Graph, macs
from toolkit.ops import spec
from toolkit.plan.liveness import Buffer, Placement, act_bytes, activation_inputs, build_buffers, place
from toolkit.plan.halo import CacheShape, cache_shapes, narrow_recomputed
from toolkit.plan.regions import (AxisWalk, TileRegions, WalkCache, axis_walks, combine, line_walks, local_reason,
                                  split_even)


def split_reason(graph: Graph, k: int) -> str | None:
    """Why the network cannot be split after op k, or None if it can."""
    stage = graph.ops[:k + 1]
    for op in stage:
        reason = local_reason(graph, op)
        if reason:
            return f"patch stage would contain {reason}"
    produced = {t for op in stage for t in op.outputs} | set(graph.inputs)
    crossing = {t for op in graph.ops[k + 1:] for t in activation_inputs(graph, op) if t in produced}
    crossing |= produced & set(graph.outputs)
    if len(crossing) != 1:
        return f"{len(crossing)} tensors cross the split ({', '.join(sorted(crossing))}); need exactly one"
    (out,) = crossing
    if out in graph.inputs or out in graph.outputs:
        return "the stage would be empty or the whole network"
    return None


def stage_output(graph: Graph, k: int) -> str:
    produced = {t for op in graph.ops[:k + 1] for t in op.outputs}
    return next(t for op in graph.ops[k + 1:] for t in activation_inputs(graph, op) if t in produced)


def paper_op_bytes(graph: Graph, op) -> int:
    ins = sum(act_bytes(graph.tensors[t]) for t in activation_inputs(graph, op))
    out = sum(act_bytes(graph.tensors[t]) for t in op.outputs)
    return max(ins, out) if spec(op.kind).paper_in_place else ins + out


@dataclass
class StagePlan:
    """A split and grid, evaluated: memory and MACs of both accountings."""
    k: int
    grid: tuple[int, int]
    stage_output: str
    rows: list[AxisWalk]
    cols: list[AxisWalk]
    tile_bytes: dict[str, int]       # per tensor, largest tile
    stage_macs: list[int]            # per stage op, summed over tiles
    paper_stage: list[int]           # per stage op, worst tile, incl. stage output buffer
    patch: Placement                 # the patch arena
    whole: Placement                 # step 0 = patch stage, then the rest
    external: list[str]              # full-size tensors the stage reads/writes
    stream_input: bool = False       # the input image is held one band of rows at a time
    halo: str = "recompute"          # "recompute" overlapping halos per tile, or "cache" them
    caches: dict[str, CacheShape] = field(default_factory=dict)   # per cached tensor

    @property
    def peak(self) -> int:
        return self.whole.peak

    def tiles(self, graph: Graph) -> list[TileRegions]:
        ops = graph.ops[:self.k + 1]
        return [combine(graph, ops, r, c, (*r.held[self.stage_output], *c.held[self.stage_output]))
                for r in self.rows for c in self.cols]


def _lengths(ranges: list[dict[str, tuple[int, int]]], t: str) -> np.ndarray:
    """Per walk, the length of t's range (0 where the walk has none): held or computed rows/cols."""
    return np.array([r[t][1] - r[t][0] if t in r else 0 for r in ranges])


# "cache_cols": columns cached, rows recomputed: no full-width row caches (the big ones), half the
# recompute of MCUNetV2's tiles
HALOS = ("recompute", "cache", "cache_cols", "lines", "lines_narrow")


def cut_on_input(halo: str) -> bool:
    """Halo modes whose tiles are cut on the stage input (toolkit.plan.regions.line_walks)."""
    return halo in ("lines", "lines_narrow")


def evaluate_stage(graph: Graph, k: int, grid: tuple[int, int], in_place: bool = True,
                   planner: str = "greedy", align: int = 4, stream_input: bool = False,
                   cache: WalkCache | None = None, halo: str = "recompute") -> StagePlan:
    """Plan the split after op k with a rows x cols grid (caller checked `split_reason`).
    `halo="cache"` raises toolkit.plan.regions.NotCacheable for a stage that cannot cache."""
    if halo not in HALOS:
        raise ValueError(f"halo must be one of {HALOS}, not {halo!r}")
    cache = cache or WalkCache(graph)
    ops = graph.ops[:k + 1]
    out = stage_output(graph, k)
    _, h, w, _ = graph.tensors[out].shape
    if not cut_on_input(halo) and (grid[0] > h or grid[1] > w):
        raise ValueError(f"grid {grid[0]}x{grid[1]} finer than the {h}x{w} stage output")
    in_h, in_w = graph.tensors[graph.inputs[0]].shape[1:3]
    if cut_on_input(halo) and (grid[0] > in_h or grid[1] > in_w):
        raise ValueError(f"grid {grid[0]}x{grid[1]} finer than the {in_h}x{in_w} input it cuts")
    cached, rows_cached = halo != "recompute", halo not in ("recompute", "cache_cols")
    recomputed = narrow_recomputed(graph, ops, out, cache) if halo == "lines_narrow" else frozenset()
    if halo == "lines_narrow" and not recomputed:
        halo = "lines"   # no expansion in the stage: say what runs

    def walks(axis: int, parts: int) -> list[AxisWalk]:
        key = (k, axis, parts, halo)
        if key not in cache.walks:
            cache.walks[key] = (line_walks(graph, ops, out, parts, axis, cache, recomputed) if cut_on_input(halo) else
                                axis_walks(graph, ops, out, split_even((h, w)[axis - 1], parts), axis, cache,
                                           rows_cached if axis == 1 else cached))
        return cache.walks[key]

    rows, cols = walks(1, grid[0]), walks(2, grid[1])
    tensors = list(dict.fromkeys(t for r in rows for t in r.held))   # cut on the input: not all in the first
    hs = {t: _lengths([r.held for r in rows], t) for t in tensors}
    ws = {t: _lengths([c.held for c in cols], t) for t in tensors}
    chans = {t: graph.tensors[t].shape[3] for t in tensors}
    tile_bytes = {t: int(hs[t].max() * ws[t].max() * chans[t]) for t in tensors}

    external = list(graph.inputs) + [out]
    out_bytes = act_bytes(graph.tensors[out])
    caches = cache_shapes(rows, cols, [op.outputs[0] for op in ops if op.outputs[0] in hs and op.outputs[0] != out
                                       and op.outputs[0] not in recomputed],
                          rows_cached) if cached else {}
    cache_bytes = {t: c.pixels() * chans[t] for t, c in caches.items()}
    stage_macs, paper = [], []
    for op in ops:
        o = op.outputs[0]
        if o not in hs:
            stage_macs.append(0)
            paper.append(0)
            continue
        t_out = graph.tensors[o]
        per_px = macs(graph, op) // (t_out.shape[1] * t_out.shape[2])
        computed = _lengths([r.computed for r in rows], o).sum() * _lengths([c.computed for c in cols], o).sum()
        stage_macs.append(int(computed * per_px))
        ins = sum(np.outer(hs[t], ws[t]) * chans[t] for t in cache.acts[op.name])
        outs = 0 if o == out else np.outer(hs[o], ws[o]) * chans[o]
        per_tile = np.maximum(ins, outs) if spec(op.kind).paper_in_place else ins + outs
        paper.append(int(np.max(per_tile)) + out_bytes + sum(cache_bytes.values()))

    buffers = build_buffers(graph, ops, tile_bytes, frozenset(external), in_place, acts=cache.acts,
                            no_alias=frozenset(caches))
    buffers += [Buffer(b, 0, len(ops) - 1, [], label=f"halo:{t}") for t, b in cache_bytes.items()]
    patch = place(buffers, len(ops), planner, align)
    inputs = {t: act_bytes(graph.tensors[t]) for t in graph.inputs}
    if stream_input:
        inputs = {t: int(hs[t].max()) * graph.tensors[t].shape[2] * chans[t] for t in graph.inputs}
    whole = _whole_schedule(graph, k, out, patch.peak, inputs, in_place, planner, align, cache)
    return StagePlan(k, grid, out, rows, cols, tile_bytes, stage_macs, paper, patch, whole, external, stream_input,
                     halo, caches)


def _whole_schedule(graph: Graph, k: int, out: str, patch_arena: int, inputs: dict[str, int], in_place: bool,
                    planner: str, align: int, cache: WalkCache) -> Placement:
    rest = graph.ops[k + 1:]
    buffers = build_buffers(graph, rest, cache.sizes, in_place=in_place, acts=cache.acts)
    for b in buffers:
        b.first += 1
        b.last += 1
        if out in b.tensors:
            b.first = 0
    buffers.append(Buffer(patch_arena, 0, 0, [], label="patch_arena"))
    buffers.extend(Buffer(size, 0, 0, [t]) for t, size in inputs.items())
    return place(buffers, len(rest) + 1, planner, align)
