"""The emulated board: QEMU mps2-an500 (a Cortex-M7) running our firmware images.

Always `-icount shift=6,align=off,sleep=off` (timers then count emulated instructions exactly,
instructions = round(ticks * 40 / 64); they are not Cortex-M7 cycles) and semihosting (file I/O
and exit codes for test images built with PORT_SEMIHOSTING). Never `-nographic`: it multiplexes
the QEMU monitor onto the serial line. The serial line is a TCP server on loopback (`wait=on`
holds the guest until we connect, so no boot byte is lost); the client opens it with
`serial.serial_for_url("socket://127.0.0.1:PORT")`, the same call that opens /dev/ttyACM0.
No QEMU outlives the command that started it: it is killed on every path out of `boot()`, and
the kernel kills it if this process dies first (PR_SET_PDEATHSIG). See docs/emulator.md.
"""
from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import time
from pathlib import Path

from ..errors import ToolkitError
from . import Target, stop_process

MACHINE = "mps2-an500"
BOOT_TIMEOUT = 20.0


def qemu_binary() -> str | None:
    return shutil.which("qemu-system-arm")


def qemu_command(elf: Path, args: str | None = None, serial: str = "stdio") -> list[str]:
    qemu = qemu_binary()
    if qemu is None:
        raise ToolkitError("qemu-system-arm is not installed (apt-get install qemu-system-arm; "
                           "scripts/setup.sh does it)")
    cmd = [qemu, "-M", MACHINE, "-display", "none", "-monitor", "none",
           "-semihosting-config", "enable=on,target=native", "-kernel", str(elf)]
    if args:
        cmd += ["-append", args]
    return cmd + ["-icount", "shift=6,align=off,sleep=off", "-serial", serial]


def _popen(cmd: list[str], **kwargs) -> subprocess.Popen:
    """Start QEMU so that the kernel kills it (SIGKILL) when this process dies: util-linux's setpriv
    sets PR_SET_PDEATHSIG and execs QEMU in the same process. Not a preexec_fn: with one, Python
    forks instead of vforking, and a fork runs the fork handlers of every library in this process
    (gRPC, loaded by labgrid's client, aborted QEMU's child between fork and exec in CI)."""
    return subprocess.Popen(["setpriv", "--pdeathsig", "KILL", "--", *cmd], **kwargs)


def run_semihosted(elf: Path, args: str | None = None, timeout: float = 600) -> tuple[int, str]:
    """Run an image to its semihosting exit; (exit code, UART output). QEMU is killed on every path."""
    proc = _popen(qemu_command(elf, args), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                  stderr=subprocess.STDOUT, text=True, errors="replace")
    try:
        out, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, _ = proc.communicate()
        raise ToolkitError(f"QEMU ({elf.name}) did not exit within {timeout:.0f} s; last output:\n"
                           f"{out[-2000:]}") from None
    finally:
        stop_process(proc)
    return proc.returncode, out


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def serve(elf: Path, timeout: float = BOOT_TIMEOUT):
    """Boot `elf` with its UART on a loopback TCP port; yields (process, open pyserial link, URL).
    QEMU is killed and the link closed on every way out (success, error, Ctrl-C)."""
    import serial

    port = free_port()
    url = f"socket://127.0.0.1:{port}"
    proc = _popen(qemu_command(elf, serial=f"tcp:127.0.0.1:{port},server=on,wait=on,nodelay=on"),
                  stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    link = None
    try:
        deadline = time.monotonic() + timeout
        while link is None:
            if proc.poll() is not None:
                err = proc.stderr.read().decode(errors="replace").strip() if proc.stderr else ""
                raise ToolkitError(f"QEMU exited with status {proc.returncode} before its serial port "
                                   f"{url} opened: {err[-500:]}")
            try:
                link = serial.serial_for_url(url, timeout=0.2)
            except serial.SerialException:
                if time.monotonic() > deadline:
                    raise ToolkitError(f"QEMU's serial port {url} did not open within {timeout:.0f} s") from None
                time.sleep(0.05)
        yield proc, link, url
    finally:
        if link is not None:
            link.close()
        stop_process(proc)


@contextlib.contextmanager
def listen(elf: Path, timeout: float = BOOT_TIMEOUT):
    """Boot `elf` with its UART on a loopback TCP port that anyone may connect to later (a rack
    host exporting the emulated board); yields the port. QEMU is killed on the way out."""
    port = free_port()
    proc = _popen(qemu_command(elf, serial=f"tcp:127.0.0.1:{port},server=on,wait=off,nodelay=on"),
                  stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + timeout
        while True:
            if proc.poll() is not None:
                raise ToolkitError(f"QEMU exited with status {proc.returncode} before listening on port {port}")
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", port)) == 0:
                    break
            if time.monotonic() > deadline:
                raise ToolkitError(f"QEMU did not listen on 127.0.0.1:{port} within {timeout:.0f} s")
            time.sleep(0.05)
        yield port
    finally:
        stop_process(proc)


class EmulatorTarget(Target):
    """The board's emulated stand-in: the same firmware on QEMU mps2-an500 with the board's limits
    in the linker script; latency counted in exact emulated instructions (not cycles)."""

    process: subprocess.Popen | None = None   # while a session runs (tests kill it)

    @contextlib.contextmanager
    def session(self, program: Path):
        with serve(program, self.boot_timeout) as (proc, link, url):
            self.process = proc
            try:
                with self.handshake(link, url) as client:
                    yield client
            finally:
                self.process = None
