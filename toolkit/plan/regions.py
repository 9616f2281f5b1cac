"""Tile regions: walking kernels, strides, dilation and padding backwards through a patch stage.

Coordinates are NHWC rows (axis 1) and columns (axis 2) of each tensor, half-open ranges.
A region is (y0, y1, x0, x1); padding is (top, left, bottom, right).

For one tile of the stage output, `tile_regions(graph, stage_ops, stage_output, region)`
returns, per op of the stage in execution order, an `OpRegion`:
- `output`: the region of the op's output tensor this tile computes (the bounding box of what
  every consumer in the stage needs, or the tile itself for the stage output);
- `inputs`: per activation input, an `InputRegion` with
  - `region`: the input rows/cols the op reads, in that input tensor's own coordinates, already
    clipped to the tensor (never negative, never past its size);
  - `pad`: (top, left, bottom, right) rows/cols of padding to add around `region` before
    running the op as a dense kernel with zero padding of its own. Nonzero only where the
    region touches the tensor border, so a tile's halo is asymmetric at image borders;
  - `pad_value`: "zero_point" (conv, depthwise, pad: the input's zero point, i.e. real 0) or
    "min" (maxpool: -128, never selected).
Also `tensors`: the region held for each tensor in this tile (for every tensor the stage reads
or writes). A consumer's input region always lies inside the held region of that tensor, so the
golden model and the C engine read it at offset (region.y0 - held.y0, region.x0 - held.x0).

Running a tile: for each OpRegion in order, take `inputs[k].region` of each input, pad it by
`pad`, run the op with its own padding set to zero (stride and dilation unchanged); the result
is exactly `output` of the op's output tensor.

Rows and columns are independent, so the walk runs once per tile row and once per tile column
(`axis_walk`) and a tile's regions are the products; searching is cheap.

Cached halos (`axis_walks(..., cached=True)`, StreamNet's reuse): walking the tile rows (columns)
in order, a stage tensor's part that the previous tile row (column) already holds is not
recomputed; `output` is then only the rest of the held region (empty: the op does not run in the
tile), consumers read only what that rest needs, and toolkit.plan.halo copies the held part from
the caches. The stage output is never cached (tiles partition it).

Tiles cut on the input (`line_walks`, halo "lines"): the walks are made forward from bands of the
stage input instead of backward from a split of its output, with held regions of the same form,
so the rest (caches, copies, golden schedule, executor) is unchanged.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from toolkit.ir import Graph, Op
from toolkit.ops import Window, spec
from toolkit.plan.liveness import act_bytes, activation_inputs

Range = tuple[int, int]
Region = tuple[int, int, int, int]

def window(op: Op, axis: int) -> Window:
    """The 1-D sliding window of `op` along IR axis 1 (rows) or 2 (columns)."""
    return spec(op.kind).window(op, axis)


def local_reason(graph: Graph, op: Op) -> str | None:
    """Why `op` cannot run patch by patch, or None if it can."""
    s = spec(op.kind)
    if not s.local:
        return f"{op.name} ({op.kind.value}) is not spatially local"
    reason = s.local_check(graph, op)
    if reason:
        return reason
    for t in activation_inputs(graph, op) + op.outputs:
        if len(graph.tensors[t].shape) != 4:
            return f"{op.name} has a non-NHWC tensor {t}"
    return None


def input_range(win: Window, out: Range, length: int) -> tuple[Range, int, int]:
    """Input range (clipped) and (pad_before, pad_after) needed to compute output rows `out`."""
    lo = out[0] * win.stride - win.pad_before
    hi = (out[1] - 1) * win.stride - win.pad_before + (win.kernel - 1) * win.dilation + 1
    return (max(lo, 0), min(hi, length)), max(0, -lo), max(0, hi - length)


def split_even(length: int, parts: int) -> list[Range]:
    bounds = [i * length // parts for i in range(parts + 1)]
    return [(bounds[i], bounds[i + 1]) for i in range(parts)]


@dataclass
class AxisWalk:
    """One tile row (or column) walked back through the stage along one axis."""
    held: dict[str, Range] = field(default_factory=dict)                   # per tensor
    reads: dict[str, list[tuple[Range, int, int]]] = field(default_factory=dict)  # per op run, per input
    computed: dict[str, Range] = field(default_factory=dict)               # per op output held: the part
                                                                           # the op computes (the rest is cached)


class NotCacheable(ValueError):
    """A stage whose held regions do not move forward monotonically, so halos cannot be cached."""


def cached_end(prev: Range | None, cur: Range) -> int:
    """End of the part of `cur` the previous tile (along this axis) already holds: `cur` from there
    on is computed, before it comes from the halo cache (cur[0] when nothing is shared)."""
    if prev is None or prev[1] <= cur[0]:
        return cur[0]
    if prev[0] > cur[0]:
        raise NotCacheable(f"held range {cur} starts before the previous tile's {prev}")
    return min(prev[1], cur[1])


def axis_walk(graph: Graph, stage_ops: list[Op], stage_output: str, out: Range, axis: int,
              cache: "WalkCache | None" = None, prev: AxisWalk | None = None) -> AxisWalk:
    """`prev` (cached halos): the previous tile's walk along this axis; each stage tensor but the
    stage output then computes only what `prev` does not hold, and its consumers read only that."""
    cache = cache or WalkCache(graph)
    w = AxisWalk(held={stage_output: out})
    for op in reversed(stage_ops):
        t = op.outputs[0]
        o = w.held.get(t)
        if o is None:
            continue  # output not needed by this tile (dead op)
        if prev is not None and t != stage_output:
            o = (cached_end(prev.held.get(t), o), o[1])
        w.computed[t] = o
        if o[0] >= o[1]:
            continue  # wholly cached: the op does not run in this tile
        win = cache.window(op, axis)
        reads = []
        for t in cache.acts[op.name]:
            rng, pb, pa = input_range(win, o, cache.shapes[t][axis])
            reads.append((rng, pb, pa))
            prev_held = w.held.get(t)
            w.held[t] = rng if prev_held is None else (min(prev_held[0], rng[0]), max(prev_held[1], rng[1]))
        w.reads[op.name] = reads
    return w


def _computable(win: Window, avail: int, length: int, out_length: int) -> int:
    """How many leading output rows can be computed from rows [0, avail) of an input of `length`."""
    if avail >= length:
        return out_length
    return max(0, min(out_length, (avail - 1 + win.pad_before - (win.kernel - 1) * win.dilation) // win.stride + 1))


def _hull(a: Range | None, b: Range) -> Range:
    return b if a is None else (min(a[0], b[0]), max(a[1], b[1]))


def line_walks(graph: Graph, stage_ops: list[Op], stage_output: str, parts: int, axis: int,
               cache: "WalkCache | None" = None, recomputed: frozenset[str] = frozenset()) -> list[AxisWalk]:
    """Tiles cut on the stage input instead of its output (line-buffer order): the input is split
    into `parts` even bands along `axis`, and in walk i every stage tensor computes the rows the
    bands so far allow that it has not computed yet (a frontier moving forward), so no tile holds
    a receptive field's worth of rows, the first included; the stage output may get none.
    Halos are cached: a tensor holds what this walk computes plus the earlier rows this or a
    later walk still reads (toolkit.plan.halo copies them from the caches), except tensors in
    `recomputed`, which compute exactly what their consumers read in the walk (a narrow tensor's
    cache then serves the halo instead of their own). Raises NotCacheable for a stage with more
    than one input."""
    cache = cache or WalkCache(graph)
    recomputed = recomputed - {stage_output}   # computed once, tile by tile, as in every schedule
    produced = {op.outputs[0] for op in stage_ops}
    sources = {t for op in stage_ops for t in cache.acts[op.name] if t not in produced}
    if len(sources) != 1:
        raise NotCacheable(f"a stage reading {len(sources)} inputs cannot be cut on its input")
    (src,) = sources
    frontiers = []
    for _, hi in split_even(cache.shapes[src][axis], parts):
        f = {src: hi}
        for op in stage_ops:
            t = op.outputs[0]
            win = cache.window(op, axis)
            f[t] = min(_computable(win, f[x], cache.shapes[x][axis], cache.shapes[t][axis])
                       for x in cache.acts[op.name])
        frontiers.append(f)
    walks, needs = [], []
    for i, f in enumerate(frontiers):
        before = frontiers[i - 1] if i else {}
        w, need = AxisWalk(), {}
        for op in reversed(stage_ops):
            t = op.outputs[0]
            o = need.get(t) if t in recomputed else (before.get(t, 0), f[t])
            if o is None:
                continue
            w.computed[t] = o
            if o[0] >= o[1]:
                continue
            win = cache.window(op, axis)
            reads = []
            for x in cache.acts[op.name]:
                rng, pb, pa = input_range(win, o, cache.shapes[x][axis])
                reads.append((rng, pb, pa))
                need[x] = _hull(need.get(x), rng)
            w.reads[op.name] = reads
        walks.append(w)
        needs.append(need)
    for i, w in enumerate(walks):
        for t, o in w.computed.items():
            if t == stage_output or t in recomputed:
                w.held[t] = o
                continue
            later = [n[t][0] for n in needs[i:] if t in n]
            lo = min([o[0], *later])
            if lo < o[1]:
                w.held[t] = (lo, o[1])
        if src in needs[i]:
            w.held[src] = needs[i][src]
    return walks


def axis_walks(graph: Graph, stage_ops: list[Op], stage_output: str, ranges: list[Range], axis: int,
               cache: "WalkCache | None" = None, cached: bool = False) -> list[AxisWalk]:
    """One walk per tile row (axis 1) or column (axis 2), in order; `cached`: each reuses what the
    previous one holds (raises NotCacheable when the stage does not allow it)."""
    walks: list[AxisWalk] = []
    for rng in ranges:
        walks.append(axis_walk(graph, stage_ops, stage_output, rng, axis, cache,
                               walks[-1] if cached and walks else None))
    return walks


class WalkCache:
    """Per-graph lookups the search repeats thousands of times (activation inputs, windows, shapes),
    and the walks themselves (`walks`, filled by toolkit.plan.patch.evaluate_stage: they depend on
    the split, the axis, the tile count and the halo mode only, not on streaming or in-place ops,
    so one cache serves all of deploy's planner runs on a graph)."""

    def __init__(self, graph: Graph):
        self.acts = {op.name: activation_inputs(graph, op) for op in graph.ops}
        self.shapes = {n: t.shape for n, t in graph.tensors.items()}
        self.sizes = {n: act_bytes(t) for n, t in graph.tensors.items() if not t.is_const}
        self._windows: dict[tuple[str, int], Window] = {}
        self.walks: dict[tuple[int, int, int, str], list[AxisWalk]] = {}

    def window(self, op: Op, axis: int) -> Window:
        key = (op.name, axis)
        if key not in self._windows:
            self._windows[key] = window(op, axis)
        return self._windows[key]


@dataclass
class InputRegion:
    tensor: str
    region: Region
    pad: tuple[int, int, int, int]
    pad_value: str = "zero_point"


@dataclass
class OpRegion:
    op: str
    output: Region
    inputs: list[InputRegion]


@dataclass
class TileRegions:
    output: Region
    ops: list[OpRegion]
    tensors: dict[str, Region]


def combine(graph: Graph, stage_ops: list[Op], rows: AxisWalk, cols: AxisWalk, output: Region) -> TileRegions:
    tensors = {t: (*rows.held[t], *cols.held[t]) for t in rows.held if t in cols.held}
    ops = []
    for op in stage_ops:
        if op.name not in rows.reads or op.name not in cols.reads:
            continue  # not needed, or wholly cached, in this tile
        pad_value = spec(op.kind).pad_value
        ins = [InputRegion(t, (*r[0], *c[0]), (r[1], c[1], r[2], c[2]), pad_value)
               for t, r, c in zip(activation_inputs(graph, op), rows.reads[op.name], cols.reads[op.name])]
        o = op.outputs[0]
        ops.append(OpRegion(op.name, (*rows.computed[o], *cols.computed[o]), ins))
    return TileRegions(output, ops, tensors)


def tile_regions(graph: Graph, stage_ops: list[Op], stage_output: str, region: Region) -> TileRegions:
    """Per-op input regions and border padding for one tile (see the module docstring)."""
    rows = axis_walk(graph, stage_ops, stage_output, (region[0], region[1]), 1)
    cols = axis_walk(graph, stage_ops, stage_output, (region[2], region[3]), 2)
    return combine(graph, stage_ops, rows, cols, region)


def receptive_fields(graph: Graph) -> dict[str, int]:
    """Receptive field (rows, on the graph input) of every spatial tensor; global ops make it the input size."""
    rf: dict[str, tuple[int, int]] = {t: (1, 1) for t in graph.inputs}  # (field, jump)
    out = {}
    for op in graph.ops:
        ins = [rf[t] for t in activation_inputs(graph, op) if t in rf]
        if not ins:
            continue
        field_, jump = max(ins)
        if spec(op.kind).local:
            win = window(op, 1)
            field_, jump = field_ + (win.kernel - 1) * win.dilation * jump, jump * win.stride
        else:
            field_ = max(graph.tensors[t].shape[1] for t in graph.inputs if len(graph.tensors[t].shape) == 4)
        for t in op.outputs:
            rf[t] = (field_, jump)
            out[t] = field_
    return out
