"""The protocol's host half on its own: COBS, CRC, frames, the stream decoder (docs/protocol.md)."""
from __future__ import annotations

import random
import zlib

import pytest

from toolkit import protocol as P


@pytest.mark.parametrize("data", [b"", b"\x00", b"\x00\x00", b"abc", bytes(range(256)) * 3, b"\x01" * 254,
                                  b"\x01" * 255, b"\x01" * 253 + b"\x00"])
def test_cobs_round_trip_has_no_zero(data):
    enc = P.cobs_encode(data)
    assert 0 not in enc
    assert P.cobs_decode(enc) == data


def test_frame_layout_and_crc():
    raw = P.encode(P.Command.LOAD, 7, b"\x00\x01\x02")
    assert raw[0] == 0 and raw[-1] == 0 and 0 not in raw[1:-1]
    body = P.cobs_decode(raw[1:-1])
    assert body[:6] == bytes([P.VERSION, P.Command.LOAD, 7, 0, 3, 0])
    assert int.from_bytes(body[-4:], "little") == zlib.crc32(body[:-4])
    f = P.decode(raw[1:-1])
    assert (f.type, f.seq, f.status, f.payload) == (P.Command.LOAD, 7, 0, b"\x00\x01\x02")


def test_decoder_resynchronises_after_garbage_and_flags_damage():
    rng = random.Random(1)
    good = P.encode(P.Command.HELLO, 1, b"\x01")
    damaged = bytearray(good)
    damaged[5] ^= 0x10
    garbage = bytes(rng.randrange(1, 256) for _ in range(40))
    d = P.Decoder()
    frames = d.feed(garbage + bytes(damaged) + good)
    assert [f.seq for f in frames] == [1]
    assert d.bad == 2  # the garbage and the damaged frame


def test_decode_rejects_wrong_length_field():
    with pytest.raises(ValueError, match="length field"):
        P.decode(P.cobs_encode(P.body(P.Command.INFO, 1, b"\x00\x00", length=9)))


def test_payload_over_the_maximum_is_refused():
    with pytest.raises(ValueError, match="exceeds"):
        P.encode(P.Command.LOAD, 1, bytes(P.MAX_PAYLOAD + 1))


def test_worked_example():
    """docs/protocol.md's worked example, byte for byte."""
    assert P.body(P.Command.HELLO, 1, b"\x01").hex(" ") == "01 01 01 00 01 00 01 7e 74 e2 bb"
    assert P.encode(P.Command.HELLO, 1, b"\x01").hex(" ") == "00 04 01 01 01 02 01 06 01 7e 74 e2 bb 00"
    assert P.parse_hello(b"\x01\x00\x02\x0f\x02nucleo-f746zg") == {
        "protocol": 1, "max_payload": 512, "rx_buffer": 527, "board": "nucleo-f746zg"}
