"""Targets: where a firmware image runs. Each can build-env, boot (or flash) an image and open a
link to it, yielding the protocol client. `--board` always names the board (boards/*.toml);
`--emulate` picks its emulated stand-in; without it a board behind a pyOCD probe; a labgrid place
reaches a board on a rack. All with the same `preflight()` and `session()`."""
from __future__ import annotations

import contextlib
import subprocess
from dataclasses import dataclass
from pathlib import Path

from ..boards import Board, get_board
from ..client import Client
from ..errors import ToolkitError


@dataclass
class Target:
    board: Board
    emulated: bool
    env: str             # the PlatformIO env that builds the firmware application for it
    boot_timeout: float = 20.0

    def preflight(self) -> None:
        """Fail fast, before any build, when the target cannot be reached (no probe, no pack)."""

    def session(self, program: Path) -> contextlib.AbstractContextManager[Client]:
        raise NotImplementedError

    @contextlib.contextmanager
    def handshake(self, link, port: str):
        """The protocol client on an open link, once the board answers HELLO (within boot_timeout);
        the link is closed on every way out."""
        try:
            client = Client(link, port)
            client.hello(timeout=self.boot_timeout)
            yield client
        finally:
            link.close()


def stop_process(proc: subprocess.Popen, grace: float = 0.0, terminate: bool = False) -> None:
    """End a child process: SIGTERM first when `terminate`, up to `grace` seconds to exit, then
    SIGKILL; always reaped."""
    if terminate and proc.poll() is None:
        proc.terminate()
    try:
        proc.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def get_target(board: str, emulate: bool = False, place: str | None = None) -> Target:
    """`place`: the board is on a rack, reached through this labgrid place."""
    b = get_board(board)
    if place:
        from .labgrid_place import LabgridTarget
        target = LabgridTarget(b, emulate, b.emulator_env if emulate else b.app_env)
        target.place = place
        return target
    if b.core == "host":
        from .host import HostTarget
        return HostTarget(b, False, b.app_env)
    if emulate:
        if not b.emulator or not b.emulator_env:
            raise ToolkitError(f"board {b.name} has no emulated stand-in (boards/{b.name}.toml: emulator)")
        from .emulator import EmulatorTarget
        return EmulatorTarget(b, True, b.emulator_env)
    if not b.app_env:
        raise ToolkitError(f"boards/{b.name}.toml names no app_env: no firmware for the board itself")
    from .probe import ProbeTarget
    return ProbeTarget(b, False, b.app_env)
