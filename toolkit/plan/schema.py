"""The Plan: the planner's saved artifact (plan.json), read back by codegen and the golden model.

Top-level keys (sizes in bytes, int8 deployment):
- `stream_input`: false (default) = the full input image is in SRAM during the patch stage;
  true = the host streams it band by band and SRAM holds one band of input rows;
- `model`, `budget_bytes` (or null), `split` (name of the last op of the patch stage, or null),
  `grid` ([rows, cols] or null), `planner` ("greedy" | "linear"), `in_place`, `align`;
- `arena_bytes`: the arena the firmware declares for the chosen schedule (= its real peak);
- real accounting: `per_layer_peak_bytes`, `patch_peak_bytes` (null when per-layer only);
- paper accounting: `paper_per_layer_peak_bytes`, `paper_patch_peak_bytes` (null likewise);
- `macs` (per-layer), `patch_macs` (what the tiles compute: recomputed halos included, cached
  ones not; null when per-layer only);
- `accounting`: one-line statements of what each figure counts;
- `layers`: one row per op (see `toolkit.plan.search._layer_rows`): name, kind, output_shape,
  macs, patch_macs, per_layer_bytes, patch_bytes, paper_per_layer_bytes, paper_patch_bytes,
  in_stage, receptive_field, halo_cache_bytes (its output's halo caches, or null),
  offsets {inputs, outputs} in the per-layer arena,
  patch_offsets {inputs, outputs} in the chosen patch schedule (null when per-layer only);
- `tensor_offsets`, `scratch` ({op: [offset, bytes]}): the per-layer arena;
- `patch` (null when per-layer only): `stage_ops`, `stage_inputs`, `stage_output`,
  `receptive_field`, `input_patch` ([h, w] of the largest input tile), `arena_offset` and
  `arena_bytes` of the patch arena inside the main arena, `tensor_offsets` (absolute offsets of
  the stage's intermediate tensors, same for every tile), `tensor_bytes` (their size, largest
  tile), `scratch`, `full_tensor_offsets` (input image, stage output and every per-layer tensor
  after the stage, in the main arena; with `stream_input` the input's offset is its band buffer's),
  `bands` (with `stream_input`: per tile row, the input rows [y0, y1) the band holds; else null),
  `band_bytes` (the band buffer: the tallest band, full width; null without `stream_input`),
  `rest_scratch`, `halo` ("recompute", "cache" or "cache_cols", see toolkit.plan.halo), `halo_caches` ({tensor:
  {`channels`, `rows`: [offset, rows, cols] of its row cache, `cols`: likewise its column cache}},
  empty unless cached), and `tiles`: one per tile, row-major:
  {`index`: [i, j], `output_region`: [y0, y1, x0, x1] in the stage output, `tensors`:
  {name: region held}, `ops`: [{`op`, `output_region` (what it computes: with cached halos less
  than its output's held region; an op wholly cached in a tile is absent), `inputs`: [{`tensor`,
  `region`, `pad`: [top, left, bottom, right], `pad_value`}]}]} (see toolkit.plan.regions);
- `search`: the schedules considered, [split, rows, cols, real_peak, paper_peak, macs, halo];
- `stage_limit`: the first op a patch stage cannot contain, {`op`, `reason`} (null when every op
  could be tiled): no patch stage reaches past it.
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

SCHEMA_VERSION = 1


@dataclass
class Plan:
    model: str
    budget_bytes: int | None
    split: str | None
    grid: list[int] | None
    arena_bytes: int
    per_layer_peak_bytes: int
    patch_peak_bytes: int | None
    paper_per_layer_peak_bytes: int
    paper_patch_peak_bytes: int | None
    macs: int
    patch_macs: int | None
    layers: list[dict[str, Any]]
    tensor_offsets: dict[str, int]
    scratch: dict[str, list[int]]
    patch: dict[str, Any] | None = None
    planner: str = "greedy"
    in_place: bool = True
    align: int = 4
    stream_input: bool = False
    accounting: dict[str, str] = field(default_factory=dict)
    search: list[list[Any]] = field(default_factory=list)
    stage_limit: dict[str, str] | None = None
    version: int = SCHEMA_VERSION

    def tiles(self) -> list:
        """The patch stage's tiles as toolkit.plan.regions.TileRegions, row-major; [] when per-layer."""
        from toolkit.plan.regions import InputRegion, OpRegion, TileRegions
        if self.patch is None:
            return []
        return [TileRegions(tuple(t["output_region"]),
                            [OpRegion(o["op"], tuple(o["output_region"]),
                                      [InputRegion(i["tensor"], tuple(i["region"]), tuple(i["pad"]), i["pad_value"])
                                       for i in o["inputs"]]) for o in t["ops"]],
                            {k: tuple(v) for k, v in t["tensors"].items()}) for t in self.patch["tiles"]]

    def caches(self) -> dict:
        """The patch stage's halo caches as toolkit.plan.halo.CacheShape by tensor; {} when none."""
        from toolkit.plan.halo import CacheShape
        if self.patch is None:
            return {}
        return {t: CacheShape(c["rows"][1], c["rows"][2], c["cols"][1], c["cols"][2])
                for t, c in self.patch.get("halo_caches", {}).items()}

    def to_json(self, indent: int | None = 1) -> str:
        return json.dumps(asdict(self), indent=indent)

    @classmethod
    def from_json(cls, text: str) -> "Plan":
        data = json.loads(text)
        if data.get("version") != SCHEMA_VERSION:
            raise ValueError(f"plan.json version {data.get('version')} != {SCHEMA_VERSION}")
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})

    def save(self, path: str | Path) -> None:
        Path(path).write_text(self.to_json())

    @classmethod
    def load(cls, path: str | Path) -> "Plan":
        return cls.from_json(Path(path).read_text())

