"""Targets: where a firmware image runs. Each can build-env, boot (or flash) an image and open a
link to it, yielding the protocol client. `--board` always names the board (boards/*.toml);
`--emulate` picks its emulated stand-in. The real-board issue adds pyOCD probes, the HIL issue
labgrid places; both implement the same `session()`."""
from __future__ import annotations

import contextlib
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

    def session(self, program: Path) -> contextlib.AbstractContextManager[Client]:
        raise NotImplementedError


def get_target(board: str, emulate: bool = False) -> Target:
    b = get_board(board)
    if b.core == "host":
        from .host import HostTarget
        return HostTarget(b, False, b.app_env)
    if emulate:
        if not b.emulator or not b.emulator_env:
            raise ToolkitError(f"board {b.name} has no emulated stand-in (boards/{b.name}.toml: emulator)")
        from .emulator import EmulatorTarget
        return EmulatorTarget(b, True, b.emulator_env)
    raise ToolkitError(f"no {b.name} attached: flashing a real board over pyOCD is not supported yet; "
                       f"run it on its emulated stand-in with --emulate")
