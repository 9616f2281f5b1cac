"""Latency against the committed baseline (hil_tests/baseline.json), per inference and per layer:
exact emulated instructions on the emulator, cycles on a board. Beyond the threshold it fails;
`--update-baseline` rewrites the entry (and reports the test skipped, not passed)."""
from __future__ import annotations

import json

import numpy as np
import pytest

THRESHOLD = {"instructions": 0.01, "cycles": 0.05, "ns": 0.5}  # instructions are exact; cycles vary a little


def key(dut) -> str:
    fw = dut.fw
    return f"{fw.board.name}{'-emu' if fw.target.emulated else ''}/{fw.g.name}/{fw.schedule}"


def test_latency_against_baseline(dut, baseline_path, update_baseline, record_property):
    runs, unit = dut.run_all(), dut.info["counter_unit"]
    current = {"unit": unit, "per_image": float(np.mean(runs["latency"])),
               "per_layer": {op.name: v for op, v in zip(dut.fw.g.ops, runs["per_op"])}}
    record_property("latency_per_image", current["per_image"])  # for the nightly report (toolkit hil run)
    record_property("latency_unit", unit)
    baselines = json.loads(baseline_path.read_text()) if baseline_path.exists() else {}
    if update_baseline:
        baselines[key(dut)] = current
        baseline_path.write_text(json.dumps(baselines, indent=1, sort_keys=True) + "\n")
        pytest.skip(f"baseline {key(dut)} updated: {current['per_image']:,.0f} {unit}")
    assert key(dut) in baselines, (f"no latency baseline for {key(dut)}: run `pytest hil_tests --update-baseline` "
                                   f"on this target and commit {baseline_path.name}")
    base = baselines[key(dut)]
    assert base["unit"] == unit
    limit = 1 + THRESHOLD[unit]
    assert current["per_image"] <= base["per_image"] * limit, (
        f"{current['per_image']:,.0f} {unit} per image, baseline {base['per_image']:,.0f} (+{THRESHOLD[unit]:.0%} allowed)")
    slower = {op: (v, base["per_layer"][op]) for op, v in current["per_layer"].items()
              if op in base["per_layer"] and v > base["per_layer"][op] * limit + 100}
    assert not slower, "slower layers: " + ", ".join(f"{op} {v:,.0f} vs {b:,.0f}" for op, (v, b) in slower.items())
