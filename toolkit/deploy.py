"""`toolkit deploy --board host`: quantize (if float), import, plan, generate C, build with
PlatformIO's offline host env, run the native engine on images, and write report.json.

The host binary (firmware/runner/host_main.c) reads raw int8 input tensors from a file and writes
raw int8 outputs to another, printing timing and the arena high-water mark as JSON; the serial
protocol of real and emulated boards is a later stage.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from toolkit import golden, zoo
from toolkit.codegen import firmware_arena, generate
from toolkit.errors import ToolkitError
from toolkit.importer import load_graph
from toolkit.ir import Graph, to_onnx_layout
from toolkit.modelarg import parse_grid, preprocess_for, resolve_model
from toolkit.plan import BudgetError, Plan, plan_graph

REPO = Path(__file__).resolve().parent.parent
PLAN_SUMMARY_KEYS = ("model", "budget_bytes", "split", "grid", "arena_bytes", "per_layer_peak_bytes",
                     "patch_peak_bytes", "paper_per_layer_peak_bytes", "paper_patch_peak_bytes", "macs",
                     "patch_macs", "planner", "in_place", "align", "stream_input")


def pio_env() -> dict[str, str]:
    return dict(os.environ, PLATFORMIO_CORE_DIR=str(REPO / ".pio-core"),
                PLATFORMIO_SETTING_ENABLE_TELEMETRY="No", PLATFORMIO_DISABLE_UPGRADE_CHECK="true")


def pio_command() -> list[str]:
    exe = Path(sys.executable).with_name("pio")
    if exe.exists():
        return [str(exe)]
    found = shutil.which("pio")
    return [found] if found else [sys.executable, "-m", "platformio"]


def build_host(gen_dir: Path, build_dir: Path, env_name: str = "host", extra_flags: str = "") -> Path:
    """`pio run -e <env>` of the repository's project with the generated sources; returns the program.
    `extra_flags` go to PLATFORMIO_BUILD_FLAGS (e.g. -DENG_CALLGRIND_PER_OP for the benchmark)."""
    env = dict(pio_env(), TOOLKIT_GEN_DIR=str(gen_dir.resolve()), PLATFORMIO_BUILD_DIR=str(build_dir.resolve()))
    if extra_flags:
        env["PLATFORMIO_BUILD_FLAGS"] = extra_flags
    res = subprocess.run([*pio_command(), "run", "-e", env_name], cwd=REPO, env=env, capture_output=True, text=True)
    if res.returncode != 0:
        raise ToolkitError(f"PlatformIO build of env {env_name} failed:\n{res.stdout[-4000:]}{res.stderr[-2000:]}")
    return build_dir / env_name / "program"


def elf_sizes(program: Path) -> dict[str, int]:
    """flash = text + data, static RAM = data + bss (GNU size, Berkeley format)."""
    res = subprocess.run(["size", "-B", "-d", str(program)], capture_output=True, text=True, check=True)
    text, data, bss = (int(v) for v in res.stdout.splitlines()[1].split()[:3])
    return {"flash_bytes": text + data, "static_ram_bytes": data + bss}


@dataclass
class HostRun:
    outputs: dict[str, np.ndarray]   # graph output name -> int8 IR [N, ...]
    stats: dict


def run_host(program: Path, g: Graph, inputs: dict[str, np.ndarray], work: Path) -> HostRun:
    """Run the host binary on int8 IR inputs (graph input name -> [N, ...])."""
    n = len(next(iter(inputs.values())))
    src, dst = work / "inputs.bin", work / "outputs.bin"
    with open(src, "wb") as f:
        for i in range(n):
            for name in g.inputs:
                f.write(np.ascontiguousarray(inputs[name][i], np.int8).tobytes())
    res = subprocess.run([str(program), str(src), str(dst), str(n)], capture_output=True, text=True)
    if res.returncode != 0:
        raise ToolkitError(f"{program} failed (exit {res.returncode}):\n{res.stderr[-4000:]}")
    raw = np.fromfile(dst, np.int8)
    sizes = [g.tensors[o].size for o in g.outputs]
    raw = raw.reshape(n, sum(sizes))
    outs, pos = {}, 0
    for name, size in zip(g.outputs, sizes):
        outs[name] = raw[:, pos:pos + size].reshape((n, *g.tensors[name].shape[1:]))
        pos += size
    return HostRun(outs, json.loads(res.stdout))


def int8_model(path: Path, sample, calibration: Path | None, out: Path, limit: int | None) -> Path:
    """The int8 QDQ model: `path` itself when already quantized, else quantize it into `out`."""
    g = load_graph(path)
    if g.float_inputs:
        return path
    from toolkit.quantize import quantize_model
    pp, input_name = preprocess_for(g, sample)
    calib_dir = calibration or (sample.calibration_dir() if sample else None)
    if calib_dir is None:
        raise ToolkitError("a float model needs calibration images: pass --calibration DIR")
    calib = zoo.load_image_set(Path(calib_dir), pp, limit)
    return quantize_model(path, out, calib.inputs, input_name, show_progress=False)


def make_plan(g: Graph, split: str | None, grid, budget: int | None) -> Plan:
    """The planner's schedule, with or without in-place ops, whichever needs the smaller firmware
    arena (plan + staging). An aliased depthwise runs the in-place kernel, whose scratch (one input
    channel plane) the plan counts, so it needs no staging; in-place aliasing can still lose (the
    scratch, or a different placement), hence both are planned."""
    if split is None and (grid is not None or budget is not None):
        split = "auto"
    plans = []
    for in_place in (True, False):
        try:
            plans.append(plan_graph(g, budget_bytes=budget, split=split, grid=grid, in_place=in_place))
        except BudgetError as exc:
            error = exc
    if not plans:
        raise ToolkitError(str(error))
    best = min(plans, key=lambda p: firmware_arena(g, p))
    arena = firmware_arena(g, best)
    if budget is not None and arena > budget:
        raise ToolkitError(f"the plan fits {budget} B but the firmware arena (plan {best.arena_bytes} B + staging "
                           f"of gathered patch regions) is {arena} B, {arena - budget} B over budget")
    return best


def save_outputs(path: Path, g: Graph, run: HostRun, ref: dict, float_inputs: dict[str, np.ndarray]) -> None:
    arrays = {}
    for name in g.outputs:
        layout = g.tensors[name].layout
        onnx_name = g.float_outputs.get(name, name)
        arrays[onnx_name] = to_onnx_layout(run.outputs[name], layout)
        arrays[f"golden.{onnx_name}"] = to_onnx_layout(ref[name], layout)
    for name, x in float_inputs.items():
        arrays[f"input.{name}"] = x
    np.savez(path, **arrays)


def deploy_host(model: str, images: Path | None = None, split: str | None = None, grid=None,
                budget: int | None = None, report: Path | None = None, build_dir: Path | None = None,
                calibration: Path | None = None, limit: int | None = None, env_name: str = "host") -> dict:
    """The whole host pipeline; returns the report (also written to `report` when given)."""
    path, sample = resolve_model(model)
    name = sample.name if sample else path.stem
    build = Path(build_dir or REPO / "build" / "deploy" / f"{name}-{env_name}")
    build.mkdir(parents=True, exist_ok=True)
    qpath = int8_model(path, sample, calibration, build / "model.int8.onnx", limit)
    g = load_graph(qpath)
    plan = make_plan(g, split, grid, budget)
    plan.save(build / "plan.json")
    generate(g, plan, build / "gen", qpath)
    program = build_host(build / "gen", build / "pio", env_name)

    pp, input_name = preprocess_for(g, sample)
    img_dir = images or (sample.test_dir() if sample else None)
    if img_dir is None:
        raise ToolkitError("no images to run: pass --images DIR")
    iset = zoo.load_image_set(Path(img_dir), pp, limit)
    float_inputs = {input_name: iset.inputs}
    q = golden.quantize_inputs(g, float_inputs)
    run = run_host(program, g, q, build)
    ref = golden.run_graph(g, q)
    save_outputs(build / "outputs.npz", g, run, ref, float_inputs)
    result = host_report(g, plan, name, qpath, program, run, build / "outputs.npz", iset.names)
    if report:
        Path(report).parent.mkdir(parents=True, exist_ok=True)
        Path(report).write_text(json.dumps(result, indent=1) + "\n")
    return result


def host_report(g: Graph, plan: Plan, name: str, qpath: Path, program: Path, run: HostRun, npz: Path,
                names: list[str]) -> dict:
    st = run.stats
    summary = {k: getattr(plan, k) for k in PLAN_SUMMARY_KEYS}
    summary["staging_bytes"] = st["staging_size"]
    summary["firmware_arena_bytes"] = st["arena_size"]
    return {
        "board": "host", "emulated": False, "model": name, "int8_model": str(qpath), "plan": summary,
        "firmware": elf_sizes(program),
        "measured": {"peak_sram_bytes": None, "arena_high_water_bytes": st["arena_high_water"],
                     "stack_peak_bytes": None},
        "latency": {"unit": "seconds", "per_image": [ns * 1e-9 for ns in st["per_image_ns"]],
                    "per_layer": [{"op": op.name, "kind": op.kind.value, "seconds": ns * 1e-9}
                                  for op, ns in zip(g.ops, st["per_op_ns"])]},
        "outputs": str(npz), "images": names,
    }


def outputs_match_golden(npz: str | Path) -> bool:
    """Whether the board's int8 outputs in a report's archive equal the golden interpreter's."""
    ref = np.load(npz)
    return all(np.array_equal(ref[k], ref[f"golden.{k}"]) for k in ref.files
               if not k.startswith(("golden.", "input.")))


def register(cli_group) -> None:
    """Add the `deploy` command to the toolkit's click group."""
    import click

    @cli_group.command("deploy")
    @click.option("--board", type=click.Choice(["host"]), default="host", show_default=True)
    @click.option("--model", required=True, help="sample name or ONNX file (float or int8 QDQ)")
    @click.option("--images", type=click.Path(exists=True, file_okay=False, path_type=Path),
                  help="images to run (default: the sample's test set)")
    @click.option("--calibration", type=click.Path(exists=True, file_okay=False, path_type=Path),
                  help="calibration images when the model is float (default: the sample's)")
    @click.option("--split", default=None, help="patch stage: 'auto' or the last op of the stage (default: per layer)")
    @click.option("--patches", default=None, help="grid: N, RxC or auto (implies --split auto)")
    @click.option("--budget", type=int, default=None, help="SRAM budget in bytes for the planner")
    @click.option("--limit", type=int, default=None, help="use at most this many images")
    @click.option("--build-dir", type=click.Path(file_okay=False, path_type=Path), default=None)
    @click.option("--sanitize", is_flag=True, help="build the ASan+UBSan variant (host_engine_asan)")
    @click.option("--report", "report_path", type=click.Path(dir_okay=False, path_type=Path), default=None)
    def deploy(board, model, images, calibration, split, patches, budget, limit, build_dir, sanitize, report_path):
        """Quantize, plan, generate C, build for BOARD, run on images and report."""
        rep = deploy_host(model, images, split, parse_grid(patches), budget, report_path, build_dir, calibration,
                          limit, "host_engine_asan" if sanitize else "host")
        exact = outputs_match_golden(rep["outputs"])
        per_image = rep["latency"]["per_image"]
        click.echo(f"{rep['model']} on {board}: split {rep['plan']['split']} grid {rep['plan']['grid']}, "
                   f"arena {rep['plan']['firmware_arena_bytes']} B (plan {rep['plan']['arena_bytes']} B + staging "
                   f"{rep['plan']['staging_bytes']} B), flash {rep['firmware']['flash_bytes']} B, "
                   f"{len(per_image)} images, median {np.median(per_image) * 1e3:.1f} ms, "
                   f"{'bit-exact with' if exact else 'DIFFERENT from'} the golden interpreter")
        if report_path:
            click.echo(f"report: {report_path}")
