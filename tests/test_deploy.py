"""`toolkit deploy --board host`: the report contract and the outputs archive, on a small sample."""
from __future__ import annotations

import json

import numpy as np
from click.testing import CliRunner

from engine_cases import int8_path
from toolkit import zoo
from toolkit.cli import cli

REPORT_KEYS = {"board", "emulated", "model", "int8_model", "plan", "firmware", "measured", "latency", "outputs",
               "images"}


def test_deploy_host_report_and_outputs(tmp_path):
    sample = zoo.SAMPLES["fashion_cnn"]
    int8_path(sample)
    report = tmp_path / "report.json"
    res = CliRunner().invoke(cli, ["deploy", "--board", "host", "--model", "fashion_cnn", "--patches", "2",
                                   "--limit", "6", "--build-dir", str(tmp_path / "build"), "--report", str(report)])
    assert res.exit_code == 0, res.output
    assert "bit-exact with the golden interpreter" in res.output
    rep = json.loads(report.read_text())
    assert set(rep) == REPORT_KEYS
    assert rep["board"] == "host" and rep["emulated"] is False
    assert rep["plan"]["grid"] == [2, 2] and rep["plan"]["split"]
    assert rep["plan"]["firmware_arena_bytes"] >= rep["plan"]["arena_bytes"]
    assert rep["firmware"]["flash_bytes"] > 0 and rep["firmware"]["static_ram_bytes"] > 0
    assert 0 < rep["measured"]["arena_high_water_bytes"] <= rep["plan"]["firmware_arena_bytes"]
    assert rep["latency"]["unit"] == "seconds" and len(rep["latency"]["per_image"]) == 6
    assert len(rep["images"]) == 6
    z = np.load(rep["outputs"])
    assert z[f"input.{sample.input_name}"].shape == (6, 1, 28, 28)
    assert z[f"input.{sample.input_name}"].dtype == np.float32
    assert np.array_equal(z[sample.score_output], z[f"golden.{sample.score_output}"])
    assert z[sample.score_output].dtype == np.int8 and z[sample.score_output].shape == (6, 10)
