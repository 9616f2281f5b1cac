"""`toolkit hil run`: the HIL suite per board in its own worker, and the reports of a run."""
from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest

from toolkit.hil import nightly
from toolkit.targets.emulator import qemu_binary

RACK = """\
- id: qemu-a
  platform: nucleo-f746zg
  runner: emulator
  connected: true
- id: 0029001A
  platform: nucleo-h743zi2
  runner: pyocd
  connected: false
"""


@pytest.mark.skipif(qemu_binary() is None, reason="qemu-system-arm not installed")
def test_rack_run_writes_every_report(tmp_path):
    (tmp_path / "rack.yaml").write_text(RACK)
    cmd = [sys.executable, "-m", "toolkit", "hil", "run", "--hardware-map", str(tmp_path / "rack.yaml"),
           "--model", "fashion_cnn", "--images", "1", "--report", str(tmp_path / "rep")]
    for _ in range(2):  # two runs make a trend
        res = subprocess.run(cmd, capture_output=True, text=True, timeout=900)
        assert res.returncode == 0, res.stderr
    runs = sorted(p for p in (tmp_path / "rep").iterdir() if p.is_dir())
    assert len(runs) >= 1
    results = json.loads((runs[-1] / "results.json").read_text())
    assert results["passed"] is True
    boards = results["boards"]
    assert boards["nucleo-h743zi2-0029001A"]["not_run"] == "listed as not connected"
    ran = boards["nucleo-f746zg-emu-qemu-a"]
    names = {t["name"].split("[")[0] for t in ran["tests"]}
    assert {"test_outputs_equal_the_golden_interpreter", "test_latency_against_baseline",
            "test_peak_sram_within_the_board", "test_corrupted_frame"} <= names
    assert all(t["status"] == "passed" for t in ran["tests"])
    prom = (runs[-1] / "metrics.prom").read_text()
    assert re.search(r'hil_figure\{board="nucleo-f746zg-emu-qemu-a",model="fashion_cnn",figure="latency_per_image",'
                     r'unit="instructions"\} \d+', prom)
    assert prom.endswith("# EOF\n")
    assert len(json.loads((tmp_path / "rep" / "history.json").read_text())) == 2
    page = (tmp_path / "rep" / "index.html").read_text()
    assert "trend-latency_per_image.png" in page and "not run: listed as not connected" in page
    assert (tmp_path / "rep" / "trend-peak_sram_bytes.png").stat().st_size > 1000


def test_a_failed_test_fails_the_run(tmp_path):
    junit = tmp_path / "j.xml"
    junit.write_text('<testsuite><testcase classname="hil_tests.test_sram" name="test_peak[b/m]">'
                     '<properties><property name="peak_sram_bytes" value="4096"/></properties>'
                     '<failure message="measured peak over the board"/></testcase>'
                     '<testcase classname="x" name="test_ok[b/m]"/></testsuite>')
    tests = nightly.parse_junit(junit)
    assert [t["status"] for t in tests] == ["failed", "passed"]
    assert tests[0]["properties"] == {"peak_sram_bytes": "4096"}
    ok = {"b": {"exit_code": 0, "tests": tests[1:]}, "absent": {"not_run": "listed as not connected", "tests": []}}
    assert nightly.all_passed(ok)
    assert not nightly.all_passed({"b": {"exit_code": 1, "tests": tests}})
    assert not nightly.all_passed({"absent": {"not_run": "x", "tests": []}})  # nothing attached ran
    assert nightly.figures({"b": {"tests": tests}}) == [
        {"board": "b", "model": "m", "figure": "peak_sram_bytes", "value": 4096.0, "unit": "bytes"}]
