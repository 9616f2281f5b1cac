"""Cached halos: the caches a patch stage keeps and the copies each tile makes (StreamNet's reuse).

With cached halos (toolkit.plan.regions.axis_walks(cached=True)), a stage tensor T that tile
(r, c) holds as rows [y0, y1) x cols [x0, x1) is put together from three parts:
- cols [x0, cx), every row: what tile (r, c-1) held of them, from T's column cache;
- rows [y0, ry) of cols [cx, x1): what tile (r-1, c) held of them, from T's row cache;
- [ry, y1) x [cx, x1): computed by T's producer in this tile (its OpRegion.output).
Right after the producer runs (or would run: a wholly cached tensor still gets its copies), the
tile fills the first two parts, then saves what the next tiles need: the columns it shares with
tile (r, c+1) into the column cache, the rows it shares with tile row r+1 into the row cache at
their own columns. Copies run in that order, which makes one cache per kind enough: a fill
reads before the save overwrites, and tile (r, c+1) reads the row cache only at columns from
tile (r, c)'s held end on, which tile (r, c) does not write.

The caches (per tensor, alive through the whole stage, planned in the patch arena):
- row cache: `rows` x `width` x C, `rows` = the most rows two consecutive tile rows share,
  `width` = the tensor's widest held end (columns are absolute);
- column cache: `col_rows` x `cols` x C, the tallest held region by the most columns two
  neighbouring tiles share.
Each pixel of a stage tensor is then computed once (zero recompute); the copies move halo bytes.
With halo "cache_cols" only the column parts exist: tile rows recompute the rows they share, and
no tensor has a row cache (the full-width ones, the largest).
"""
from __future__ import annotations

from dataclasses import dataclass

from toolkit.ir import Graph, Op
from toolkit.ops import InPlace, spec
from toolkit.plan.regions import AxisWalk, NotCacheable, Range, Region, TileRegions, WalkCache, cached_end


@dataclass(frozen=True)
class Copy:
    """h x w pixels from one buffer of a tensor to another: "tile" (its tile buffer, held-region
    coordinates), "rows" or "cols" (its caches)."""
    src: str
    dst: str
    src_at: tuple[int, int]   # (row, col) in the source buffer
    dst_at: tuple[int, int]
    h: int
    w: int


@dataclass(frozen=True)
class CacheShape:
    rows: int       # row cache: rows of `width` pixels
    width: int
    col_rows: int   # column cache: rows of `cols` pixels
    cols: int

    def pixels(self) -> int:
        return self.rows * self.width + self.col_rows * self.cols


def narrow_recomputed(graph: Graph, stage_ops: list[Op], stage_output: str, cache: WalkCache) -> frozenset[str]:
    """The tensors halo "lines_narrow" recomputes instead of caching: outputs of pointwise ops
    (1x1, stride 1) that widen their one input, an inverted bottleneck's expansion, and of the
    elementwise activations after one (a float graph's separate Relu6). Their halo rows then come
    from the narrow input's cache (MobileNetV2-0.35's 72-wide expansion to 48 channels: a 576 B
    row instead of 3,456 B) at the price of recomputing the 1x1 conv on them. Never the stage output
    (tiles compute each of its pixels once, in every schedule)."""
    out = set()
    for op in stage_ops:
        acts = cache.acts[op.name]
        wins = [cache.window(op, axis) for axis in (1, 2)]
        t = op.outputs[0]
        if len(acts) != 1 or not all(w.kernel == 1 and w.stride == 1 for w in wins):
            continue
        widens = cache.shapes[acts[0]][3] < cache.shapes[t][3]
        if widens or (acts[0] in out and spec(op.kind).in_place == InPlace.ALWAYS):
            out.add(t)
    return frozenset(out - {stage_output})


def _neighbour(grid: tuple[int, int], n: int, dy: int, dx: int) -> int | None:
    i, j = divmod(n, grid[1])
    i, j = i + dy, j + dx
    return i * grid[1] + j if 0 <= i < grid[0] and 0 <= j < grid[1] else None


def _shared_range(a: Range | None, b: Range | None) -> int:
    return cached_end(a, b) - b[0] if a is not None and b is not None else 0


def _most_shared(walks: list[AxisWalk], t: str) -> int:
    return max((_shared_range(a.held.get(t), b.held.get(t)) for a, b in zip(walks, walks[1:])), default=0)


def _check_row_cache(cols: list[AxisWalk], t: str) -> None:
    """A tile reads the row cache where no earlier tile of its row has saved the next row's part
    (true when held ranges move forward; a tile column that does not hold t could break it)."""
    saved = 0
    for prev, col in zip([None, *cols], cols):
        held = col.held.get(t)
        if held is None:
            continue
        start = held[0] + _shared_range(prev.held.get(t) if prev else None, held)
        if start < min(saved, held[1]):
            raise NotCacheable(f"{t}: a tile would read row-cache columns from {start} that an earlier "
                               f"tile of its row has overwritten up to {saved}")
        saved = max(saved, held[1])


def cache_shapes(rows: list[AxisWalk], cols: list[AxisWalk], tensors: list[str],
                 rows_cached: bool = True) -> dict[str, CacheShape]:
    """The caches of `tensors` (what the stage computes, but its output) from the walks of the tile
    rows and columns; none for a tensor that no two neighbouring tiles share. `rows_cached` False:
    tile rows recompute their shared rows (no row cache), only columns are cached."""
    out = {}
    for t in tensors:
        k, j = _most_shared(rows, t) if rows_cached else 0, _most_shared(cols, t)
        if k:
            _check_row_cache(cols, t)
        if k or j:
            out[t] = CacheShape(k, max(c.held[t][1] for c in cols if t in c.held) if k else 0,
                                max(r.held[t][1] - r.held[t][0] for r in rows if t in r.held) if j else 0, j)
    return out


def tile_copies(tiles: list[TileRegions], grid: tuple[int, int], n: int, caches: dict[str, CacheShape]
                ) -> dict[str, list[Copy]]:
    """Per cached tensor of tile n, its copies in order (fills, then saves); checks that the computed
    part the walk gave its producer is exactly what the caches leave."""
    tile = tiles[n]
    held = tile.tensors
    computed = {o.output for o in tile.ops}
    up, left, down, right = (tiles[i].tensors if i is not None else {} for i in (
        _neighbour(grid, n, -1, 0), _neighbour(grid, n, 0, -1), _neighbour(grid, n, 1, 0), _neighbour(grid, n, 0, 1)))
    out: dict[str, list[Copy]] = {}
    for t, shape in caches.items():
        if t not in held:
            continue
        # a tensor whose rows are not shared, or recomputed (halo "cache_cols"), has no row copies
        t_up, t_down = (up.get(t), down.get(t)) if shape.rows else (None, None)
        t_left, t_right = (left.get(t), right.get(t)) if shape.cols else (None, None)
        y0, y1, x0, x1 = held[t]
        cx = x0 + _shared(t_left, held[t], 1)
        ry = y0 + _shared(t_up, held[t], 0)
        if ry < y1 and cx < x1 and (ry, y1, cx, x1) not in computed:
            raise AssertionError(f"{t}: tile {n} computes no region {(ry, y1, cx, x1)}")
        copies = []
        if cx > x0:
            copies.append(Copy("cols", "tile", (0, 0), (0, 0), y1 - y0, cx - x0))
        if ry > y0 and x1 > cx:
            copies.append(Copy("rows", "tile", (0, cx), (0, cx - x0), ry - y0, x1 - cx))
        w = _shared(held[t], t_right, 1) if t_right is not None else 0
        if w:
            copies.append(Copy("tile", "cols", (0, t_right[2] - x0), (0, 0), y1 - y0, w))
        h = _shared(held[t], t_down, 0) if t_down is not None else 0
        if h:
            copies.append(Copy("tile", "rows", (t_down[0] - y0, 0), (0, x0), h, x1 - x0))
        out[t] = copies
    return out


def _shared(a: Region | None, b: Region, axis: int) -> int:
    """Rows (axis 0) or columns (axis 1) of `b` that its predecessor `a` already holds."""
    lo, hi = (0, 1) if axis == 0 else (2, 3)
    return _shared_range((a[lo], a[hi]) if a is not None else None, (b[lo], b[hi]))
