"""A rack over labgrid, on loopback: a coordinator and an exporter on 127.0.0.1 publish the emulated
board's serial port (the exporter's host booted it), a place is created and acquired, and the
device under test reaches the board only through that place. Every process is stopped afterwards."""
from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from toolkit.hil.dut import boot, prepare
from toolkit.report import golden_agreement
from toolkit.targets import get_target, stop_process
from toolkit.targets.emulator import free_port, listen, qemu_binary

pytest.importorskip("labgrid")
pytestmark = pytest.mark.skipif(qemu_binary() is None, reason="qemu-system-arm not installed")
BIN = Path(sys.executable).parent


@contextlib.contextmanager
def process(args: list[str], log: Path, env: dict):
    """A labgrid daemon in the log's folder (the coordinator keeps places.yaml in its working directory)."""
    with open(log, "w") as out:
        proc = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT, env=env, cwd=log.parent)
        try:
            yield proc
        finally:
            stop_process(proc, grace=10, terminate=True)


def client(env: dict, *args: str) -> str:
    res = subprocess.run([str(BIN / "labgrid-client"), *args], env=env, capture_output=True, text=True, timeout=60)
    assert res.returncode == 0, res.stdout + res.stderr
    return res.stdout


def wait_for(env: dict, text: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while text not in client(env, "resources"):
        assert time.monotonic() < deadline, f"the exporter never published {text}"
        time.sleep(0.5)


def test_board_reached_only_through_a_labgrid_place(tmp_path):
    fw = prepare(get_target("nucleo-f746zg", True), "fashion_cnn", 2, tmp_path / "fw")
    coordinator = f"127.0.0.1:{free_port()}"
    env = dict(os.environ, LG_COORDINATOR=coordinator)
    with contextlib.ExitStack() as stack:
        port = stack.enter_context(listen(fw.program))  # the rack host's emulated board
        stack.enter_context(process([str(BIN / "labgrid-coordinator"), "-l", coordinator], tmp_path / "coord.log", env))
        (tmp_path / "exporter.yaml").write_text(
            f"emu-f746:\n  NetworkSerialPort:\n    host: 127.0.0.1\n    port: {port}\n    protocol: raw\n"
            f"    speed: 921600\n")
        time.sleep(1)
        stack.enter_context(process([str(BIN / "labgrid-exporter"), "-c", coordinator, "-n", "rack1", "--hostname",
                                     "127.0.0.1", str(tmp_path / "exporter.yaml")], tmp_path / "exporter.log", env))
        wait_for(env, "rack1/emu-f746/NetworkSerialPort")
        client(env, "-p", "f746-emu", "create")
        client(env, "-p", "f746-emu", "add-match", "rack1/emu-f746/NetworkSerialPort")
        target = get_target("nucleo-f746zg", True, place="f746-emu")
        target.coordinator = coordinator
        target.preflight()
        fw.target = target
        with boot(fw) as dut:  # the target acquires the place ...
            assert "acquired: " in client(env, "-p", "f746-emu", "show")
            assert "labgrid place f746-emu" in dut.client.port
            assert golden_agreement(fw.g, dut.run_all()["outputs"], fw.golden)["bit_exact"]
        assert "acquired: None" in client(env, "-p", "f746-emu", "show")  # ... and releases it
