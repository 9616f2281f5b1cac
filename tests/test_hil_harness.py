"""The HIL harness itself: hardware maps are validated entry by entry, and a deliberately broken
firmware (a wrong requantization multiplier; an arena smaller than the plan) is caught by the very
checks the HIL suite runs (toolkit.report.golden_agreement, the INFO arena vs the plan)."""
from __future__ import annotations

import re
import textwrap

import pytest

from toolkit.build import build
from toolkit.errors import ToolkitError
from toolkit.hil import hwmap
from toolkit.hil.dut import boot, prepare
from toolkit.report import golden_agreement
from toolkit.targets import get_target
from toolkit.targets.emulator import qemu_binary

RACK = """\
- id: 066DFF495051717867143041
  platform: nucleo-f746zg
  product: STM32 STLink
  runner: pyocd
  serial: /dev/ttyACM0
  baud: 921600
  connected: true
  fixtures: []
- id: qemu-1
  platform: nucleo-h743zi2
  runner: emulator
  connected: true
- id: 0029001A
  platform: nucleo-h743zi2
  runner: pyocd
  connected: false
"""


def test_hardware_map_loads(tmp_path):
    path = tmp_path / "rack.yaml"
    path.write_text(RACK)
    entries = hwmap.load(path)
    assert [(e.platform, e.runner, e.connected, e.emulated) for e in entries] == [
        ("nucleo-f746zg", "pyocd", True, False), ("nucleo-h743zi2", "emulator", True, True),
        ("nucleo-h743zi2", "pyocd", False, False)]
    assert entries[0].serial == "/dev/ttyACM0" and entries[0].baud == 921600


def test_hardware_map_errors_name_each_bad_entry(tmp_path):
    path = tmp_path / "rack.yaml"
    path.write_text(textwrap.dedent("""\
        - id: A1
          platform: nucleo-f999
          runner: jlink
          connected: yes please
        - platform: nucleo-f746zg
          runner: pyocd
          connected: true
          colour: red
        - id: L1
          platform: nucleo-f746zg
          runner: labgrid
          connected: true
        """))
    with pytest.raises(ToolkitError) as e:
        hwmap.load(path)
    msg = str(e.value)
    for part in ("entry 0 (id A1): platform 'nucleo-f999' is not a known board",
                 "entry 0 (id A1): runner 'jlink' is not one of pyocd, emulator",
                 "entry 0 (id A1): connected must be true or false",
                 "entry 1 (id ?): missing id", "entry 1 (id ?): unknown field colour",
                 "entry 1 (id ?): a connected pyocd board needs its serial port",
                 "entry 2 (id L1): a labgrid board needs its place"):
        assert part in msg, msg


def test_scan_finds_no_probe_here():
    assert hwmap.scan() == []


@pytest.mark.skipif(qemu_binary() is None, reason="qemu-system-arm not installed")
def test_broken_firmware_is_caught(tmp_path):
    fw = prepare(get_target("nucleo-f746zg", True), "fashion_cnn", 2, tmp_path)
    with boot(fw) as dut:
        assert golden_agreement(fw.g, dut.run_all()["outputs"], fw.golden)["bit_exact"]
    # a wrong requantization multiplier: the first float32 multiplier of the model doubled
    src = tmp_path / "gen" / "model_data.c"
    text = src.read_text()
    first = re.search(r"(static const float op\d+_multiplier\[\d+\] = \{\s*)(-?0x[0-9a-fp.+-]+f)", text)
    assert first, "no multiplier table in the generated model"
    doubled = float.fromhex(first.group(2)[:-1]) * 2
    src.write_text(text[:first.start(2)] + f"{doubled.hex()}f" + text[first.end(2):])
    fw.program = build(fw.target.env, tmp_path / "pio", tmp_path / "gen", board=fw.board.name)
    with boot(fw) as dut:
        assert not golden_agreement(fw.g, dut.run_all()["outputs"], fw.golden)["bit_exact"]
    # an arena smaller than the plan: INFO says so, and the SRAM check compares it with the plan
    header = tmp_path / "gen" / "model_data.h"
    header.write_text(re.sub(r"#define ENG_ARENA_SIZE (\d+)", lambda m: f"#define ENG_ARENA_SIZE {int(m.group(1)) - 1024}",
                             header.read_text()))
    fw.program = build(fw.target.env, tmp_path / "pio", tmp_path / "gen", board=fw.board.name)
    with boot(fw) as dut:
        assert dut.info["arena_bytes"] != fw.firmware_arena_bytes


def test_hil_scan_cli_writes_an_empty_map_without_probes(tmp_path):
    from click.testing import CliRunner

    from toolkit.cli import cli
    res = CliRunner().invoke(cli, ["hil", "scan", "--out", str(tmp_path / "rack.yaml")])
    assert res.exit_code == 0, res.output
    assert hwmap.load(tmp_path / "rack.yaml") == []
