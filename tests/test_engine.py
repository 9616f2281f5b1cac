"""The C engine (executor + reference kernels + generated model), built with PlatformIO's offline
host env, equals the golden interpreter element by element, for every sample model and for
per-layer and patch schedules (several splits and grids, and the planner's choice), on a subset
of the test images (all of them with `-m nightly`, see engine_cases.CI_IMAGES). The same under
ASan + UBSan (env host_engine_asan; env host_engine_dsp with the boards' DSP kernels) for per-layer
and a few patch schedules, with fewer images (ASAN_IMAGES; any finding aborts the program)."""
from __future__ import annotations

import pytest

from engine_cases import SAMPLE_NAMES, load_case, schedules, tier_schedules, tiered_samples
from toolkit import golden
from toolkit.codegen import generate
from toolkit.build import build
from toolkit.targets.host import run_batch

pytestmark = pytest.mark.slow  # many schedules; every test image in the nightly tier

ASAN_IMAGES = {"fashion_cnn": 500, "blazeface": 24, "mobilenetv2": 1}


@pytest.fixture(scope="module", params=tiered_samples())
def case(request):
    name, limit = request.param
    path, g, inputs = load_case(name, limit)
    return name, path, g, inputs, golden.run_graph(g, inputs), tier_schedules(name, g, limit)


def run_engine(tmp, path, g, plan, inputs, env_name):
    generate(g, plan, tmp / "gen", path)
    program = build(env_name, tmp / "pio", tmp / "gen")
    return run_batch(program, g, inputs, tmp)


def assert_same(g, label, got, ref):
    for name in g.outputs:
        diff = int((got[name] != ref[name]).sum())
        assert diff == 0, f"{g.name} {label}: {diff} of {ref[name].size} elements of {name} differ"


def test_engine_matches_golden(case, tmp_path):
    name, path, g, inputs, ref, plans = case
    for label, plan in plans:
        run = run_engine(tmp_path / label, path, g, plan, inputs, "host")
        assert_same(g, label, run.outputs, ref)
        # the arena is exactly as large as the schedule needs: its top bytes are written
        assert 0.95 * run.stats["arena_size"] <= run.stats["arena_high_water"] <= run.stats["arena_size"], label


@pytest.mark.parametrize("env", ["host_engine_asan", "host_engine_dsp"])
@pytest.mark.parametrize("name", SAMPLE_NAMES)
def test_engine_under_sanitizers(name, env, tmp_path):
    """Reference kernels, and the Cortex-M7 DSP kernels (ACLE shim) the boards run."""
    path, g, inputs = load_case(name, ASAN_IMAGES[name])
    ref = golden.run_graph(g, inputs)
    for label, plan in schedules(g, few=True):
        run = run_engine(tmp_path / label, path, g, plan, inputs, env)
        assert_same(g, label, run.outputs, ref)
