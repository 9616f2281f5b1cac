"""Real boards behind a debug probe: flash with pyOCD's Python API, reset, and open the serial port
the probe is paired with (the ST-LINK's pyOCD unique id is the USB serial number of its virtual COM
port). Latency comes back in core clock cycles; the report converts them to milliseconds at the
board's clock.

Without hardware everything here runs up to the probe boundary: probe discovery (pyOCD finds none),
serial port listing, pairing, target lookup against pyOCD's own target and board databases."""
from __future__ import annotations

import contextlib
from dataclasses import dataclass
from pathlib import Path

from ..boards import Board
from ..errors import ToolkitError
from . import Target

CONNECT_MODE = "under-reset"   # pyOCD maintainers' advice for F7/H7 connection trouble (issues 1026, 812)


@dataclass(frozen=True)
class ProbeInfo:
    unique_id: str
    description: str
    board_id: str | None = None     # what the probe reports (ST-LINK: the board id of its NUCLEO)
    board_name: str | None = None   # pyOCD's board database name for it


@dataclass(frozen=True)
class PortInfo:
    device: str
    serial_number: str | None
    vid: int | None
    description: str = ""


@dataclass(frozen=True)
class Attached:
    probe: ProbeInfo
    port: PortInfo | None
    board: Board | None


def connected_probes() -> list[ProbeInfo]:
    """The debug probes pyOCD sees now (no waiting)."""
    from pyocd.core.helpers import ConnectHelper
    out = []
    for p in ConnectHelper.get_all_connected_probes(blocking=False, print_wait_message=False):
        info = p.associated_board_info
        out.append(ProbeInfo(p.unique_id, p.description, getattr(info, "board_id", None) or board_id_of(info),
                             info.name if info else None))
    return out


def board_id_of(info) -> str | None:
    """pyOCD's BoardInfo does not carry its id: look it up in the same database."""
    if info is None:
        return None
    from pyocd.board.board_ids import BOARD_ID_TO_INFO
    return next((k for k, v in BOARD_ID_TO_INFO.items() if v == info), None)


def serial_ports() -> list[PortInfo]:
    from serial.tools import list_ports
    return [PortInfo(p.device, p.serial_number, p.vid, p.description or "") for p in list_ports.comports()]


def pair(probes: list[ProbeInfo], ports: list[PortInfo], boards: list[Board]) -> list[Attached]:
    """Each probe with the serial port of the same USB serial number and the board of its board id."""
    by_serial = {p.serial_number.upper(): p for p in ports if p.serial_number}
    by_id = {b.pyocd_board_id: b for b in boards if b.pyocd_board_id}
    return [Attached(pr, by_serial.get(pr.unique_id.upper()), by_id.get(pr.board_id or "")) for pr in probes]


def describe_attached(attached: list[Attached], ports: list[PortInfo]) -> str:
    if not attached:
        found = "no debug probes"
    else:
        found = "; ".join(f"probe {a.probe.unique_id} ({a.probe.board_name or a.probe.description})"
                          f"{' on ' + a.port.device if a.port else ' without a serial port'}" for a in attached)
    paired = {a.port.device for a in attached if a.port}
    others = [p.device for p in ports if p.device not in paired]
    return found + (f"; other serial ports: {', '.join(others)}" if others else "")


def choose(board: Board, attached: list[Attached], ports: list[PortInfo], unique_id: str | None = None) -> Attached:
    """The attached probe for `board` (or the one with `unique_id`), with its paired serial port."""
    fits = [a for a in attached if (a.probe.unique_id == unique_id if unique_id else a.board == board)]
    if not fits:
        raise ToolkitError(f"no probe found for {board.name} ({describe_attached(attached, ports)}); "
                           f"run it on its emulated stand-in with --emulate")
    if len(fits) > 1:
        raise ToolkitError(f"{len(fits)} probes found for {board.name} "
                           f"({', '.join(a.probe.unique_id for a in fits)}): choose one with --probe ID")
    if fits[0].port is None:
        raise ToolkitError(f"probe {fits[0].probe.unique_id} for {board.name} has no serial port with its USB "
                           f"serial number ({describe_attached(attached, ports)})")
    return fits[0]


def pyocd_target(board: Board, pack: Path | None = None) -> str:
    """The pyOCD target name to flash `board` with: its own when pyOCD has it (built in, from an
    installed CMSIS-Pack, or the pack file given), else a one-line error saying how to get it."""
    from pyocd.target import TARGET
    name = board.pyocd_target
    if name is None:
        raise ToolkitError(f"boards/{board.name}.toml names no pyocd_target")
    if name in TARGET or pack is not None:
        return name
    if name in installed_pack_targets():
        return name
    hint = (f"; pyOCD's built-in {board.pyocd_fallback_target} can stand in (--pyocd-target "
            f"{board.pyocd_fallback_target})" if board.pyocd_fallback_target else "")
    raise ToolkitError(f"pyOCD has no target {name} for {board.name}: it comes from a CMSIS-Pack; on a machine "
                       f"with network run `pyocd pack install {name}`, or pass the pack file with --pack "
                       f"PATH{hint}")


def installed_pack_targets() -> set[str]:
    from pyocd.target.pack.pack_target import ManagedPacks
    try:
        return {d.part_number.lower() for d in ManagedPacks.get_installed_targets()}
    except Exception:  # no pack index on this machine (cmsis-pack-manager never ran): no packs
        return set()


def flash(program: Path, unique_id: str, target: str, pack: Path | None = None) -> None:
    """Program the ELF, then reset the core (FileProgrammer.program does not reset in pyOCD 0.46)."""
    from pyocd.core.helpers import ConnectHelper
    from pyocd.flash.file_programmer import FileProgrammer
    options = {"connect_mode": CONNECT_MODE, **({"pack": str(pack)} if pack else {})}
    session = ConnectHelper.session_with_chosen_probe(unique_id=unique_id, blocking=False, target_override=target,
                                                      options=options)
    if session is None:
        raise ToolkitError(f"probe {unique_id} went away before flashing")
    with session:
        FileProgrammer(session).program(str(program))
        session.target.reset()


class ProbeTarget(Target):
    """A board on the desk: pyOCD flashes it, its ST-LINK virtual COM port carries the protocol."""

    pack: Path | None = None
    unique_id: str | None = None
    target_name: str | None = None

    def find(self) -> Attached:
        from ..boards import all_boards
        ports = serial_ports()
        return choose(self.board, pair(connected_probes(), ports, list(all_boards().values())), ports,
                      self.unique_id)

    def preflight(self) -> None:
        self.find()
        self.target_name = self.target_name or pyocd_target(self.board, self.pack)

    @contextlib.contextmanager
    def session(self, program: Path):
        import serial

        found = self.find()
        flash(program, found.probe.unique_id, self.target_name or pyocd_target(self.board, self.pack), self.pack)
        link = serial.serial_for_url(found.port.device, baudrate=self.board.uart_baud, timeout=0.2)
        with self.handshake(link, found.port.device) as client:
            yield client
