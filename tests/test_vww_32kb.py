"""MobileNetV2-0.35 at 144 with 2 classes (the visual-wake-words shape of MCUNetV2's 32 kB result,
seeded random weights) deployed under a 32 KB budget on the emulated NUCLEO-F746ZG: the search
finds a patch stage whose tiles are cut on the input with the expansions' halos recomputed, the
head conv fused with its pool, the input streamed; the arena fits the budget, the board's outputs
equal the golden interpreter element by element, and the arena's measured high-water mark is the
plan's. (Its figures against the issue's target: benchmarks/bench_memory.py.)"""
from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from toolkit import zoo
from toolkit.deploy import deploy
from toolkit.targets.emulator import qemu_binary

REPO = Path(__file__).resolve().parent.parent
BUDGET = 32_768


@pytest.fixture(scope="module")
def vww_model(tmp_path_factory) -> Path:
    spec = importlib.util.spec_from_file_location("mnv2_build", REPO / "models" / "mobilenetv2" / "build.py")
    mb = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mb)
    return mb.export_vww(tmp_path_factory.mktemp("vww") / "mnv2_035_144.onnx")


@pytest.mark.skipif(qemu_binary() is None, reason="qemu-system-arm not installed")
def test_mobilenet_035_fits_32kb_bit_exact_on_the_emulated_board(vww_model, tmp_path):
    sample = zoo.SAMPLES["mobilenetv2"]
    rep = deploy(str(vww_model), "nucleo-f746zg", emulate=True, budget=BUDGET, limit=2,
                 calibration=sample.calibration_dir(), images=sample.test_dir(), build_dir=tmp_path / "build")
    plan = rep.plan
    assert plan["firmware_arena_bytes"] <= BUDGET
    assert plan["halo"] == "lines_narrow" and plan["stream_input"], plan
    assert rep.golden["bit_exact"] and rep.golden["images"] == 2
    high = rep.measured["arena_high_water_bytes"]
    assert 0.95 * plan["firmware_arena_bytes"] <= high <= plan["firmware_arena_bytes"]
