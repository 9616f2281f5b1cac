"""The C engine (executor + reference kernels + generated model), built with PlatformIO's offline
host env, equals the golden interpreter element by element, for every sample model and for
per-layer and patch schedules (several splits and grids, and the planner's choice), on all test
images. The same under ASan + UBSan (env host_engine_asan) for
per-layer and one patch schedule, with fewer images (ASAN_IMAGES; any finding aborts the program)."""
from __future__ import annotations

import pytest

from engine_cases import SAMPLE_NAMES, load_case, schedules
from toolkit import golden
from toolkit.codegen import generate
from toolkit.build import build
from toolkit.targets.host import run_batch

pytestmark = pytest.mark.slow  # all test images (Fashion-MNIST: 10000) over many schedules

ASAN_IMAGES = {"fashion_cnn": 500, "blazeface": 24, "mobilenetv2": 1}


@pytest.fixture(scope="module", params=SAMPLE_NAMES)
def case(request):
    path, g, inputs = load_case(request.param)
    return request.param, path, g, inputs, golden.run_graph(g, inputs)


def run_engine(tmp, path, g, plan, inputs, env_name):
    generate(g, plan, tmp / "gen", path)
    program = build(env_name, tmp / "pio", tmp / "gen")
    return run_batch(program, g, inputs, tmp)


def assert_same(g, label, got, ref):
    for name in g.outputs:
        diff = int((got[name] != ref[name]).sum())
        assert diff == 0, f"{g.name} {label}: {diff} of {ref[name].size} elements of {name} differ"


def test_engine_matches_golden(case, tmp_path):
    name, path, g, inputs, ref = case
    for label, plan in schedules(g):
        run = run_engine(tmp_path / label, path, g, plan, inputs, "host")
        assert_same(g, label, run.outputs, ref)
        assert run.stats["arena_high_water"] <= run.stats["arena_size"]


def test_engine_under_sanitizers(case, tmp_path):
    name, path, g, inputs, ref = case
    n = ASAN_IMAGES[name]
    few = {k: v[:n] for k, v in inputs.items()}
    for label, plan in schedules(g, few=True):
        run = run_engine(tmp_path / label, path, g, plan, few, "host_engine_asan")
        assert_same(g, label, run.outputs, {k: v[:n] for k, v in ref.items()})
