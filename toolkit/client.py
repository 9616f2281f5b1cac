"""The one protocol client (docs/protocol.md) over any link: a pyserial port from
`serial.serial_for_url` (`/dev/ttyACM0`, `socket://host:port`, `rfc2217://...`, `loop://`) or the host
runner's pipe. Deploy, the tests, the HIL suite and the demo all talk to boards through it.

Stop-and-wait: one request, then its reply, so the host never overruns a board whose UART has no
hardware flow control. Every read has a deadline; a dead link raises LinkError naming the port,
the command and the last bytes heard.
"""
from __future__ import annotations

import json
import time
from collections import deque
from typing import Callable

from . import protocol as P
from .errors import ToolkitError

DEFAULT_TIMEOUT = 5.0      # seconds for a reply to an ordinary command
INFER_TIMEOUT = 120.0      # an inference on the emulator can take a while on a busy machine
RETRIES = 3                # resends of a request the board reported as corrupted


class LinkError(ToolkitError):
    """The link is dead or silent: names the port, the command and the last bytes received."""


class BoardError(ToolkitError):
    """The board answered a request with an error status."""

    def __init__(self, command: str, status: int, text: str):
        self.command, self.status, self.text = command, P.Status(status), text
        super().__init__(f"board refused {command}: {self.status.name} ({text})")


class Client:
    def __init__(self, link, port: str, timeout: float = DEFAULT_TIMEOUT):
        self.link, self.port, self.timeout = link, port, timeout
        self.decoder = P.Decoder()
        self.pending: deque[P.Frame] = deque()
        self.seq = 0
        self.last_bytes: deque[int] = deque(maxlen=48)
        self.last_frame: P.Frame | None = None
        self.stray: list[P.Frame] = []   # frames that answered nothing we asked (garbage, lost requests)
        self.bytes_sent = self.bytes_received = 0
        self.started = time.monotonic()
        self.hello_info: dict | None = None
        self._info: dict | None = None
        self.last_run_seconds: dict[str, float] = {}
        self.bands_sent = self.band_bytes_sent = 0   # streamed input: NEEDs answered, bytes sent

    # ------------------------------------------------------------------ bytes and frames
    def write(self, data: bytes) -> None:
        try:
            self.link.write(data)
            self.link.flush()
        except Exception as exc:  # pyserial raises SerialException or OSError by backend
            raise self.dead("sending", exc) from None
        self.bytes_sent += len(data)

    def heard(self) -> str:
        last = bytes(self.last_bytes).hex(" ") or "nothing"
        frame = f" (last frame: {self.last_frame.describe()})" if self.last_frame else ""
        return f"last bytes received: {last}{frame}"

    def dead(self, what: str, exc: BaseException | None = None) -> LinkError:
        cause = f": {exc}" if exc else ""
        return LinkError(f"link {self.port} failed while {what}{cause}; {self.heard()}")

    def next_frame(self, deadline: float, what: str) -> P.Frame:
        while not self.pending:
            left = deadline - time.monotonic()
            if left <= 0:
                raise LinkError(f"no reply from {self.port} to {what} within "
                                f"{self.timeout_for(what):.0f} s; {self.heard()}")
            try:
                self.link.timeout = min(left, 0.2)
                data = self.link.read(max(1, min(4096, getattr(self.link, "in_waiting", 0) or 1)))
            except Exception as exc:
                raise self.dead(f"waiting for the reply to {what}", exc) from None
            if data:
                self.bytes_received += len(data)
                self.last_bytes.extend(data)
                self.pending.extend(self.decoder.feed(data))
        frame = self.pending.popleft()
        self.last_frame = frame
        return frame

    def timeout_for(self, what: str) -> float:
        return INFER_TIMEOUT if what.startswith("INFER") else self.timeout

    # ------------------------------------------------------------------ requests
    def request(self, cmd: P.Command, payload: bytes = b"", check: bool = True,
                on_need: Callable[[P.Frame], None] | None = None) -> P.Frame:
        """Send one request and return its reply (an error status raises BoardError when `check`).
        `on_need`: called for each NEED the board sends before the reply (a streamed INFER); it
        sends the bytes asked for, and the wait for the reply starts again."""
        self.seq = seq = (self.seq + 1) & 0xFF
        what = f"{cmd.name} (seq {seq})"
        frame = P.encode(cmd, seq, payload)
        for _ in range(RETRIES + 1):
            self.write(frame)
            deadline = time.monotonic() + self.timeout_for(cmd.name)
            while True:
                reply = self.next_frame(deadline, what)
                if reply.type == cmd | P.REPLY and reply.seq == seq:
                    if check and reply.status:
                        raise BoardError(cmd.name, reply.status, reply.payload.decode("ascii", "replace"))
                    return reply
                if reply.type == P.Command.NEED and reply.seq == seq and on_need:
                    on_need(reply)
                    deadline = time.monotonic() + self.timeout_for(cmd.name)
                    continue
                if reply.type == P.Command.BOOT:
                    raise LinkError(f"the board on {self.port} restarted while answering {what}; {self.heard()}")
                self.stray.append(reply)
                if reply.type == P.Command.ERROR and reply.status in (P.Status.BAD_CRC, P.Status.BAD_FRAME,
                                                                      P.Status.OVERRUN):
                    break  # our request arrived damaged: send it again (the board runs a repeat once)
        raise LinkError(f"{self.port}: {what} arrived damaged {RETRIES + 1} times; {self.heard()}")

    def hello(self, timeout: float | None = None) -> dict:
        """The version handshake; retried until `timeout` while the board boots."""
        deadline = time.monotonic() + (timeout or self.timeout)
        saved = self.timeout
        while True:
            self.timeout = min(0.25, max(0.05, deadline - time.monotonic()))
            try:
                reply = self.request(P.Command.HELLO, bytes([P.VERSION]))
                break
            except LinkError:
                if time.monotonic() >= deadline:
                    raise
            finally:
                self.timeout = saved
        info = P.parse_hello(reply.payload)
        if info["protocol"] != P.VERSION:
            raise ToolkitError(f"the board on {self.port} speaks protocol v{info['protocol']}, this toolkit "
                               f"v{P.VERSION}: rebuild and flash the firmware")
        self.hello_info = info
        return info

    def info(self) -> dict:
        if self._info is None:
            text, total = b"", None
            while total is None or len(text) < total:
                payload = self.request(P.Command.INFO, len(text).to_bytes(2, "little")).payload
                total = int.from_bytes(payload[:2], "little")
                if len(payload) == 2 and len(text) < total:
                    raise LinkError(f"{self.port}: INFO stopped at {len(text)} of {total} B")
                text += payload[2:]
            self._info = json.loads(text)
        return self._info

    def load(self, index: int, data: bytes, start: int = 0, end: int | None = None) -> None:
        """Send bytes [start, end) of one input in chunks; each reply is the credit for the next chunk."""
        step = P.MAX_PAYLOAD - 5
        end = len(data) if end is None else end
        for off in range(start, max(end, start + 1), step):
            chunk = data[off:min(off + step, end)]
            got = self.request(P.Command.LOAD, P.load_payload(index, off, chunk)).payload
            if int.from_bytes(got, "little") != off + len(chunk):
                raise LinkError(f"{self.port}: LOAD of input {index} acknowledged {int.from_bytes(got, 'little')} B, "
                                f"sent {off + len(chunk)} B")

    def streamed_input(self) -> int | None:
        """The input the firmware streams (it asks for its rows during INFER), or None."""
        info = self.info()
        return 0 if info.get("stream_bands") else None

    def infer(self, streamed: dict[int, bytes] | None = None) -> int:
        """Run one inference on the loaded inputs; returns its latency in the board's counter unit.
        `streamed`: the whole bytes of a streamed input, sent band by band as the board asks (NEED)."""
        def need(frame: P.Frame) -> None:
            index, off, count = P.parse_need(frame.payload)
            if not streamed or index not in streamed or off + count > len(streamed[index]):
                raise LinkError(f"{self.port}: the board asked for bytes {off}..{off + count} of input {index}, "
                                f"which this run does not stream")
            self.load(index, streamed[index], off, off + count)
            self.bands_sent += 1
            self.band_bytes_sent += count

        return int.from_bytes(self.request(P.Command.INFER, on_need=need).payload[:8], "little")

    def read(self, index: int, size: int) -> bytes:
        out, step = bytearray(), P.MAX_PAYLOAD
        while len(out) < size:
            n = min(step, size - len(out))
            out += self.request(P.Command.READ, P.read_payload(index, len(out), n)).payload
        return bytes(out)

    def stats(self) -> dict:
        return P.parse_stats(self.request(P.Command.STATS).payload)

    def profile(self, table: int = P.PROFILE_OPS) -> list[int]:
        values: list[int] = []
        total = None
        while total is None or len(values) < total:
            payload = self.request(P.Command.PROFILE, bytes([table]) + len(values).to_bytes(2, "little")).payload
            total, n = int.from_bytes(payload[:2], "little"), int.from_bytes(payload[2:4], "little")
            if n == 0 and len(values) < total:
                raise LinkError(f"{self.port}: PROFILE stopped at {len(values)} of {total}")
            values += [int.from_bytes(payload[4 + 4 * i:8 + 4 * i], "little") for i in range(n)]
        return values

    def reset(self, boot_timeout: float = 10.0) -> dict:
        """Restart the board, wait for its BOOT frame, then shake hands again."""
        self.request(P.Command.RESET)
        deadline = time.monotonic() + boot_timeout
        while True:
            frame = self.next_frame(deadline, "RESET (waiting for BOOT)")
            if frame.type == P.Command.BOOT:
                break
        self._info = None
        return self.hello()

    def run(self, inputs: list[bytes], output_sizes: list[int]) -> tuple[list[bytes], int]:
        """LOAD every input, INFER, READ every output: (outputs, latency). Wall seconds spent
        moving the tensors and waiting for the inference go to `last_run_seconds`."""
        t0 = time.monotonic()
        streamed = self.streamed_input()
        for i, data in enumerate(inputs):
            if i != streamed:
                self.load(i, data)
        t1 = time.monotonic()
        latency = self.infer({streamed: inputs[streamed]} if streamed is not None else None)
        t2 = time.monotonic()
        outputs = [self.read(i, n) for i, n in enumerate(output_sizes)]
        self.last_run_seconds = {"transfer": t1 - t0 + time.monotonic() - t2, "infer": t2 - t1}
        return outputs, latency

    def link_stats(self) -> dict:
        return {"port": self.port, "bytes_sent": self.bytes_sent, "bytes_received": self.bytes_received,
                "seconds": round(time.monotonic() - self.started, 3)}
