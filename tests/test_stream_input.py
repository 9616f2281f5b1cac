"""Streamed input and cached halos on the emulated NUCLEO-F746ZG (QEMU mps2-an500), over the real
serial byte stream: the firmware holds one band of the input's rows at a time and asks the host for
each band (NEED) during INFER, and its tiles compute every pixel once (halos cached). The outputs equal the golden interpreter element by element, the arena's measured
high-water mark is the plan's, and a host that does something else while the board waits for rows
gets a clear refusal and a board that still serves."""
from __future__ import annotations

import numpy as np
import pytest

from engine_cases import load_case
from toolkit import golden
from toolkit import protocol as P
from toolkit.build import build
from toolkit.codegen import firmware_arena, generate
from toolkit.firmware import make_plan
from toolkit.plan import plan_graph
from toolkit.targets import get_target
from toolkit.targets.emulator import qemu_binary

IMAGES = 2
GRID = 8


@pytest.fixture(scope="module")
def case():
    path, g, q = load_case("blazeface", limit=IMAGES)
    return path, g, q, golden.run_graph(g, q)


@pytest.fixture(scope="module")
def firmware(case, tmp_path_factory):
    """BlazeFace at 8x8 patches with its input streamed and its halos cached, built for the emulated F746."""
    if qemu_binary() is None:
        pytest.skip("qemu-system-arm not installed")
    path, g, q, ref = case
    plan = plan_graph(g, split="auto", grid=GRID, stream_input=True, halo="cache")
    work = tmp_path_factory.mktemp("fw")
    generate(g, plan, work / "gen", path)
    target = get_target("nucleo-f746zg", emulate=True)
    program = build(target.env, work / "pio", work / "gen", board="nucleo-f746zg")
    return target, program, g, q, ref, plan


@pytest.fixture
def board(firmware):
    target, program = firmware[:2]
    with target.session(program) as client:
        yield client


def run_image(client, firmware, i):
    _, _, g, q, ref, _ = firmware
    inputs = [np.ascontiguousarray(q[n][i]).tobytes() for n in g.inputs]
    outs, _ = client.run(inputs, [g.tensors[n].size for n in g.outputs])
    for name, got in zip(g.outputs, outs):
        want = ref[name][i]
        got = np.frombuffer(got, np.int8).reshape(want.shape)
        assert np.array_equal(got, want), f"{int((got != want).sum())} elements of {name} differ from golden"
    return inputs[0]


def test_streamed_inference_is_bit_exact_and_holds_one_band(board, firmware):
    _, _, g, _, _, plan = firmware
    assert plan.patch["halo_caches"] and plan.patch_macs == plan.macs   # no halo recomputed
    info = board.info()
    bands = plan.patch["bands"]
    needed = sum(y1 > y0 for y0, y1 in bands)   # a tile row needing no new input rows asks for none
    _, h, w, c = g.tensors[g.inputs[0]].shape
    tallest = max(y1 - y0 for y0, y1 in bands)
    assert info["stream_bands"] == GRID == len(bands) and info["band_bytes"] == tallest * w * c
    assert tallest < h  # never the whole image
    for i in range(IMAGES):
        before = board.band_bytes_sent
        image = run_image(board, firmware, i)
        sent = board.band_bytes_sent - before
        # every band once, halo rows again: more than the image, exactly the bands' rows
        assert sent == sum(y1 - y0 for y0, y1 in bands) * w * c > len(image)
    assert 0 < needed <= GRID and board.bands_sent == IMAGES * needed
    stats = board.stats()
    # the planner's arena (band buffer included) is what the board wrote, within 5%
    assert 0.95 * plan.arena_bytes <= stats["arena_high_water_bytes"] <= firmware_arena(g, plan)
    # and less than the same schedule with the image whole in SRAM plans
    assert stats["arena_high_water_bytes"] < plan_graph(g, split=plan.split, grid=GRID, halo="cache").arena_bytes


def test_load_of_a_streamed_input_outside_infer_is_refused(board, firmware):
    reply = board.request(P.Command.LOAD, P.load_payload(0, 0, bytes(100)), check=False)
    assert reply.status == P.Status.OUT_OF_ORDER and b"streamed" in reply.payload
    run_image(board, firmware, 0)


def test_another_command_while_the_board_waits_for_rows_ends_the_inference(board, firmware):
    refused = []

    def need(frame):
        index, offset, count = P.parse_need(frame.payload)
        assert (index, offset) == (0, 0) and count > 0
        refused.append(board.request(P.Command.STATS, check=False))

    reply = board.request(P.Command.INFER, on_need=need, check=False)
    assert len(refused) == 1 and refused[0].status == P.Status.BUSY
    assert reply.status == P.Status.ENGINE_ERROR and b"streamed input abandoned" in reply.payload
    run_image(board, firmware, 1)  # the board still serves, and the next inference is exact


def test_deploy_streams_when_it_lowers_the_arena(case):
    """toolkit deploy's planning (make_plan) under the F746's budget: auto streams BlazeFace's input
    (same MACs, smaller arena), never keeps the image whole, always insists; halos are cached (no
    MAC over per layer) unless recompute is asked for."""
    from toolkit.boards import get_board
    g = case[1]
    budget = get_board("nucleo-f746zg").budget_bytes
    auto, never = make_plan(g, None, None, budget), make_plan(g, None, None, budget, "never")
    assert auto.stream_input and not never.stream_input
    assert auto.patch_macs <= never.patch_macs and firmware_arena(g, auto) < firmware_arena(g, never)
    assert make_plan(g, "auto", 4, None, "always").stream_input
    assert auto.patch["halo"] == "cache" and auto.patch_macs == auto.macs
    recompute = make_plan(g, None, None, budget, halo="recompute")
    assert recompute.patch["halo"] == "recompute" and recompute.patch_macs > auto.patch_macs


def test_a_per_layer_schedule_streams_through_its_first_layer(case):
    """--stream-input always without patches: the first layer alone consumes the image in
    full-width bands, the rest runs per layer (bit-exactness: tests/test_engine.py, stream_rows)."""
    g = case[1]
    per_layer, streamed = make_plan(g, None, None, None), make_plan(g, None, None, None, "always")
    assert per_layer.split is None and streamed.split == g.ops[0].name and streamed.stream_input
    assert streamed.grid[1] == 1 and streamed.patch_macs == streamed.macs
    bands = streamed.patch["bands"]
    assert bands[0][0] == 0 and bands[-1][1] == g.tensors[g.inputs[0]].shape[1] and len(bands) == streamed.grid[0]


def test_a_budget_nothing_fits_names_the_smallest_peak_of_every_variant(case):
    """The refusal names the smallest arena any variant reaches (here: streamed), not the last tried."""
    from toolkit.errors import ToolkitError
    g = case[1]
    smallest = plan_graph(g, split="auto", stream_input=True, halo="auto").arena_bytes
    with pytest.raises(ToolkitError, match=rf"smallest achievable real peak is {smallest} B \(.*input streamed\)"):
        make_plan(g, None, None, smallest - 1000)


def test_tiles_cut_on_the_input_run_bit_exact_on_the_board(case, tmp_path):
    """Halo "lines" (tiles cut on the input, line-buffer order): early tiles advance the early layers
    only, so the first band is a band's share, not a receptive field; on the emulated F746, streamed,
    bit-exact, the arena's high-water mark the plan's."""
    if qemu_binary() is None:
        pytest.skip("qemu-system-arm not installed")
    path, g, q, ref = case
    plan = plan_graph(g, split="auto", grid=GRID, stream_input=True, halo="lines")
    cut_on_output = plan_graph(g, split=plan.split, grid=GRID, stream_input=True, halo="cache")
    assert plan.patch_macs == plan.macs and plan.patch["band_bytes"] < cut_on_output.patch["band_bytes"]
    generate(g, plan, tmp_path / "gen", path)
    target = get_target("nucleo-f746zg", emulate=True)
    program = build(target.env, tmp_path / "pio", tmp_path / "gen", board="nucleo-f746zg")
    fw = (target, program, g, q, ref, plan)
    with target.session(program) as client:
        for i in range(IMAGES):
            run_image(client, fw, i)
        high = client.stats()["arena_high_water_bytes"]
    assert 0.95 * plan.arena_bytes <= high <= firmware_arena(g, plan)
