"""Golden execution by plan: the patch stage tile by tile, then the rest layer by layer.

The reference the C patch executor is checked against, and the planner's proof that its tile
regions are right: `run_plan` must equal `golden.run_graph` bit for bit for every split and grid.

Per tile (toolkit.plan.regions.TileRegions), every stage op reads `inputs[k].region` of each
input from the tile's held copy of that tensor (the full tensor for the graph input), runs the
golden kernel with the region's border padding instead of the op's own padding, and produces
exactly its output's held region. The stage output's region is written into the full-size stage
output; all other stage tensors live only for the tile, or, with cached halos, partly in their
caches (toolkit.plan.halo), which run the same copies as the engine.
"""
from __future__ import annotations

import numpy as np

from toolkit import golden
from toolkit.ir import Graph, Op
from toolkit.ops import spec
from toolkit.plan.halo import CacheShape, Copy, tile_copies
from toolkit.plan.regions import OpRegion, Region, TileRegions
from toolkit.plan.schema import Plan


def _slice(held: np.ndarray, held_region: Region, region: Region) -> np.ndarray:
    """The rows/cols `region` of a tensor of which `held` holds `held_region` (both absolute)."""
    y0, x0 = region[0] - held_region[0], region[2] - held_region[2]
    return held[:, y0:y0 + region[1] - region[0], x0:x0 + region[3] - region[2], :]


def run_tile_op(g: Graph, op: Op, r: OpRegion, xs: list[np.ndarray]) -> np.ndarray:
    """One stage op on region slices `xs`, with the region's own padding (top, left, bottom, right)."""
    s = spec(op.kind)
    if s.tile_golden is None:
        return s.golden(g, op, *xs)
    out_hw = (r.output[1] - r.output[0], r.output[3] - r.output[2])
    pads = r.inputs[0].pad if r.inputs else (0, 0, 0, 0)
    return s.tile_golden(g, op, xs, out_hw, pads)


def run_tile(g: Graph, ops: dict[str, Op], tile: TileRegions, values: dict[str, np.ndarray],
             stage_output: str, copies: dict[str, list[Copy]], caches: dict[str, dict[str, np.ndarray]]) -> None:
    """Run one tile; write its region of `stage_output` into values[stage_output] (full size).
    A cached tensor (in `copies`) is assembled as the engine does: the computed part, then its
    copies from and to `caches` (per tensor, "rows" and "cols" arrays)."""
    held: dict[str, np.ndarray] = {}
    computes = {r.op: r for r in tile.ops}

    def read(name: str, region: Region) -> np.ndarray:
        if name in held:
            return _slice(held[name], tile.tensors[name], region)
        full = values[name]
        return full[:, region[0]:region[1], region[2]:region[3], :]

    for op in ops.values():
        t = op.outputs[0]
        if t not in tile.tensors:
            continue
        r = computes.get(op.name)
        y = run_tile_op(g, op, r, [read(i.tensor, i.region) for i in r.inputs]) if r else None
        if t not in copies:
            if r:   # a tile cut on the input may compute none of the stage output
                held[t] = y
            continue
        y0, y1, x0, x1 = tile.tensors[t]
        buf = np.zeros((y.shape[0] if y is not None else next(iter(values.values())).shape[0],
                        y1 - y0, x1 - x0, g.tensors[t].shape[3]), np.int8)
        if r:
            buf[:, r.output[0] - y0:r.output[1] - y0, r.output[2] - x0:r.output[3] - x0] = y
        bufs = {"tile": buf, **caches[t]}
        for c in copies[t]:
            (sy, sx), (dy, dx) = c.src_at, c.dst_at
            bufs[c.dst][:, dy:dy + c.h, dx:dx + c.w] = bufs[c.src][:, sy:sy + c.h, sx:sx + c.w]
        held[t] = buf
    if stage_output in held:
        y0, y1, x0, x1 = tile.output
        values[stage_output][:, y0:y1, x0:x1, :] = held[stage_output]


def run_stage(g: Graph, k: int, stage_output: str, tiles: list[TileRegions],
              values: dict[str, np.ndarray], grid: tuple[int, int] = (1, 1),
              caches: dict[str, CacheShape] | None = None) -> None:
    """ops[0..k] tile by tile (`grid` rows x cols, cached halos: `caches`); adds the full stage
    output to `values`."""
    n = next(iter(values.values())).shape[0]
    t = g.tensors[stage_output]
    values[stage_output] = np.zeros((n, *t.shape[1:]), np.int8)
    ops = {op.name: op for op in g.ops[:k + 1]}
    caches = caches or {}
    arrays = {name: {"rows": np.zeros((n, c.rows, c.width, g.tensors[name].shape[3]), np.int8),
                     "cols": np.zeros((n, c.col_rows, c.cols, g.tensors[name].shape[3]), np.int8)}
              for name, c in caches.items()}
    for i, tile in enumerate(tiles):
        run_tile(g, ops, tile, values, stage_output, tile_copies(tiles, grid, i, caches), arrays)


def run_layers(g: Graph, ops: list[Op], values: dict[str, np.ndarray]) -> None:
    for op in ops:
        values[op.outputs[0]] = golden.run_op(g, op, values)


def run_schedule(g: Graph, k: int | None, stage_output: str | None, tiles: list[TileRegions],
                 inputs: dict[str, np.ndarray], grid: tuple[int, int] = (1, 1),
                 caches: dict[str, CacheShape] | None = None) -> dict[str, np.ndarray]:
    """Patch stage over ops[0..k] (k None: no patch stage), then per layer. int8 NHWC in and out."""
    golden.check_quantized(g)
    values = dict(inputs)
    start = 0
    if k is not None:
        run_stage(g, k, stage_output, tiles, values, grid, caches)
        start = k + 1
    run_layers(g, g.ops[start:], values)
    return {name: values[name] for name in g.outputs}


def split_index(g: Graph, plan: Plan) -> int | None:
    """Index of the last op of the patch stage, or None for a per-layer plan."""
    if plan.split is None:
        return None
    return next(i for i, op in enumerate(g.ops) if op.name == plan.split)


def run_plan(g: Graph, plan: Plan, inputs: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Run the int8 graph as `plan` schedules it. inputs/outputs: int8 NHWC [N, ...] by graph name."""
    k = split_index(g, plan)
    if k is None:
        return run_schedule(g, None, None, [], inputs)
    return run_schedule(g, k, plan.patch["stage_output"], plan.tiles(), inputs, tuple(plan.grid), plan.caches())
