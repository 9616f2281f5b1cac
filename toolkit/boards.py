"""Board descriptions: data in boards/<name>.toml, one file per board."""
from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
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
    sram_regions: dict[str, int] = field(default_factory=dict)   # name -> bytes
    arena_region: str | None = None   # the region that holds the model's arena
    usb_vid: int | None = None        # USB vendor id of its debug probe and virtual COM port
    pyocd_board_id: str | None = None # the board id its probe reports (pyOCD's board database)
    pyocd_fallback_target: str | None = None  # built into pyOCD, when pyocd_target needs a pack
    uart_baud: int | None = None
    pyocd_target: str | None = None
    platformio_env: str | None = None
    emulator: str | None = None

    def __post_init__(self):
        if self.sram_regions and self.arena_region not in self.sram_regions:
            raise ToolkitError(f"boards/{self.name}.toml: arena_region {self.arena_region!r} is not one of "
                               f"its sram_regions ({', '.join(self.sram_regions)})")

    @property
    def arena_region_bytes(self) -> int:
        return self.sram_regions[self.arena_region] if self.sram_regions else self.sram_bytes

    @property
    def budget_bytes(self) -> int | None:
        """SRAM the model may use: the region holding the arena minus what the firmware itself keeps
        there (stack, runtime statics); None if unbounded."""
        return self.arena_region_bytes - self.reserved_sram_bytes if self.sram_bytes else None


def load_board(path: Path) -> Board:
    try:
        return Board(**tomllib.loads(path.read_text()))
    except (tomllib.TOMLDecodeError, TypeError) as exc:
        raise ToolkitError(f"{path}: not a valid board description: {exc}") from None


def all_boards() -> dict[str, Board]:
    return {b.name: b for b in (load_board(p) for p in sorted(BOARDS_DIR.glob("*.toml")))}


def get_board(name: str) -> Board:
    boards = all_boards()
    if name not in boards:
        raise ToolkitError(f"unknown board {name!r}; known boards: {', '.join(boards)}")
    return boards[name]
