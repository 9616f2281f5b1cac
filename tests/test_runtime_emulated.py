"""The firmware runtime on the emulated NUCLEO-F746ZG (QEMU mps2-an500), over the real serial byte
stream: every command, and every way a host or a link can misbehave. After each, the board must
still serve and the next inference must still equal the golden interpreter element by element."""
from __future__ import annotations

import random
import re
import threading
import time

import numpy as np
import pytest
import serial

from engine_cases import load_case
from toolkit import golden
from toolkit import protocol as P
from toolkit.build import build
from toolkit.client import BoardError, Client, LinkError
from toolkit.codegen import generate
from toolkit.plan import plan_graph
from toolkit.targets import get_target
from toolkit.targets.emulator import qemu_binary

pytestmark = pytest.mark.skipif(qemu_binary() is None, reason="qemu-system-arm not installed")
IMAGES = 3


@pytest.fixture(scope="module")
def firmware(tmp_path_factory):
    """fashion_cnn with 2x2 patches (so PROFILE has tiles) built for the emulated F746."""
    path, g, q = load_case("fashion_cnn", limit=IMAGES)
    g.name = "fashion_cnn"
    plan = plan_graph(g, split="auto", grid=(2, 2))
    work = tmp_path_factory.mktemp("fw")
    generate(g, plan, work / "gen", path)
    target = get_target("nucleo-f746zg", emulate=True)
    program = build(target.env, work / "pio", work / "gen", board="nucleo-f746zg")
    return target, program, g, q, golden.run_graph(g, q)


@pytest.fixture
def board(firmware):
    target, program, g, q, ref = firmware
    with target.session(program) as client:
        yield client, target


def image(firmware, i):
    _, _, g, q, ref = firmware
    return ([np.ascontiguousarray(q[n][i]).tobytes() for n in g.inputs],
            [ref[n][i] for n in g.outputs], [g.tensors[n].size for n in g.outputs])


def assert_bit_exact(client, firmware, i=0):
    inputs, expected, sizes = image(firmware, i)
    outs, latency = client.run(inputs, sizes)
    for got, ref in zip(outs, expected):
        got = np.frombuffer(got, np.int8).reshape(ref.shape)
        assert np.array_equal(got, ref), f"{int((got != ref).sum())} elements differ from the golden interpreter"
    assert latency > 0


def replies(client, n=1, timeout=5.0):
    deadline = time.monotonic() + timeout
    return [client.next_frame(deadline, "test") for _ in range(n)]


def test_hello_info_stats_profile(board, firmware):
    client, _ = board
    hello = client.hello()
    assert hello == {"protocol": 1, "max_payload": P.MAX_PAYLOAD, "rx_buffer": hello["rx_buffer"],
                     "board": "nucleo-f746zg"}
    assert hello["rx_buffer"] >= P.MAX_PAYLOAD + 14  # a whole frame fits: stop-and-wait cannot overrun
    info = client.info()
    _, _, g, q, _ = firmware
    assert info["emulated"] is True and info["counter_unit"] == "instructions"
    assert info["model"] == "fashion_cnn" and len(info["sha256"]) == 64
    assert [i["bytes"] for i in info["inputs"]] == [g.tensors[n].size for n in g.inputs]
    scale = P.f32_from_hex(info["inputs"][0]["scale_f32"])
    assert scale == pytest.approx(float(g.tensors[g.inputs[0]].scale), rel=1e-7)
    assert info["flash_used_bytes"] < info["flash_bytes"] == 1_048_576 and info["ram_bytes"] == 327_680
    for i in range(IMAGES):
        assert_bit_exact(client, firmware, i)
    stats = client.stats()
    assert stats["inferences"] == IMAGES and stats["rx_overruns"] == 0
    assert 0 < stats["stack_high_water_bytes"] < stats["stack_bytes"]
    assert info["arena_bytes"] * 0.95 <= stats["arena_high_water_bytes"] <= info["arena_bytes"]
    ops, tiles = client.profile(P.PROFILE_OPS), client.profile(P.PROFILE_TILES)
    assert len(ops) == info["ops"] and len(tiles) == info["tiles"] == 4
    assert all(v > 0 for v in ops + tiles)


def test_reset_restarts_the_board(board, firmware):
    client, _ = board
    assert_bit_exact(client, firmware)
    assert client.reset()["board"] == "nucleo-f746zg"
    assert client.stats()["inferences"] == 0
    assert_bit_exact(client, firmware, 1)


def test_random_bit_flips_are_reported_and_survived(board, firmware):
    client, _ = board
    rng = random.Random(7)
    inputs, _, _ = image(firmware, 0)
    for _ in range(20):
        raw = bytearray(P.encode(P.Command.LOAD, 200, P.load_payload(0, 0, inputs[0][:300])))
        pos = rng.randrange(1, len(raw) - 1)
        raw[pos] ^= 1 << rng.randrange(8)
        client.write(bytes(raw))
        for f in replies(client, 1 if raw[pos] else 2):  # a flip to 0x00 splits the frame in two
            assert f.status in (P.Status.BAD_CRC, P.Status.BAD_FRAME, P.Status.BAD_LENGTH), f.describe()
    assert_bit_exact(client, firmware)


def test_truncated_frame_then_a_good_one(board, firmware):
    client, _ = board
    raw = P.encode(P.Command.LOAD, 201, P.load_payload(0, 0, bytes(200)))
    client.write(raw[:100])
    client.write(P.encode(P.Command.HELLO, 202, bytes([P.VERSION])))
    bad, good = replies(client, 2)
    assert bad.type == P.Command.ERROR and bad.status in (P.Status.BAD_CRC, P.Status.BAD_FRAME)
    assert good.type == P.Command.HELLO | P.REPLY and good.seq == 202 and good.status == P.Status.OK
    assert_bit_exact(client, firmware)


def test_length_field_too_large_and_frame_too_long(board, firmware):
    client, _ = board
    client.write(P.wire(P.body(P.Command.LOAD, 203, bytes(8), length=4000)))
    (f,) = replies(client)
    assert (f.type, f.seq, f.status) == (P.Command.LOAD | P.REPLY, 203, P.Status.BAD_LENGTH)
    client.write(b"\x00" + b"\x55" * 3000 + b"\x00")
    (f,) = replies(client)
    assert f.status == P.Status.TOO_LONG
    assert_bit_exact(client, firmware)


def test_unknown_command_and_bad_version(board, firmware):
    client, _ = board
    client.write(P.encode(0x42, 204))
    (f,) = replies(client)
    assert (f.type, f.seq, f.status) == (0x42 | P.REPLY, 204, P.Status.UNKNOWN_COMMAND)
    client.write(P.wire(P.body(P.Command.HELLO, 205, b"\x02", version=2)))
    (f,) = replies(client)
    assert (f.seq, f.status) == (205, P.Status.BAD_VERSION)
    assert_bit_exact(client, firmware)


def test_inputs_of_the_wrong_size_and_out_of_order(board, firmware):
    client, _ = board
    inputs, _, sizes = image(firmware, 0)
    with pytest.raises(BoardError) as e:
        client.load(0, inputs[0] + b"\x01")
    assert e.value.status == P.Status.WRONG_SIZE
    client.load(0, inputs[0][:100])
    with pytest.raises(BoardError) as e:
        client.infer()
    assert e.value.status == P.Status.NO_INPUT
    with pytest.raises(BoardError) as e:
        client.request(P.Command.LOAD, P.load_payload(0, 300, bytes(10)))
    assert e.value.status == P.Status.OUT_OF_ORDER
    with pytest.raises(BoardError) as e:
        client.read(0, sizes[0])
    assert e.value.status == P.Status.NO_OUTPUT
    with pytest.raises(BoardError) as e:
        client.request(P.Command.LOAD, P.load_payload(9, 0, bytes(10)))
    assert e.value.status == P.Status.BAD_ARGUMENT
    assert_bit_exact(client, firmware)


def test_garbage_before_a_frame(board, firmware):
    client, _ = board
    rng = random.Random(3)
    client.write(bytes(rng.randrange(1, 256) for _ in range(64)))
    client.write(P.encode(P.Command.HELLO, 206, bytes([P.VERSION])))
    garbage, hello = replies(client, 2)
    assert garbage.type == P.Command.ERROR and garbage.status != P.Status.OK
    assert hello.type == P.Command.HELLO | P.REPLY and hello.seq == 206
    assert_bit_exact(client, firmware)


def test_repeated_request_is_answered_once(board, firmware):
    """A host that lost a reply resends the request: the board answers again without running it twice."""
    client, _ = board
    inputs, _, _ = image(firmware, 0)
    frame = P.encode(P.Command.LOAD, 207, P.load_payload(0, 0, inputs[0][:100]))
    client.write(frame)
    client.write(frame)
    a, b = replies(client, 2)
    assert a == b and int.from_bytes(a.payload, "little") == 100
    assert_bit_exact(client, firmware)


def test_host_disconnects_mid_load_and_reconnects(firmware):
    target, program, *_ = firmware
    with target.session(program) as client:
        inputs, _, _ = image(firmware, 0)
        client.request(P.Command.LOAD, P.load_payload(0, 0, inputs[0][:200]))
        client.write(P.encode(P.Command.LOAD, 99, P.load_payload(0, 200, inputs[0][200:500]))[:150])
        port = client.port
        client.link.close()
        again = Client(serial.serial_for_url(port, timeout=0.2), port)
        try:
            again.hello(timeout=10)
            assert_bit_exact(again, firmware, 2)
        finally:
            again.link.close()


def test_killing_qemu_mid_inference_is_one_line_naming_the_port(firmware):
    target, program, *_ = firmware
    with target.session(program) as client:
        inputs, _, _ = image(firmware, 0)
        threading.Timer(0.02, target.process.kill).start()
        t0 = time.monotonic()
        with pytest.raises(LinkError) as e:
            while time.monotonic() - t0 < 10:   # the kill lands in a LOAD or an INFER, by the machine's speed
                client.load(0, inputs[0])
                client.infer()
        message = str(e.value)
    assert time.monotonic() - t0 < 10
    assert "\n" not in message and client.port in message and "last frame" in message, message


class RunnerLink:
    """The MLPerf Tiny runner's serial discipline (mlcommons/tiny benchmark/runner/serial_device.py):
    write `command%`, read '\\n'-terminated lines (dropping '\\r' and '\\0') until one holds m-ready."""

    def __init__(self, link):
        self.link, self.pending = link, b""

    def command(self, cmd: str, timeout: float = 30.0) -> list[str]:
        self.link.write(cmd.encode() + b"%")
        lines, deadline = [], time.monotonic() + timeout
        while True:
            while b"\n" not in self.pending:
                assert time.monotonic() < deadline, f"no m-ready after {cmd!r}: {lines}"
                self.pending += self.link.read(256)
            raw, self.pending = self.pending.split(b"\n", 1)
            text = raw.replace(b"\r", b"").replace(b"\0", b"").decode("ascii", "replace")
            if text:
                lines.append(text)
            if "m-ready" in text:
                return lines


def test_mlperf_tiny_runner_protocol(board, firmware):
    client, _ = board
    _, _, g, q, ref = firmware
    dut = RunnerLink(client.link)
    dut.command("")  # the runner's reset_port: flush (the BOOT frame's line goes with it)
    name = dut.command("name")
    assert any(re.match(r"^m-name-dut-\[tinyml-toolkit nucleo-f746zg\]$", line) for line in name), name
    profile = dut.command("profile")
    assert "m-profile-[ULPMark for tinyML Firmware V0.0.1]" in profile and "m-model-[fashion_cnn]" in profile
    data = np.ascontiguousarray(q[g.inputs[0]][1]).tobytes()
    assert dut.command(f"db load {len(data)}")[0] == f"m-[Expecting {len(data)} bytes]"
    for i in range(0, len(data), 31):  # the runner's 31-byte chunks, each answered
        reply = dut.command("db " + data[i:i + 31].hex())
    assert reply == ["m-load-done", "m-ready"]
    lines = dut.command("infer 3 1")
    laps = [int(m.group(1)) for line in lines if (m := re.match(r"^m-lap-us-(\d+)$", line))]
    assert len(laps) == 2 and laps[1] > laps[0]
    results = next(m.group(1) for line in lines if (m := re.match(r"^m-results-\[([^]]+)\]$", line)))
    out = g.tensors[g.outputs[0]]
    expected = (ref[g.outputs[0]][1].astype(np.float32) - float(out.zero_point)) * np.float32(out.scale)
    assert np.allclose([float(v) for v in results.split(",")], expected.reshape(-1), atol=0.0015)
    assert any(line.startswith("e-[") for line in dut.command("infer 1 0"))  # the input was consumed
    assert any(line.startswith("e-[unknown command") for line in dut.command("fly"))
    client.hello()  # the binary protocol is still there
    assert_bit_exact(client, firmware, 2)
