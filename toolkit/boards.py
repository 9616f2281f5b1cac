"""Board descriptions: data in boards/<name>.toml, one file per board."""
from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

from .errors import ToolkitError

BOARDS_DIR = Path(__file__).resolve().parent.parent / "boards"


@dataclass(frozen=True)
class Board:
    name: str
    mcu: str
    core: str
    clock_hz: int
    sram_bytes: int
    flash_bytes: int
    reserved_sram_bytes: int
    platformio_offline_env: str
    app_env: str | None = None        # PlatformIO env of the firmware application on this board
    emulator_env: str | None = None   # ... on its emulated stand-in
    uart_baud: int | None = None
    pyocd_target: str | None = None
    platformio_env: str | None = None
    emulator: str | None = None

    @property
    def budget_bytes(self) -> int | None:
        """SRAM the model may use: the board's SRAM minus stack, runtime and I/O; None if unbounded."""
        return self.sram_bytes - self.reserved_sram_bytes if self.sram_bytes else None


def all_boards() -> dict[str, Board]:
    return {b.name: b for b in (Board(**tomllib.loads(p.read_text())) for p in sorted(BOARDS_DIR.glob("*.toml")))}


def get_board(name: str) -> Board:
    boards = all_boards()
    if name not in boards:
        raise ToolkitError(f"unknown board {name!r}; known boards: {', '.join(boards)}")
    return boards[name]
