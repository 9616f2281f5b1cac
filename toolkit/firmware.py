"""A model's firmware for one target, the front half of every board command: the int8 model
(quantized once if float) with its preprocessing, then the plan under the board's budget, the
generated C and the PlatformIO build. `toolkit deploy`, the HIL device under test and
`toolkit demo` all start from `prepare_model` + `build_firmware`, and check what they booted with
`check_firmware`."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from . import golden, zoo
from .boards import Board
from .build import build, elf_sizes
from .client import Client
from .codegen import firmware_arena, generate
from .codegen.specialise import conv_columns
from .errors import ToolkitError
from .importer import import_model, load_graph
from .ir import Graph
from .modelarg import preprocess_for, resolve_model
from .plan import BudgetError, Plan, halo_cache_bytes, halo_words, input_summary, plan_graph
from .plan.patch import split_reason
from .plan.search import schedule_rank
from .plan.regions import WalkCache
from .targets import Target


@dataclass
class Int8Model:
    """The int8 QDQ model in the IR, and how a raw image becomes its input."""
    name: str
    sample: zoo.SampleModel | None
    qpath: Path
    g: Graph
    preprocess: zoo.Preprocess
    input_name: str   # the ONNX float input the preprocessing feeds

    def quantize(self, float_inputs: np.ndarray) -> dict[str, np.ndarray]:
        """float32 NCHW [N, C, H, W] -> the int8 IR inputs [N, ...] the board takes."""
        return golden.quantize_inputs(self.g, {self.input_name: float_inputs})


@dataclass
class Firmware:
    """A built image and what it was built from."""
    target: Target
    model: Int8Model
    plan: Plan
    program: Path
    sizes: dict   # flash_bytes, static_ram_bytes (toolkit.build.elf_sizes)

    @property
    def board(self) -> Board:
        return self.target.board

    @property
    def g(self) -> Graph:
        return self.model.g

    @property
    def qpath(self) -> Path:
        return self.model.qpath

    @property
    def sample(self) -> zoo.SampleModel | None:
        return self.model.sample

    @property
    def firmware_arena_bytes(self) -> int:
        return firmware_arena(self.g, self.plan)

    @property
    def schedule(self) -> str:
        if not self.plan.grid:
            return "per layer"
        cached = f", {halo_words(self.plan)}" if halo_cache_bytes(self.plan) is not None else ""
        return f"split {self.plan.split} {self.plan.grid[0]}x{self.plan.grid[1]}{cached}"


def int8_model(path: Path, sample, calibration: Path | None, out: Path, limit: int | None,
               preprocess: dict | None = None, method: str = "minmax") -> Path:
    """The int8 QDQ model: `path` itself when already quantized, else quantize it into `out`."""
    g, cleaned = import_model(path)
    if g.float_inputs:
        return path
    from .quantize import quantize_model
    pp, input_name = preprocess_for(g, sample, **(preprocess or {}))
    calib_dir = calibration or (sample.calibration_dir() if sample else None)
    if calib_dir is None:
        raise ToolkitError("a float model needs calibration images: pass --calibration DIR")
    calib = load_images(Path(calib_dir), pp, limit, "calibration")
    return quantize_model(cleaned.model, out, calib.inputs, input_name, method, show_progress=False)  # cleaned once


def prepare_model(model: str, work: Path, calibration: Path | None = None, limit: int | None = None,
                  preprocess: dict | None = None, method: str = "minmax") -> Int8Model:
    """A sample name or ONNX file -> the int8 model (quantized into `work` when float).
    `preprocess`: mean, std, bgr, resize overrides (toolkit.modelarg.preprocess_for)."""
    path, sample = resolve_model(model)
    work.mkdir(parents=True, exist_ok=True)
    qpath = int8_model(path, sample, calibration, work / "model.int8.onnx", limit, preprocess, method)
    g = load_graph(qpath)
    g.name = sample.name if sample else path.stem
    pp, input_name = preprocess_for(g, sample, **(preprocess or {}))
    return Int8Model(g.name, sample, qpath, g, pp, input_name)


def load_images(directory: Path, pp: zoo.Preprocess, limit: int | None, what: str = "test") -> zoo.ImageSet:
    try:
        return zoo.load_image_set(Path(directory), pp, limit)
    except FileNotFoundError as exc:
        raise ToolkitError(f"{what} images: {exc}") from None


def weight_bytes(g: Graph) -> int:
    return sum(t.nbytes for t in g.tensors.values() if t.is_const)


def check_flash(g: Graph, board: Board) -> None:
    """Refuse, before building, a model whose weights alone exceed the board's flash."""
    w = weight_bytes(g)
    if board.flash_bytes and w > board.flash_bytes:
        raise ToolkitError(f"{g.name}'s weights are {w:,} B, {w - board.flash_bytes:,} B more than the "
                           f"{board.flash_bytes:,} B of flash of the {board.name}")


STREAM_CHOICES = ("auto", "always", "never")
HALO_CHOICES = ("auto", "recompute", "cache", "cache_cols", "lines", "lines_narrow")


def make_plan(g: Graph, split: str | None, grid, budget: int | None, stream: str = "auto",
              halo: str = "auto") -> Plan:
    """The planner's schedule, with or without in-place ops, with or without streamed input
    (`stream`: auto, always, never), with halos recomputed or cached (`halo`: HALO_CHOICES; auto:
    all are candidates, so under a budget cached halos win when they fit). Without a budget: the
    smallest firmware arena (plan + staging), then the fewest MACs; under a budget: the fewest MACs
    whose firmware arena fits, ranked as toolkit.plan.search.schedule_rank. So `auto`
    streams the input when that lowers the arena of the same schedule, or lets a schedule with
    fewer MACs fit; ties keep the image in SRAM (no halo rows sent twice). The search counts the
    firmware arena, not the plan's figure alone."""
    if split is None and (grid is not None or budget is not None):
        split = "auto"
    if split is None and stream == "always":
        # a per-layer schedule streams through a stage of its first layer(s) alone, in tile rows as
        # wide as the map: the first layer consumes the image band by band, the rest runs per layer
        split, grid = first_split(g), "rows"
    streams = {"auto": (False, True), "always": (True,), "never": (False,)}[stream]
    plans, error, walks = [], None, WalkCache(g)
    for stream_input in streams:
        for in_place in (True, False):
            try:
                plans.append(plan_graph(g, budget_bytes=budget, split=split, grid=grid, in_place=in_place,
                                        stream_input=stream_input, halo=halo,
                                        arena_of=lambda p: firmware_arena(g, p), walk_cache=walks))
            except BudgetError as exc:  # the message names the smallest peak over every variant
                error = exc if error is None or exc.best_peak < error.best_peak else error
            except ValueError as exc:  # a split or grid the graph does not have
                raise ToolkitError(str(exc)) from None
    if not plans:
        raise ToolkitError(str(error))

    def cost(p: Plan) -> tuple[int, ...]:
        macs = p.patch_macs if p.patch else p.macs
        if budget is None:
            return firmware_arena(g, p), macs
        return schedule_rank(macs, p.patch["halo"] if p.patch else None, p.grid, firmware_arena(g, p))
    plan = min(plans, key=cost)
    if stream == "always" and not plan.stream_input:
        raise ToolkitError("--stream-input always: the planner chose per-layer execution under the budget; "
                           "pass --patches N or --split OP to stream through a patch stage")
    return plan


def first_split(g: Graph) -> str:
    """The earliest op a patch stage can end at (the image's first consumers)."""
    for k, op in enumerate(g.ops):
        if split_reason(g, k) is None:
            return op.name
    raise ToolkitError(f"{g.name}: no patch stage is possible (after its first op: {split_reason(g, 0)}), so "
                       "its input cannot be streamed")



def build_firmware(target: Target, m: Int8Model, work: Path, split: str | None = None, grid=None,
                   budget: int | None = None, log: Callable[[str], None] = lambda msg: None,
                   stream: str = "auto", halo: str = "auto") -> Firmware:
    """Plan under the budget (default: the board's), generate C into `work`/gen, build `work`/pio."""
    b = target.board
    check_flash(m.g, b)
    budget = budget if budget is not None else b.budget_bytes
    plan = make_plan(m.g, split, grid, budget, stream, halo)
    plan.save(work / "plan.json")
    log(f"plan: {'split after ' + plan.split if plan.split else 'per layer'}"
        f"{' %dx%d patches' % tuple(plan.grid) if plan.grid else ''}"
        f"{', ' + halo_words(plan) if plan.patch else ''}"
        f", {input_summary(plan)}, firmware arena "
        f"{firmware_arena(m.g, plan):,} B{' of a %s B budget' % format(budget, ',') if budget else ''}")
    generate(m.g, plan, work / "gen", m.qpath)
    columns = conv_columns(m.g)
    if columns:
        log(f"conv loops specialised for column lengths {', '.join(map(str, columns))} (eng_specialise.h)")
    log(f"building PlatformIO env {target.env}")
    program = build(target.env, work / "pio", work / "gen", board=b.name, uart_baud=b.uart_baud)
    return Firmware(target, m, plan, program, elf_sizes(program))


def check_firmware(client: Client, qpath: Path) -> dict:
    """The board's INFO, once it is known to run this int8 model (a stale or foreign image fails here)."""
    from .codegen.model import file_sha256
    info = client.info()
    want = file_sha256(qpath)
    if info["sha256"] != want:
        raise ToolkitError(f"wrong firmware on {client.port}: it runs model {info['model']!r} sha256 "
                           f"{info['sha256'][:12]}, not {qpath.name} sha256 {want[:12]}")
    return info
