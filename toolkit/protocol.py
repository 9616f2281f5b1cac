"""Serial protocol v1, host side: frame layout, codes, COBS, CRC. The specification is
docs/protocol.md; the board side is firmware/runtime/protocol.h. Keep the three in step.

A frame on the wire is 0x00, COBS(body), 0x00, with
    body = version u8 | type u8 | seq u8 | status u8 | length u16 LE | payload | crc32 u32 LE
(CRC-32 as zlib.crc32 over everything before it).
"""
from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass
from enum import IntEnum

VERSION = 1
MAX_PAYLOAD = 512
HEADER = struct.Struct("<BBBBH")
CRC = struct.Struct("<I")
REPLY = 0x80


class Command(IntEnum):
    HELLO = 0x01
    INFO = 0x02
    LOAD = 0x03
    INFER = 0x04
    READ = 0x05
    STATS = 0x06
    PROFILE = 0x07
    RESET = 0x08
    NEED = 0xFD   # unsolicited, during a streamed INFER (its seq): u8 input, u32 offset, u32 count
    BOOT = 0xFE   # unsolicited, after every boot
    ERROR = 0xFF  # reply to a frame whose type could not be trusted


UNSOLICITED = (Command.NEED, Command.BOOT, Command.ERROR)  # frames the board sends unasked


class Status(IntEnum):
    OK = 0
    BAD_CRC = 1
    BAD_LENGTH = 2
    BAD_FRAME = 3
    BAD_VERSION = 4
    UNKNOWN_COMMAND = 5
    BAD_ARGUMENT = 6
    WRONG_SIZE = 7
    OUT_OF_ORDER = 8
    NO_INPUT = 9
    NO_OUTPUT = 10
    ENGINE_ERROR = 11
    OVERRUN = 12
    TOO_LONG = 13
    BUSY = 14


STATS_FIELDS = ("stack_high_water_bytes", "stack_bytes", "arena_high_water_bytes", "arena_bytes",
                "static_ram_bytes", "ram_bytes", "heap_used_bytes", "inferences", "frames_ok", "frames_bad",
                "rx_overruns")
PROFILE_OPS, PROFILE_TILES = 0, 1


@dataclass(frozen=True)
class Frame:
    type: int
    seq: int
    status: int
    payload: bytes
    version: int = VERSION

    def describe(self) -> str:
        try:
            kind = Command(self.type & ~REPLY if self.type not in UNSOLICITED else self.type).name
        except ValueError:
            kind = f"0x{self.type:02x}"
        reply = " reply" if self.type & REPLY and self.type not in UNSOLICITED else ""
        st = Status(self.status).name if self.status in Status._value2member_map_ else str(self.status)
        text = f" {self.payload[:60].decode('ascii', 'replace')!r}" if self.status else ""
        return f"{kind}{reply} seq {self.seq} {st}{text}"


def cobs_encode(data: bytes) -> bytes:
    out, block = bytearray(), bytearray()
    for b in data:
        if b == 0:
            out += bytes([len(block) + 1]) + block
            block.clear()
        else:
            block.append(b)
            if len(block) == 254:
                out += b"\xff" + block
                block.clear()
    out += bytes([len(block) + 1]) + block
    return bytes(out)


def cobs_decode(data: bytes) -> bytes:
    out, i = bytearray(), 0
    while i < len(data):
        code = data[i]
        if code == 0 or i + code > len(data):
            raise ValueError("bad COBS block")
        out += data[i + 1:i + code]
        i += code
        if code != 0xFF and i < len(data):
            out.append(0)
    return bytes(out)


def body(type_: int, seq: int, payload: bytes = b"", status: int = 0, version: int = VERSION,
         length: int | None = None) -> bytes:
    """The unencoded frame body; `length` overrides the length field (tests of bad frames)."""
    head = HEADER.pack(version, type_, seq & 0xFF, status, len(payload) if length is None else length)
    return head + payload + CRC.pack(zlib.crc32(head + payload))


def encode(type_: int, seq: int, payload: bytes = b"", status: int = 0) -> bytes:
    if len(payload) > MAX_PAYLOAD:
        raise ValueError(f"payload of {len(payload)} B exceeds the protocol's {MAX_PAYLOAD} B")
    return b"\x00" + cobs_encode(body(type_, seq, payload, status)) + b"\x00"


def wire(frame_body: bytes) -> bytes:
    """Put any body (even a deliberately broken one) on the wire."""
    return b"\x00" + cobs_encode(frame_body) + b"\x00"


def decode(raw: bytes) -> Frame:
    """A frame from the bytes between two delimiters; ValueError says what is wrong with it."""
    data = cobs_decode(raw)
    if len(data) < HEADER.size + CRC.size:
        raise ValueError(f"frame of {len(data)} B is shorter than a header")
    (crc,) = CRC.unpack_from(data, len(data) - CRC.size)
    if zlib.crc32(data[:-CRC.size]) != crc:
        raise ValueError("bad CRC")
    version, type_, seq, status, length = HEADER.unpack_from(data)
    if length != len(data) - HEADER.size - CRC.size:
        raise ValueError(f"length field {length} disagrees with the frame's {len(data) - 10} B")
    return Frame(type_, seq, status, bytes(data[HEADER.size:-CRC.size]), version)


class Decoder:
    """Bytes in, frames out: splits the stream at delimiters (resynchronising after garbage)."""

    def __init__(self) -> None:
        self.buf = bytearray()
        self.bad = 0

    def feed(self, data: bytes) -> list[Frame]:
        frames = []
        for b in data:
            if b:
                self.buf.append(b)
                continue
            if self.buf:
                try:
                    frames.append(decode(bytes(self.buf)))
                except ValueError:
                    self.bad += 1
                self.buf.clear()
        return frames


# ---- payloads
def load_payload(index: int, offset: int, chunk: bytes) -> bytes:
    return struct.pack("<BI", index, offset) + chunk


def read_payload(index: int, offset: int, count: int) -> bytes:
    return struct.pack("<BIH", index, offset, count)


def parse_need(payload: bytes) -> tuple[int, int, int]:
    """A NEED frame's (input index, byte offset, byte count)."""
    if len(payload) != 9:
        raise ValueError(f"NEED payload of {len(payload)} bytes, expected 9")
    index, offset, count = struct.unpack("<BII", payload)
    return index, offset, count


def parse_hello(payload: bytes) -> dict:
    version, max_payload, rx_buffer = struct.unpack_from("<BHH", payload)
    return {"protocol": version, "max_payload": max_payload, "rx_buffer": rx_buffer,
            "board": payload[5:].decode("ascii", "replace")}


def parse_stats(payload: bytes) -> dict:
    values = struct.unpack_from(f"<{len(STATS_FIELDS)}I", payload)
    return dict(zip(STATS_FIELDS, values))


def f32_from_hex(text: str) -> float:
    return struct.unpack("<f", struct.pack("<I", int(text, 16)))[0]
