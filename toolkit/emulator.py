"""The emulated board: QEMU mps2-an500 (a Cortex-M7) running our firmware images.

Always `-icount shift=6,align=off,sleep=off` (timers then count emulated instructions exactly,
instructions = round(ticks * 40 / 64); they are not Cortex-M7 cycles) and semihosting (file I/O
and exit codes for test images built with PORT_SEMIHOSTING). Never `-nographic`: it multiplexes
the QEMU monitor onto the serial line. See docs/emulator.md.
"""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from .errors import ToolkitError

MACHINE = "mps2-an500"


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


def run_semihosted(elf: Path, args: str | None = None, timeout: float = 600) -> tuple[int, str]:
    """Run an image to its semihosting exit; (exit code, UART output). QEMU is killed on every path."""
    proc = subprocess.Popen(qemu_command(elf, args), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, errors="replace")
    try:
        out, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, _ = proc.communicate()
        raise ToolkitError(f"QEMU ({elf.name}) did not exit within {timeout:.0f} s; last output:\n"
                           f"{out[-2000:]}") from None
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    return proc.returncode, out
