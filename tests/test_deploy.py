"""`toolkit deploy`: the report contract and the outputs archive, through the CLI, on the host
(the firmware application over a pipe) and on the emulated NUCLEO-F746ZG (QEMU, serial over TCP);
and the one-line refusals. A few images each here; `pytest -m nightly` runs every test image."""
from __future__ import annotations

import json

import numpy as np
import pytest
from click.testing import CliRunner

from engine_cases import int8_path
from toolkit import zoo
from toolkit.cli import cli
from toolkit.firmware import weight_bytes
from toolkit.importer import load_graph
from toolkit.targets.emulator import qemu_binary

REPORT_KEYS = {"board", "emulated", "model", "int8_model", "plan", "firmware", "measured", "latency", "link",
               "outputs", "images", "golden"}
F746_SRAM = 327_680
needs_qemu = pytest.mark.skipif(qemu_binary() is None, reason="qemu-system-arm not installed")


def deploy(tmp_path, *args) -> dict:
    report = tmp_path / "report.json"
    res = CliRunner().invoke(cli, ["deploy", *args, "--build-dir", str(tmp_path / "build"), "--report", str(report)])
    assert res.exit_code == 0, res.output
    assert "bit-exact on all" in res.output
    rep = json.loads(report.read_text())
    assert set(rep) == REPORT_KEYS
    assert rep["golden"]["bit_exact"] and rep["golden"]["mismatched_elements"] == 0
    z = np.load(rep["outputs"])
    for k in z.files:
        if not k.startswith(("golden.", "input.")):
            assert z[k].dtype == np.int8
            assert np.array_equal(z[k], z[f"golden.{k}"]), f"{k}: board outputs differ from the golden interpreter"
    return rep


def check_emulated_memory(rep: dict) -> None:
    """The arena high-water mark at most the firmware arena and within 5% of it; the measured peak
    (static RAM + stack high-water) inside the F746's SRAM."""
    arena, m = rep["plan"]["firmware_arena_bytes"], rep["measured"]
    assert 0.95 * arena <= m["arena_high_water_bytes"] <= arena
    assert m["static_ram_bytes"] >= arena and m["stack_peak_bytes"] > 0
    assert m["peak_sram_bytes"] == m["static_ram_bytes"] + m["stack_peak_bytes"] <= rep["firmware"]["board_sram_bytes"]
    assert m["rx_overruns"] == 0
    assert rep["latency"]["unit"] == "instructions" and all(v > 0 for v in rep["latency"]["per_image"])
    assert rep["firmware"]["flash_bytes"] <= rep["firmware"]["board_flash_bytes"]


def test_deploy_host_report_and_outputs(tmp_path):
    sample = zoo.SAMPLES["fashion_cnn"]
    int8_path(sample)
    rep = deploy(tmp_path, "--board", "host", "--model", "fashion_cnn", "--patches", "2", "--limit", "6")
    assert rep["board"] == "host" and rep["emulated"] is False
    assert rep["plan"]["grid"] == [2, 2] and rep["plan"]["split"]
    assert rep["plan"]["firmware_arena_bytes"] >= rep["plan"]["arena_bytes"]
    assert rep["firmware"]["flash_bytes"] > 0 and rep["firmware"]["static_ram_bytes"] > 0
    assert 0.95 * rep["plan"]["firmware_arena_bytes"] <= rep["measured"]["arena_high_water_bytes"] \
        <= rep["plan"]["firmware_arena_bytes"]
    assert rep["latency"]["unit"] == "ns" and len(rep["latency"]["per_image"]) == 6
    assert len(rep["latency"]["per_tile"]) == 4
    assert rep["link"]["port"].startswith("pipe:") and rep["link"]["bytes_sent"] >= 6 * 784
    z = np.load(rep["outputs"])
    assert z[f"input.{sample.input_name}"].shape == (6, 1, 28, 28)
    assert z[f"input.{sample.input_name}"].dtype == np.float32
    assert z[sample.score_output].shape == (6, 10)


@needs_qemu
@pytest.mark.parametrize("schedule", [[], ["--split", "auto", "--patches", "2"], ["--patches", "3x2"]],
                         ids=["default", "patches2x2", "patches3x2"])
def test_deploy_fashion_cnn_emulated(tmp_path, schedule):
    int8_path(zoo.SAMPLES["fashion_cnn"])
    rep = deploy(tmp_path, "--board", "nucleo-f746zg", "--emulate", "--model", "fashion_cnn", "--limit", "20",
                 *schedule)
    assert rep["board"] == "nucleo-f746zg" and rep["emulated"] is True
    assert len(rep["images"]) == 20 and rep["golden"]["images"] == 20
    if schedule:
        assert rep["plan"]["grid"] and len(rep["latency"]["per_tile"]) == rep["plan"]["grid"][0] * rep["plan"]["grid"][1]
    else:
        assert rep["plan"]["grid"] is None  # the budget allows per layer, the fewest MACs
    check_emulated_memory(rep)


@needs_qemu
@pytest.mark.parametrize("limit", [pytest.param("3", id="ci"),
                                   pytest.param(None, id="all", marks=pytest.mark.nightly)])
def test_deploy_blazeface_emulated_default_plan(tmp_path, limit):
    """BlazeFace needs a 371,832 B arena in TFLM: more than the F746's 320 KB. Here it runs in it."""
    int8_path(zoo.SAMPLES["blazeface"])
    rep = deploy(tmp_path, "--board", "nucleo-f746zg", "--emulate", "--model", "blazeface",
                 *(["--limit", limit] if limit else []))
    assert rep["plan"]["grid"] is not None  # per layer (327,680 B) does not fit the budget
    assert rep["plan"]["firmware_arena_bytes"] <= rep["plan"]["budget_bytes"]
    assert rep["measured"]["peak_sram_bytes"] <= F746_SRAM
    check_emulated_memory(rep)


@needs_qemu
def test_deploy_blazeface_on_the_emulated_h743_with_its_own_budget(tmp_path):
    """The H743's arena region (512 KB AXI SRAM) holds BlazeFace per layer: the fewest MACs, a
    different plan from the F746's patches."""
    int8_path(zoo.SAMPLES["blazeface"])
    rep = deploy(tmp_path, "--board", "nucleo-h743zi2", "--emulate", "--model", "blazeface", "--limit", "3")
    assert rep["board"] == "nucleo-h743zi2" and rep["plan"]["budget_bytes"] == 524_288
    assert rep["plan"]["grid"] is None and rep["plan"]["firmware_arena_bytes"] == rep["plan"]["per_layer_peak_bytes"]
    assert rep["firmware"]["board_flash_bytes"] == 2_097_152
    check_emulated_memory(rep)


def test_mobilenetv2_is_refused_for_the_f746_flash(tmp_path):
    weights = weight_bytes(load_graph(int8_path(zoo.SAMPLES["mobilenetv2"])))
    res = CliRunner().invoke(cli, ["deploy", "--board", "nucleo-f746zg", "--emulate", "--model", "mobilenetv2",
                                   "--build-dir", str(tmp_path)])
    message = str(res.exception)
    assert res.exit_code != 0 and "\n" not in message
    assert weights > 3_000_000
    assert f"weights are {weights:,} B, {weights - 1_048_576:,} B more than the 1,048,576 B of flash" in message
    assert not (tmp_path / "pio").exists()  # refused before building


@pytest.mark.parametrize("sample", ["mobilenetv2", "blazeface"])
def test_firmware_arena_is_the_plans_peak(sample):
    """Tiles read and write their regions in place (kernels take views): no staging copy is left, so
    the arena the firmware declares is the planner's peak (16-byte rounded), per layer, for the
    planner's own patch schedule and for a schedule found under a budget."""
    from toolkit.codegen import firmware_arena
    from toolkit.codegen.model import round_up
    from toolkit.codegen.tables import staging_bytes
    from toolkit.firmware import make_plan
    g = load_graph(int8_path(zoo.SAMPLES[sample]))
    per_layer = make_plan(g, None, None, None)
    budget = per_layer.arena_bytes * 3 // 4
    for plan in (per_layer, make_plan(g, "auto", None, None), make_plan(g, None, None, budget)):
        assert staging_bytes(g, plan) == 0, (plan.split, plan.grid)
        assert firmware_arena(g, plan) == round_up(plan.arena_bytes)
    assert plan.grid is not None and firmware_arena(g, plan) <= budget
