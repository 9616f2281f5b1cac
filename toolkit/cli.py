"""The `toolkit` command: a thin shell over the pipeline stages."""
from __future__ import annotations

import functools
import json
import os
import signal
import sys
from pathlib import Path

import click
import numpy as np
from rich.console import Console
from rich.table import Table

from . import zoo
from .boards import all_boards, get_board
from .deploy import deploy
from .errors import ToolkitError
from .firmware import HALO_CHOICES, STREAM_CHOICES
from .importer import load_graph
from .ir import OpKind, macs
from .modelarg import LAYOUTS, nchw_input, parse_grid, pin_input_shape, preprocess_for, resolve_model
from .plan import BudgetError, format_plan, plan_graph, plot_plan
from .plan.report import HALO_WORDS
from .quantize import METHODS, quantize_model
from .reference import optimized_session_warning
from .verify import verify_int8

console = Console(stderr=True)


def load_images(directory: Path | None, default: Path | None, pp: zoo.Preprocess, what: str,
                limit: int | None) -> zoo.ImageSet:
    directory = directory or default
    if directory is None:
        raise ToolkitError(f"no {what} images: pass --{what} DIR (a folder of PNG/JPEG images)")
    try:
        return zoo.load_image_set(Path(directory), pp, limit)
    except FileNotFoundError as exc:
        raise ToolkitError(str(exc)) from None


def default_int8_path(model_path: Path, sample: zoo.SampleModel | None) -> Path:
    if sample is not None:
        return sample.int8_path
    return model_path.with_suffix(".int8.onnx")


def print_quantize_report(report: dict) -> None:
    table = Table(title=f"{report['model']}: float vs int8 on {report['images']} test images")
    table.add_column("check")
    table.add_column("result", justify="right")
    for key in ("float_metric", "int8_metric"):
        if report[key]:
            table.add_row(key.replace("_", " "), ", ".join(f"{k} {v:.4f}" for k, v in report[key].items()))
    e2e = report["golden_vs_onnxruntime"]
    table.add_row("golden vs onnxruntime (end to end)",
                  f"{e2e['exact']}/{e2e['elements']} exact, max {e2e['max_abs_diff_lsb']} LSB, "
                  f"top-1 agreement {e2e['top1_agreement']:.1%}")
    lc = report["layer_conformance"]
    table.add_row(f"op by op ({lc['layers']} layers)",
                  f"{lc['exact']}/{lc['elements']} exact ({lc['exact'] / max(lc['elements'], 1):.4%}), "
                  f"max {lc['max_abs_diff_lsb']} LSB")
    console.print(table)


def run_quantize(model: str, calibration: Path | None, test: Path | None, out: Path | None,
                 report_path: Path | None, method: str, limit: int | None, test_limit: int | None = None,
                 preprocess: dict | None = None) -> dict:
    model_path, sample = resolve_model(model)
    pp, input_name = preprocess_for(load_graph(model_path), sample, **(preprocess or {}))
    calib = load_images(calibration, sample.calibration_dir() if sample else None, pp, "calibration", limit)
    out = out or default_int8_path(model_path, sample)
    console.print(f"quantizing {model_path} with {len(calib.names)} calibration images ({method})")
    quantize_model(model_path, out, calib.inputs, input_name, method)
    console.print(f"wrote {out}")
    warning = optimized_session_warning()
    if warning:
        console.print(f"[yellow]note:[/yellow] {warning}")
    tests = load_images(test, sample.test_dir() if sample else calibration, pp, "test", test_limit)
    console.print(f"verifying on {len(tests.names)} test images (golden interpreter vs onnxruntime, "
                  f"end to end and op by op)")
    report = {"model": sample.name if sample else model_path.stem, "float_model": str(model_path),
              "int8_model": str(out), **verify_int8(model_path, out, tests, sample, input_name)}
    print_quantize_report(report)
    if report_path:
        report_path.parent.mkdir(parents=True, exist_ok=True)
        report_path.write_text(json.dumps(report, indent=1) + "\n")
        console.print(f"report: {report_path}")
    return report


def input_options(command):
    """--input-layout and --input-shape: an NHWC image input made NCHW, then dynamic dimensions fixed
    (toolkit.modelarg.nchw_input, pin_input_shape); both give the command a copy of the model."""
    @functools.wraps(command)
    def with_input(*args, input_layout="auto", input_shape=None, **kwargs):
        kwargs["model"] = nchw_input(kwargs["model"], input_layout, say=console.print)
        if input_shape:
            kwargs["model"] = pin_input_shape(kwargs["model"], input_shape)
        return command(*args, **kwargs)
    with_input = click.option("--input-shape", default=None, help="run a model whose input has dynamic "
                              "dimensions at this shape: 1,C,H,W (or C,H,W), NCHW whatever --input-layout")(with_input)
    return click.option("--input-layout", type=click.Choice(LAYOUTS), default="auto", show_default=True,
                        help="the image input's layout in the ONNX file; auto: NHWC when the input is read "
                        "only through Transposes to NCHW (TF exports)")(with_input)


def preprocess_options(command):
    """--mean, --std, --bgr, --resize: how images become the model's input (toolkit.modelarg.preprocess_for)."""
    for option in reversed([
            click.option("--mean", default=None, help="per-channel mean subtracted from pixels in [0, 1], one "
                         "value or R,G,B (default: the sample's card; 0 for your own model)"),
            click.option("--std", default=None, help="per-channel divisor after the mean, one value or R,G,B "
                         "(default: the sample's card; 1 for your own model)"),
            click.option("--bgr", is_flag=True, help="the model takes B,G,R channel order (default: R,G,B)"),
            click.option("--resize", type=click.Choice(["stretch", "center_crop", "letterbox"]), default=None,
                         help="how images reach the input size (default: the sample's card; stretch)")]):
        command = option(command)
    return command


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def cli() -> None:
    """Quantize a CNN to int8, plan patch-based inference for a microcontroller, generate C, run it."""


@cli.command()
@click.argument("model")
@click.option("--calibration", type=click.Path(path_type=Path), help="folder of calibration images "
              "(default: the sample's calibration set)")
@click.option("--test", type=click.Path(path_type=Path), help="folder of test images, labels in labels.json "
              "(default: the sample's test set)")
@click.option("--out", type=click.Path(path_type=Path), help="int8 QDQ ONNX to write")
@click.option("--report", "report_path", type=click.Path(path_type=Path), help="write the report as JSON")
@click.option("--method", type=click.Choice(sorted(METHODS)), default="minmax", show_default=True,
              help="calibration method")
@click.option("--limit", type=int, help="use at most this many calibration images")
@click.option("--test-limit", type=int, help="verify on at most this many test images (default: all)")
@preprocess_options
@input_options
def quantize(model, calibration, test, out, report_path, method, limit, test_limit, mean, std, bgr, resize):
    """Quantize MODEL (a sample name or a float ONNX file) to int8 and verify it."""
    run_quantize(model, calibration, test, out, report_path, method, limit, test_limit,
                 {"mean": mean, "std": std, "bgr": bgr, "resize": resize})


@cli.command()
@click.argument("model")
@input_options
def inspect(model):
    """Show what the toolkit makes of MODEL before anything runs: per op the ONNX op it comes from, the
    engine op kind, output shape, MACs, quantization, and whether it can run inside a patch stage (or
    why a stage ends before it); the graph clean-up's fusions and folds. An unsupported op is shown
    in a table of every ONNX op type with its support."""
    from collections import Counter

    from .cleanup import clean
    from .errors import UnsupportedModelError
    from .importer import SUPPORTED_OPS, graph_from_model, read_model
    from .plan.regions import local_reason

    model_path, _ = resolve_model(model)
    onnx_model = read_model(model_path)
    cleaned = clean(onnx_model, set(SUPPORTED_OPS))
    try:
        g = graph_from_model(cleaned.model, model_path.stem)
    except UnsupportedModelError:
        table = Table(title=f"{model_path.name}: ONNX ops after the graph clean-up ({cleaned.describe()})")
        for col in ("ONNX op", "nodes", "supported"):
            table.add_column(col)
        for op_type, n in sorted(Counter(node.op_type for node in cleaned.model.graph.node).items()):
            table.add_row(op_type, str(n), "yes" if op_type in SUPPORTED_OPS else "[red]no[/red]")
        Console().print(table)
        raise
    onnx_type = {node.name: node.op_type for node in cleaned.model.graph.node}
    table = Table(title=f"{g.name}: {len(g.ops)} ops, {'int8' if g.float_inputs else 'float'}")
    for col in ("#", "op", "ONNX op", "kind", "output shape (NHWC)", "MACs", "scale / zp", "patch stage"):
        table.add_column(col)
    for i, op in enumerate(g.ops):
        t = g.tensors[op.outputs[0]]
        q = f"{float(t.scale):.4g} / {int(t.zero_point)}" if t.quantized else "-"
        reason = local_reason(g, op)
        stage = "can run in one" if reason is None else f"ends before it: {reason.removeprefix(op.name + ' ')}"
        table.add_row(str(i), op.name, onnx_type.get(op.onnx_node, "-"), op.kind.value, str(list(t.shape)),
                      f"{macs(g, op):,}", q, stage)
    Console().print(table)
    console.print(f"total MACs {sum(macs(g, op) for op in g.ops):,}")
    console.print(f"graph clean-up: {cleaned.describe()}")


@cli.command()
@click.argument("model")
@click.option("--board", help="plan for this board's SRAM budget (see `toolkit boards`)")
@click.option("--sram", type=int, help="SRAM budget in bytes (instead of --board)")
@click.option("--split", default=None, help="last op of the patch stage, or auto (default: auto with "
              "--patches, else per-layer unless a budget needs patches)")
@click.option("--patches", default=None, help="patch grid: N (NxN), RxC or auto")
@click.option("--json", "json_path", type=click.Path(path_type=Path), help="write plan.json")
@click.option("--plot", "plot_path", type=click.Path(path_type=Path), help="draw per-layer vs patch memory (PNG)")
@click.option("--stream-input", is_flag=True, help="stream the input image band by band (what toolkit deploy --stream-input always runs)")
@click.option("--halo", type=click.Choice(HALO_CHOICES), default="recompute", show_default=True,
              help="tiles recompute the halos they share (MCUNetV2), cache them (no recompute, caches in "
                   "the arena), cache_cols (columns cached, rows recomputed), lines (tiles cut on the input "
                   "like line buffers, halos cached: no tile holds a receptive field), lines_narrow (lines, "
                   "expansion convs recompute their halos from their narrow inputs' caches), or auto: all "
                   "are candidates")
@input_options
def plan(model, board, sram, split, patches, json_path, plot_path, stream_input, halo):
    """Plan MODEL's memory: per-layer arena, or MCUNetV2 patch-based stage under a SRAM budget."""
    if board and sram:
        raise ToolkitError("give either --board or --sram, not both")
    budget = sram if sram else (get_board(board).budget_bytes if board else None)
    grid = parse_grid(patches)
    if split is None and (grid is not None or budget is not None):
        split = "auto"
    model_path, sample = resolve_model(model)
    g = load_graph(model_path)
    g.name = sample.name if sample else g.name
    try:
        result = plan_graph(g, budget_bytes=budget, split=split, grid=grid, stream_input=stream_input, halo=halo)
    except BudgetError as exc:
        raise ToolkitError(str(exc)) from None
    except ValueError as exc:
        raise ToolkitError(str(exc)) from None
    click.echo(format_plan(result))
    if not g.float_inputs and any(op.kind == OpKind.CLAMP for op in g.ops):
        # deploy plans the int8 graph: the quantizer folds Relu/Clip into the convs, and a conv +
        # activation + global pool head then fuses (toolkit/ops/conv_avgpool.py)
        console.print("note: planned on the float graph, whose Relu/Clip are ops of their own; deploy plans the "
                      "int8 graph (activations folded into the convs, a head conv fused with its global pool), "
                      "whose figures can be lower: plan the model `toolkit quantize` writes for them")
    if json_path:
        json_path.parent.mkdir(parents=True, exist_ok=True)
        json_path.write_text(result.to_json())
        console.print(f"plan: {json_path}")
    if plot_path:
        plot_plan(result, plot_path)
        console.print(f"plot: {plot_path}")


@cli.command()
@click.option("--attached", is_flag=True, help="list the debug probes and serial ports found, and their pairing")
def boards(attached):
    """List the boards the toolkit knows (boards/*.toml) and the model budget on each."""
    if attached:
        print_attached()
        return
    table = Table(title="boards (boards/*.toml)")
    for col in ("board", "MCU", "core", "clock", "SRAM", "flash", "reserved", "model budget", "serial",
                "pyOCD target", "PlatformIO envs", "emulator"):
        table.add_column(col)
    for b in all_boards().values():
        size = lambda v: f"{v:,} B" if v else "-"  # noqa: E731
        envs = ", ".join(dict.fromkeys(e for e in (b.app_env, b.emulator_env, b.platformio_env) if e))
        table.add_row(b.name, b.mcu, b.core, f"{b.clock_hz / 1e6:.0f} MHz" if b.clock_hz else "-", size(b.sram_bytes),
                      size(b.flash_bytes), size(b.reserved_sram_bytes),
                      f"{size(b.budget_bytes)} ({b.arena_region})" if b.budget_bytes else "no limit",
                      f"{b.uart_baud:,} baud" if b.uart_baud else "pipe", b.pyocd_target or "-", envs,
                      b.emulator or "-")
    Console(width=200).print(table)


def print_attached() -> None:
    from .targets.probe import connected_probes, pair, serial_ports
    ports = serial_ports()
    found = pair(connected_probes(), ports, list(all_boards().values()))
    table = Table(title="debug probes (pyOCD) and serial ports, paired by USB serial number")
    for col in ("probe", "description", "board id", "board", "serial port"):
        table.add_column(col)
    for a in found:
        table.add_row(a.probe.unique_id, a.probe.description, a.probe.board_id or "-",
                      a.board.name if a.board else (a.probe.board_name or "unknown"), a.port.device if a.port else "-")
    paired = {a.port.device for a in found if a.port}
    for p in ports:
        if p.device not in paired:
            table.add_row("-", p.description, "-", "-", p.device)
    Console().print(table)
    if not found:
        console.print("no debug probe found (pyOCD): boards can still run emulated with --emulate")


@cli.command()
def samples():
    """List the sample models."""
    for s in zoo.SAMPLES.values():
        click.echo(f"{s.name:14s} {s.description}")


@cli.command("deploy")
@click.option("--board", default="host", show_default=True, type=click.Choice(sorted(all_boards())),
              help="which board (boards/*.toml)")
@click.option("--emulate", is_flag=True, help="run on the board's emulated stand-in (QEMU), not the board")
@click.option("--model", required=True, help="sample name or ONNX file (float or int8 QDQ)")
@click.option("--images", type=click.Path(path_type=Path),
              help="images to run (default: the sample's test set)")
@click.option("--calibration", type=click.Path(path_type=Path),
              help="calibration images when the model is float (default: the sample's)")
@click.option("--split", default=None, help="patch stage: 'auto' or the last op of the stage "
              "(default: auto under the board's budget, per layer on the host)")
@click.option("--patches", default=None, help="grid: N, RxC or auto (implies --split auto)")
@click.option("--budget", type=int, default=None, help="SRAM budget in bytes for the model "
              "(default: the board's SRAM minus stack and runtime, see `toolkit boards`)")
@click.option("--limit", type=int, default=None, help="use at most this many images")
@click.option("--method", type=click.Choice(sorted(METHODS)), default="minmax", show_default=True,
              help="calibration method for a float model (percentile keeps detector scores finer)")
@preprocess_options
@click.option("--probe", "probe_id", default=None, help="a board: the debug probe's unique id, when several are attached")
@click.option("--pack", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
              help="a board: the CMSIS-Pack file with its pyOCD target (e.g. Keil.STM32F7xx_DFP.*.pack)")
@click.option("--pyocd-target", default=None, help="a board: flash with this pyOCD target instead of the board's")
@click.option("--build-dir", type=click.Path(file_okay=False, path_type=Path), default=None)
@click.option("--report", "report_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="write the report (JSON; the outputs archive goes next to the build)")
@click.option("--stream-input", "stream", type=click.Choice(STREAM_CHOICES), default="auto", show_default=True,
              help="send the input image band by band as the patch stage needs it (auto: when that lowers "
                   "the firmware arena or lets fewer MACs fit; always, on a per-layer schedule: the first "
                   "layer consumes the bands)")
@click.option("--halo", type=click.Choice(HALO_CHOICES), default="auto", show_default=True,
              help="patch tiles recompute the halos they share, cache them (no recompute; the caches take "
                   "arena), cache_cols (columns cached, rows recomputed), lines (tiles cut on the input, "
                   "halos cached) or lines_narrow (lines, expansions recompute their halos); auto: the "
                   "fewest MACs that fit the budget, then the fewest tiles")
@input_options
def deploy_cmd(board, emulate, model, images, calibration, split, patches, budget, limit, method, mean, std, bgr,
               resize, probe_id, pack, pyocd_target, build_dir, report_path, stream, halo):
    """Quantize, plan under BOARD's SRAM, generate C, build, boot, run every image over serial,
    check the outputs against the golden interpreter and report.

    Images (PNG/JPEG, or .npz archives) are resized to the model's input, converted to its channel
    count, and normalised as x = (pixel / 255 - mean) / std; the tensor layout comes from the model."""
    rep = deploy(model, board, emulate, images, split, parse_grid(patches), budget, report_path, build_dir,
                 calibration, limit, show_progress=True, log=lambda m: console.print(f"[dim]{m}[/dim]"),
                 preprocess={"mean": mean, "std": std, "bgr": bgr, "resize": resize},
                 probe={k: v for k, v in (("unique_id", probe_id), ("pack", pack), ("target_name", pyocd_target)) if v}
                 if not emulate else None, method=method, stream=stream, halo=halo)
    print_deploy_summary(rep)
    if report_path:
        console.print(f"report: {report_path}")
    if not rep.golden["bit_exact"]:
        raise ToolkitError(f"{rep.golden['mismatched_elements']:,} of {rep.golden['elements']:,} output elements "
                           f"({rep.golden['mismatched_images']} images) differ from the golden interpreter")


def print_deploy_summary(rep) -> None:
    fw, m, lat, plan = rep.firmware, rep.measured, rep.latency, rep.plan
    where = f"{rep.board}{' (emulated)' if rep.emulated else ''}"
    table = Table(title=f"{rep.model} on {where}", show_header=False)
    table.add_column("what")
    table.add_column("figure")
    of = lambda v, total: f"{v:,} B" + (f" of {total:,} B ({v / total:.0%})" if total else "")  # noqa: E731
    halos = f", {HALO_WORDS[plan['halo']]}" if plan.get("halo") else ""
    if plan.get("halo_cache_bytes") is not None:
        halos += f" ({plan['halo_cache_bytes']:,} B of caches)"
    table.add_row("schedule", (f"split after {plan['split']}, {plan['grid'][0]}x{plan['grid'][1]} patches{halos}"
                               if plan["grid"] else "per layer") + f"; {plan['input']}")
    table.add_row("flash used", of(fw["flash_bytes"], fw["board_flash_bytes"]))
    table.add_row("SRAM planned", f"{of(plan['firmware_arena_bytes'], fw['board_sram_bytes'])} arena "
                  f"(plan {plan['arena_bytes']:,} B + staging {plan['staging_bytes']:,} B)")
    if m["peak_sram_bytes"] is not None:
        table.add_row("SRAM measured", f"{of(m['peak_sram_bytes'], fw['board_sram_bytes'])} peak = static "
                      f"{m['static_ram_bytes']:,} B + stack {m['stack_peak_bytes']:,} B; arena high-water "
                      f"{m['arena_high_water_bytes']:,} B")
    else:
        table.add_row("arena high-water", f"{m['arena_high_water_bytes']:,} B")
    unit = lat["unit"] + (" (emulated, not cycles)" if lat["unit"] == "instructions" else "")
    per = np.asarray(lat["per_image"], dtype=float)
    ms = f", {np.median(lat['per_image_ms']):.2f} ms" if lat.get("per_image_ms") else ""
    table.add_row("latency per image", f"median {np.median(per):,.0f} {unit}{ms} (min {per.min():,.0f}, "
                  f"max {per.max():,.0f})")
    slow = sorted(lat["per_layer"], key=lambda r: -r["value"])[:5]
    total = sum(r["value"] for r in lat["per_layer"]) or 1
    table.add_row("slowest layers", "\n".join(f"{r['op']} ({r['kind']}): {r['value']:,.0f} ({r['value'] / total:.0%})"
                                             for r in slow))
    g = rep.golden
    table.add_row("vs golden interpreter", f"bit-exact on all {g['images']} images ({g['elements']:,} elements)"
                  if g["bit_exact"] else f"{g['mismatched_elements']:,} elements differ on {g['mismatched_images']} images")
    link = rep.link
    table.add_row("link", f"{link['port']}: {link['bytes_sent']:,} B sent, {link['bytes_received']:,} B received "
                  f"in {link['seconds']:.1f} s")
    Console().print(table)


@cli.command()
@click.option("--board", default="host", show_default=True, type=click.Choice(sorted(all_boards())),
              help="which board (boards/*.toml)")
@click.option("--emulate", is_flag=True, help="run on the board's emulated stand-in (QEMU), not the board")
@click.option("--model", default="blazeface", show_default=True, help="sample name or ONNX file")
@click.option("--source", required=True, help="camera:N (a webcam), video:PATH or images:DIR")
@click.option("--out", type=click.Path(path_type=Path), default=None,
              help="annotated video (.mp4, .avi) or a folder for PNG frames; a GIF of the first frames and "
              "a JSON of every frame's results go beside it (default without a window: "
              "build/demo/<model>-<env>/annotated.mp4)")
@click.option("--frames", type=click.IntRange(min=1), default=None, help="stop after this many frames")
@click.option("--window/--no-window", default=None,
              help="show the annotated frames in a window (default: when a display is present)")
@click.option("--build-dir", type=click.Path(file_okay=False, path_type=Path), default=None)
@input_options
def demo(board, emulate, model, source, out, frames, window, build_dir):
    """Stream frames through the board and draw what it finds: BlazeFace faces (boxes, keypoints,
    scores) or a classifier's top classes, with the board's latency, link time, frame rate and
    measured SRAM. Ends on the end of the source, --frames, q/Esc in the window, Ctrl-C or a lost link."""
    from .demo import run_demo

    with console.status("starting") as status:
        def on_frame(r):
            f = r.per_frame[-1]
            found = f"{len(f['faces'])} faces" if "faces" in f else f"{f['top_k'][0][0]} {f['top_k'][0][1]:.0%}"
            status.update(f"frame {r.frames}: {found}; board {f['latency']:,} {r.latency_unit}, link "
                          f"{f['transfer_s']:.2f} s, {r.fps:.2f} frames/s (Ctrl-C stops)")

        result = run_demo(model, board, emulate, source, out, frames, window, build_dir,
                          log=lambda m: console.print(f"[dim]{m}[/dim]"), on_frame=on_frame)
    unit = result.latency_unit + (" (emulated, not cycles)" if result.latency_unit == "instructions" else "")
    if result.frames:
        console.print(f"{result.frames} frames, {result.fps:.2f} frames/s; board median "
                      f"{result.latency_median:,.0f} {unit}; link median {result.transfer_seconds_median:.2f} s "
                      f"for {result.per_frame[-1]['link_bytes']:,} B per frame ({result.bytes_per_frame:,} B of "
                      f"tensors); measured SRAM {result.peak_sram_bytes or 0:,} B")
    if result.out:
        console.print(f"annotated: {result.out}" + (f", GIF {result.gif}" if result.gif else ""))
    console.print(f"stopped: {result.reason}")


@cli.group()
def hil():
    """Hardware-in-the-loop: the HIL suite is `pytest hil_tests` (see the README); this group helps."""


@hil.command("scan")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="write the hardware map here (default: print it)")
def hil_scan(out):
    """Write a hardware map (Zephyr twister's form) of the probes and serial ports attached now."""
    from .hil import hwmap
    entries = hwmap.scan()
    text = hwmap.dump(entries) if entries else "[]\n"
    if out:
        out.write_text(text)
        console.print(f"{len(entries)} board(s) written to {out}")
    else:
        click.echo(text, nl=False)
    if not entries:
        console.print("no debug probe found (pyOCD): an emulated board needs no map, use --emulate")


@hil.command("run")
@click.option("--hardware-map", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
              help="the rack (YAML, Zephyr twister's form); default: --board")
@click.option("--board", default="nucleo-f746zg", show_default=True, help="without a map: this board")
@click.option("--emulate", is_flag=True, help="without a map: the board's emulated stand-in")
@click.option("--model", "models", multiple=True, help="sample or ONNX (repeatable; default: the HIL suite's)")
@click.option("--images", type=int, default=0, show_default=True, help="test images per model (0: all)")
@click.option("--report", "report_dir", type=click.Path(file_okay=False, path_type=Path), required=True,
              help="folder of the reports; earlier runs kept there make the trend")
def hil_run(hardware_map, board, emulate, models, images, report_dir):
    """The HIL suite on every board at once (one worker per board), with JUnit, JSON, OpenMetrics and
    an HTML trend report. Exit status 0 only if every attached board passed."""
    from .hil import hwmap, nightly
    name = get_board(board).name
    if hardware_map:
        entries = hwmap.load(hardware_map)
    elif emulate:
        entries = [hwmap.HardwareEntry(id="local", platform=name, runner="emulator", connected=True)]
    else:  # every attached board of that kind, as `toolkit hil scan` finds them; none: not run
        found = [e for e in hwmap.scan() if e["platform"] == name]
        entries = [hwmap.HardwareEntry(id=e["id"], platform=name, runner="pyocd", connected=e["connected"],
                                       serial=e["serial"], baud=e["baud"]) for e in found] or [
            hwmap.HardwareEntry(id="no-probe", platform=name, runner="pyocd", connected=False)]
    passed = nightly.run(entries, list(models), images, report_dir, log=lambda m: console.print(f"[dim]{m}[/dim]"))
    console.print(f"report: {report_dir / 'index.html'}")
    if not any(e.connected for e in entries):
        raise ToolkitError(f"no board ran: none of {', '.join(e.platform + ' ' + e.id for e in entries)} is attached "
                           f"(--emulate runs the emulated stand-in)")
    if not passed:
        raise ToolkitError(f"HIL run failed: see {report_dir / 'index.html'}")


def main() -> None:
    # SIGTERM unwinds like Ctrl-C, so every emulator and link is closed on the way out.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    try:
        cli.main(standalone_mode=False)
    except ToolkitError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
    except click.exceptions.Abort:
        click.echo("interrupted", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except Exception as exc:  # a bug of ours: one line for the user, the traceback on request
        if os.environ.get("TOOLKIT_DEBUG"):
            raise
        click.echo(f"internal error: {exc.__class__.__name__}: {exc} (TOOLKIT_DEBUG=1 shows the traceback)", err=True)
        sys.exit(3)
