"""`toolkit deploy --board B [--emulate]`: quantize (if float), plan under the board's SRAM budget,
generate C, build the firmware application with PlatformIO, boot it on the target, run every image
over the serial protocol, read the outputs back, check them against the golden interpreter, and
write the report (toolkit/report.py)."""
from __future__ import annotations

import contextlib
from pathlib import Path

import numpy as np

from . import golden
from .build import REPO
from .client import Client
from .errors import ToolkitError
from .firmware import build_firmware, check_firmware, load_images, prepare_model
from .ir import Graph
from .modelarg import resolve_model
from .plan import Plan, halo_cache_bytes, input_summary
from .report import PLAN_SUMMARY_KEYS, DeployReport, golden_agreement, save_outputs
from .targets import Target, get_target


def plan_summary(g: Graph, plan: Plan, info: dict) -> dict:
    summary = {k: getattr(plan, k) for k in PLAN_SUMMARY_KEYS}
    summary["staging_bytes"] = info["staging_bytes"]
    summary["firmware_arena_bytes"] = info["arena_bytes"]
    summary["input"] = input_summary(plan)
    summary["bands"] = plan.patch["bands"] if plan.stream_input else None
    summary["halo"] = plan.patch["halo"] if plan.patch else None
    summary["halo_cache_bytes"] = halo_cache_bytes(plan)
    return summary


def progress(total: int, label: str, show: bool):
    """A rich progress bar on stderr (or nothing)."""
    if not show:
        return contextlib.nullcontext(None)
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
    return Progress(TextColumn(label), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(), transient=True)


def image_inputs(g: Graph, q: dict[str, np.ndarray], i: int) -> list[bytes]:
    """Image i's int8 inputs as the bytes LOAD sends, in the graph's input order."""
    return [np.ascontiguousarray(q[name][i], np.int8).tobytes() for name in g.inputs]


def infer_image(client: Client, g: Graph, q: dict[str, np.ndarray], i: int) -> tuple[dict[str, np.ndarray], int]:
    """Image i through the board: its int8 outputs by IR name (IR shape), and its latency."""
    raw, latency = client.run(image_inputs(g, q, i), [o["bytes"] for o in client.info()["outputs"]])
    return ({name: np.frombuffer(data, np.int8).reshape(g.tensors[name].shape[1:]) for name, data in zip(g.outputs, raw)},
            latency)


def run_images(client: Client, g: Graph, q: dict[str, np.ndarray], show_progress: bool, label: str):
    """Every image over the link: (outputs per graph output [N, ...], latency per image, mean per op,
    mean per tile)."""
    info = client.info()
    n = len(next(iter(q.values())))
    outs = {name: [] for name in g.outputs}
    per_image, per_op, per_tile = [], np.zeros(info["ops"]), np.zeros(info["tiles"])
    with progress(n, label, show_progress) as bar:
        task = bar.add_task(label, total=n) if bar else None
        for i in range(n):
            image_outs, latency = infer_image(client, g, q, i)
            for name in g.outputs:
                outs[name].append(image_outs[name])
            per_image.append(latency)
            per_op += client.profile(0)
            if info["tiles"]:
                per_tile += client.profile(1)
            if bar:
                bar.advance(task)
    return ({k: np.stack(v) for k, v in outs.items()}, per_image, (per_op / max(n, 1)).tolist(),
            (per_tile / max(n, 1)).tolist())


def measured_memory(stats: dict, target: Target, sizes: dict) -> dict:
    """Peak SRAM = static RAM (.data + .bss: the arena is static) + the stack's high-water mark."""
    static = stats["static_ram_bytes"] or sizes["static_ram_bytes"]
    stack = stats["stack_high_water_bytes"] if target.board.core != "host" else None
    return {"peak_sram_bytes": static + stack if stack is not None else None,
            "arena_high_water_bytes": stats["arena_high_water_bytes"],
            "stack_peak_bytes": stack, "static_ram_bytes": static,
            "heap_used_bytes": stats["heap_used_bytes"], "rx_overruns": stats["rx_overruns"]}


def deploy(model: str, board: str = "host", emulate: bool = False, images: Path | None = None,
           split: str | None = None, grid=None, budget: int | None = None, report: Path | None = None,
           build_dir: Path | None = None, calibration: Path | None = None, limit: int | None = None,
           show_progress: bool = False, log=lambda msg: None, preprocess: dict | None = None,
           probe: dict | None = None, method: str = "minmax", stream: str = "auto",
           halo: str = "auto") -> DeployReport:
    """The whole pipeline on one target; returns the report (also written to `report` when given).
    `preprocess`: mean, std, bgr, resize overrides (toolkit.modelarg.preprocess_for); `probe`:
    unique_id, pack, target_name for a board behind a pyOCD probe; `method`: calibration of a float model
    (toolkit.quantize.METHODS); `stream`: streamed input, auto/always/never; `halo`: auto or one of
    toolkit.plan.patch.HALOS (toolkit.firmware.make_plan)."""
    target = get_target(board, emulate)
    for key, value in (probe or {}).items():
        setattr(target, key, value)
    target.preflight()
    b = target.board
    path, sample = resolve_model(model)
    build_root = Path(build_dir or REPO / "build" / "deploy" / f"{sample.name if sample else path.stem}-{target.env}")
    m = prepare_model(model, build_root, calibration, limit, preprocess, method)
    g = m.g
    img_dir = images or (m.sample.test_dir() if m.sample else None)
    if img_dir is None:
        raise ToolkitError("no images to run: pass --images DIR")
    iset = load_images(Path(img_dir), m.preprocess, limit)  # before building: a bad folder fails fast
    float_inputs = {m.input_name: iset.inputs}
    q = m.quantize(iset.inputs)
    fw = build_firmware(target, m, build_root, split, grid, budget, log, stream, halo)
    plan, sizes, qpath, name = fw.plan, fw.sizes, m.qpath, m.name

    ref = golden.run_graph(g, q)
    log(f"booting {b.name}{' (emulated)' if target.emulated else ''}")
    with target.session(fw.program) as client:
        info = check_firmware(client, qpath)
        outs, per_image, per_op, per_tile = run_images(client, g, q, show_progress,
                                                       f"{len(iset.names)} images on {b.name}")
        stats = client.stats()
        link = client.link_stats()
    npz = build_root / "outputs.npz"
    save_outputs(npz, g, outs, ref, float_inputs)
    result = DeployReport(
        board=b.name, emulated=target.emulated, model=name, int8_model=str(qpath),
        plan=plan_summary(g, plan, info),
        firmware={**sizes, "board_flash_bytes": b.flash_bytes or None, "board_sram_bytes": b.sram_bytes or None,
                  "build": info["build"], "env": target.env},
        measured=measured_memory(stats, target, sizes),
        latency={"unit": info["counter_unit"], "per_image": per_image,
                 "per_image_ms": [c / b.clock_hz * 1e3 for c in per_image] if info["counter_unit"] == "cycles" else None,
                 "per_layer": [{"op": op.name, "kind": op.kind.value, "value": v} for op, v in zip(g.ops, per_op)],
                 "per_tile": per_tile},
        link=link, outputs=str(npz), images=iset.names, golden=golden_agreement(g, outs, ref))
    if report:
        result.save(Path(report))
    return result
