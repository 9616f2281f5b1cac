"""Planner figures on the reference models (MCUNetV2 Table 1), both accountings, search, artifact."""
import json

import pytest

from test_plan_graphs import MODELS, SOURCES, graph
from toolkit.plan import BudgetError, Plan, buffers_overlap, format_plan, plan_graph, plot_plan
from toolkit.plan.liveness import plan_per_layer
from toolkit.plan.patch import evaluate_stage, split_reason

PAPER_PER_LAYER = 1_404_928      # 1372 kB: 112x112x16 -> 112x112x96 expand, in + out
PAPER_PATCH = 172 * 1024         # MCUNetV2 Table 1, 4x4 patches
PAPER_MAC_RATIO = 330 / 300      # ibid.
TFLM_ARENA = 1_665_168           # TFLM arena for int8 MobileNetV2 (no in-place, no patches)


def near(value, target, rel=0.02):
    return abs(value - target) <= rel * target


@pytest.fixture(scope="module", params=SOURCES)
def mbv2(request):
    return graph("mobilenetv2", request.param)


def test_mobilenetv2_paper_per_layer_peak(mbv2):
    p = plan_graph(mbv2)
    assert p.split is None and p.patch_peak_bytes is None
    assert p.paper_per_layer_peak_bytes == PAPER_PER_LAYER


def test_mobilenetv2_4x4_patches_match_mcunetv2_table1(mbv2):
    p = plan_graph(mbv2, split="auto", grid=4)
    assert p.grid == [4, 4]
    assert p.patch["input_patch"] == [75, 75]
    assert near(p.paper_patch_peak_bytes, PAPER_PATCH)
    assert near(p.patch_macs / p.macs, PAPER_MAC_RATIO)
    assert near(p.macs, 300.8e6, 0.01)


def test_mobilenetv2_real_accounting(mbv2):
    p = plan_graph(mbv2, split="auto", grid=4)
    # the full 150528-byte input image stays in SRAM while patches run
    assert p.patch_peak_bytes >= 224 * 224 * 3 + 28 * 28 * 32
    assert p.per_layer_peak_bytes >= 4 * p.patch_peak_bytes
    assert p.arena_bytes == p.patch_peak_bytes
    no_in_place = plan_per_layer(mbv2, in_place=False).peak
    assert p.per_layer_peak_bytes < no_in_place
    # TFLM's arena also holds persistent op data; ours must be below it and not far off
    assert 0.85 * TFLM_ARENA < no_in_place <= TFLM_ARENA


def test_blazeface_patches_3x_below_per_layer_4x_streamed():
    """With the full 48 kB input image in SRAM (what the firmware runs today) patches take BlazeFace's
    real peak 3x below per layer (3.4x measured); streaming the image band by band (planned, not yet
    run by the firmware) takes it past 4x."""
    g = graph("blazeface", "onnx" if _has("blazeface") else "synthetic")
    full = plan_graph(g, split="auto", grid="auto")
    streamed = plan_graph(g, split="auto", grid="auto", stream_input=True)
    assert full.per_layer_peak_bytes >= 3 * full.patch_peak_bytes
    assert streamed.stream_input and streamed.per_layer_peak_bytes >= 4 * streamed.patch_peak_bytes
    assert streamed.paper_per_layer_peak_bytes >= 4 * streamed.paper_patch_peak_bytes


def _has(name):
    from test_plan_graphs import imported
    return imported(name) is not None


@pytest.mark.parametrize("source", SOURCES)
@pytest.mark.parametrize("name", MODELS)
def test_no_overlap_in_any_plan_and_linear_not_better(name, source):
    g = graph(name, source)
    for in_place in (True, False):
        greedy = plan_per_layer(g, in_place=in_place)
        linear = plan_per_layer(g, in_place=in_place, planner="linear")
        assert not buffers_overlap(greedy.planner) and not buffers_overlap(linear.planner)
        assert linear.peak >= greedy.peak
    splits = [k for k in range(len(g.ops)) if split_reason(g, k) is None]
    for k in splits[::max(1, len(splits) // 12)]:
        for n in (2, 4):
            if n > g.tensors[g.ops[k].outputs[0]].shape[1]:
                continue
            for planner in ("greedy", "linear"):
                st = evaluate_stage(g, k, (n, n), planner=planner)
                assert not buffers_overlap(st.patch.planner) and not buffers_overlap(st.whole.planner)


def test_budget_search_picks_fewest_macs_that_fit(mbv2):
    loose = plan_graph(mbv2, budget_bytes=2 * 1024 * 1024, split="auto", grid="auto")
    assert loose.split is None and loose.arena_bytes == loose.per_layer_peak_bytes  # per-layer fits: no overhead
    tight = plan_graph(mbv2, budget_bytes=320 * 1024, split="auto", grid="auto")
    assert tight.split is not None and tight.patch_peak_bytes <= 320 * 1024
    fitting = [c for c in tight.search if c[3] <= 320 * 1024]
    assert tight.patch_macs == min(c[5] for c in fitting)


def test_budget_error_says_how_far_off(mbv2):
    with pytest.raises(BudgetError) as e:
        plan_graph(mbv2, budget_bytes=100 * 1024, split="auto", grid="auto")
    assert e.value.over_by == e.value.best_peak - 100 * 1024 > 0
    assert str(e.value.best_peak) in str(e.value)


def test_invalid_split_after_global_op(mbv2):
    gap = next(op.name for op in mbv2.ops if op.kind.value == "avgpool")
    with pytest.raises(ValueError, match="not spatially local"):
        plan_graph(mbv2, split=gap, grid=2)


def test_plan_json_round_trip_and_keys(tmp_path, mbv2):
    p = plan_graph(mbv2, budget_bytes=400_000, split="auto", grid=4)
    p.save(tmp_path / "plan.json")
    data = json.loads((tmp_path / "plan.json").read_text())
    for key in ("per_layer_peak_bytes", "patch_peak_bytes", "paper_per_layer_peak_bytes", "paper_patch_peak_bytes",
                "macs", "patch_macs", "split", "grid", "budget_bytes", "layers", "arena_bytes", "patch"):
        assert key in data
    tile = data["patch"]["tiles"][0]
    assert tile["index"] == [0, 0] and tile["output_region"] == [0, 7, 0, 7]
    first = tile["ops"][0]["inputs"][0]
    assert first["pad"] == [1, 1, 0, 0] and first["region"][0] == 0  # halo clipped at the top-left border
    assert Plan.load(tmp_path / "plan.json") == p
    assert {"name", "kind", "output_shape", "macs", "per_layer_bytes", "patch_bytes", "offsets",
            "receptive_field"} <= set(data["layers"][0])


def test_report_table_and_plot(tmp_path, mbv2):
    p = plan_graph(mbv2, budget_bytes=400_000, split="auto", grid=4)
    text = format_plan(p)
    assert "input patch 75x75" in text and "RF" in text and p.split[:16] in text
    out = plot_plan(p, tmp_path / "plan.png")
    assert out.stat().st_size > 10_000
    assert "input: whole in SRAM during the patch stage" in text


def test_report_names_the_band_buffer_of_a_streamed_input(tmp_path, mbv2):
    p = plan_graph(mbv2, split="auto", grid=4, stream_input=True)
    bands = p.patch["bands"]
    tallest = max(y1 - y0 for y0, y1 in bands)
    assert len(bands) == 4 and bands[0][0] == 0 and bands[-1][1] == 224 and tallest < 224
    assert p.patch["band_bytes"] == tallest * 224 * 3
    text = format_plan(p)
    assert f"input: streamed in 4 bands (one per tile row) of at most {tallest} rows, band buffer " \
           f"{p.patch['band_bytes']} B" in text
    assert plot_plan(p, tmp_path / "plan.png").stat().st_size > 10_000
