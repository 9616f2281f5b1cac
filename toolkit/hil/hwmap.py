"""Hardware maps in Zephyr twister's form: a YAML list of boards on a rack, one entry each:

    - id: 066DFF495051717867143041      # the probe's unique id (ST-LINK: its USB serial number)
      platform: nucleo-f746zg           # a board of boards/*.toml
      product: STM32 STLink
      runner: pyocd
      serial: /dev/ttyACM0
      baud: 921600
      connected: true
      fixtures: []
      probe_id: 066DFF495051717867143041   # optional, defaults to id
      place: rack1-f746                 # optional: reach it through this labgrid place (runner: labgrid)

Every entry is checked; a bad one is reported with its index and id, all at once."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml

from ..boards import all_boards
from ..errors import ToolkitError

RUNNERS = ("pyocd", "emulator", "labgrid")
REQUIRED = ("id", "platform", "runner", "connected")
KNOWN = set(REQUIRED) | {"product", "serial", "baud", "fixtures", "probe_id", "notes", "place", "emulated"}


@dataclass(frozen=True)
class HardwareEntry:
    id: str
    platform: str
    runner: str
    connected: bool
    serial: str | None = None
    baud: int | None = None
    product: str = ""
    fixtures: tuple[str, ...] = field(default_factory=tuple)
    probe_id: str | None = None
    place: str | None = None          # labgrid place (runner labgrid)
    place_emulated: bool = False      # the place's board is an emulated stand-in

    def as_map_entry(self) -> dict:
        """This entry as a hardware map's YAML mapping (what `load` reads back)."""
        out = {"id": self.id, "platform": self.platform, "runner": self.runner, "connected": self.connected,
               "product": self.product, "fixtures": list(self.fixtures)}
        out.update({k: v for k, v in (("serial", self.serial), ("baud", self.baud), ("probe_id", self.probe_id),
                                      ("place", self.place)) if v})
        if self.runner == "labgrid":
            out["emulated"] = self.place_emulated
        return out

    @property
    def emulated(self) -> bool:
        return self.runner == "emulator" or (self.runner == "labgrid" and self.place_emulated)


def _problems(i: int, raw) -> list[str]:
    if not isinstance(raw, dict):
        return [f"entry {i}: a mapping of fields, not {type(raw).__name__}"]
    where = f"entry {i} (id {raw.get('id', '?')})"
    out = [f"{where}: missing {k}" for k in REQUIRED if k not in raw]
    out += [f"{where}: unknown field {k}" for k in raw if k not in KNOWN]
    boards = all_boards()
    if "platform" in raw and raw["platform"] not in boards:
        out.append(f"{where}: platform {raw['platform']!r} is not a known board ({', '.join(boards)})")
    if "runner" in raw and raw["runner"] not in RUNNERS:
        out.append(f"{where}: runner {raw['runner']!r} is not one of {', '.join(RUNNERS)}")
    if "connected" in raw and not isinstance(raw["connected"], bool):
        out.append(f"{where}: connected must be true or false")
    if "baud" in raw and not (isinstance(raw["baud"], int) and raw["baud"] > 0):
        out.append(f"{where}: baud must be a positive integer")
    if raw.get("runner") == "pyocd" and raw.get("connected") and not raw.get("serial"):
        out.append(f"{where}: a connected pyocd board needs its serial port")
    if raw.get("runner") == "labgrid" and not raw.get("place"):
        out.append(f"{where}: a labgrid board needs its place")
    return out


def load(path: Path) -> list[HardwareEntry]:
    try:
        data = yaml.safe_load(Path(path).read_text())
    except (OSError, yaml.YAMLError) as exc:
        raise ToolkitError(f"hardware map {path}: {exc}") from None
    if not isinstance(data, list):
        raise ToolkitError(f"hardware map {path}: a YAML list of boards, not {type(data).__name__}")
    problems = [p for i, raw in enumerate(data) for p in _problems(i, raw)]
    if problems:
        raise ToolkitError(f"hardware map {path}: " + "; ".join(problems))
    return [HardwareEntry(id=str(r["id"]), platform=r["platform"], runner=r["runner"], connected=r["connected"],
                          serial=r.get("serial"), baud=r.get("baud"), product=r.get("product", ""),
                          fixtures=tuple(r.get("fixtures") or ()), probe_id=r.get("probe_id"),
                          place=r.get("place"), place_emulated=bool(r.get("emulated", False))) for r in data]


def scan() -> list[dict]:
    """Entries for the probes attached now, paired with their serial ports (toolkit hil scan)."""
    from ..targets.probe import connected_probes, pair, serial_ports
    boards = all_boards()
    out = []
    for a in pair(connected_probes(), serial_ports(), list(boards.values())):
        out.append({"id": a.probe.unique_id, "platform": a.board.name if a.board else "unknown",
                    "product": a.probe.description, "runner": "pyocd", "serial": a.port.device if a.port else None,
                    "baud": a.board.uart_baud if a.board else None, "connected": a.port is not None and a.board is not None,
                    "fixtures": []})
    return out


def dump(entries: list[dict]) -> str:
    return yaml.safe_dump(entries, sort_keys=False)
