"""A board on a rack behind labgrid: the coordinator hands out places, each rack host's exporter
publishes the board's serial port (a NetworkSerialPort: RFC 2217 through ser2net, or raw TCP) and,
for a real board, its debug probe. This target reaches the board only through the place.

Flashing through the place (labgrid's PyOCDDriver on the exporter host) is not implemented yet:
the place runs whatever its host booted or flashed, and the INFO check (firmware.check_firmware)
refuses a stale image. Needs LG_COORDINATOR (host:port of the coordinator) in the environment, or
`coordinator` set."""
from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from ..errors import ToolkitError
from . import Target


def place_serial_url(place: str, coordinator: str | None = None) -> tuple[str, int]:
    """(pyserial URL, baud) of the serial port the acquired labgrid place offers."""
    try:
        from labgrid import Environment
        from labgrid.resource import NetworkSerialPort
    except ImportError:
        raise ToolkitError("labgrid is not installed (pip install labgrid)") from None
    if coordinator:
        os.environ["LG_COORDINATOR"] = coordinator
    if not os.environ.get("LG_COORDINATOR"):
        raise ToolkitError("no labgrid coordinator: set LG_COORDINATOR=host:port")
    with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False) as f:
        f.write(f"targets:\n  main:\n    resources:\n      RemotePlace:\n        name: {place}\n")
    try:
        target = Environment(f.name).get_target("main")
        port = target.get_resource(NetworkSerialPort)
    except Exception as exc:  # labgrid raises its own types for an unknown or unacquired place
        raise ToolkitError(f"labgrid place {place!r} at {os.environ['LG_COORDINATOR']}: {exc}") from None
    finally:
        Path(f.name).unlink()
    scheme = "rfc2217" if port.protocol == "rfc2217" else "socket"
    return f"{scheme}://{port.host}:{port.port}", port.speed


def labgrid_client(place: str, *args: str, coordinator: str | None = None) -> str:
    """labgrid's own client (the `labgrid-client` next to this Python) on one place."""
    exe = Path(sys.executable).with_name("labgrid-client")
    env = dict(os.environ, **({"LG_COORDINATOR": coordinator} if coordinator else {}))
    try:
        res = subprocess.run([str(exe), "-p", place, *args], env=env, capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise ToolkitError(f"labgrid-client {' '.join(args)} on place {place!r}: {exc}") from None
    if res.returncode != 0:
        raise ToolkitError(f"labgrid-client {' '.join(args)} on place {place!r}: "
                           f"{(res.stderr or res.stdout).strip().splitlines()[-1:]}")
    return res.stdout


class LabgridTarget(Target):
    """Acquires the place for the session and releases it on every way out."""

    place: str = ""
    coordinator: str | None = None

    def preflight(self) -> None:
        labgrid_client(self.place, "show", coordinator=self.coordinator)

    @contextlib.contextmanager
    def session(self, program: Path):
        import serial

        labgrid_client(self.place, "acquire", coordinator=self.coordinator)
        try:
            url, baud = place_serial_url(self.place, self.coordinator)
            link = serial.serial_for_url(url, baudrate=baud, timeout=0.2)
            with self.handshake(link, f"{url} (labgrid place {self.place})") as client:
                yield client
        finally:
            labgrid_client(self.place, "release", coordinator=self.coordinator)
