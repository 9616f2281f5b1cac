"""Golden execution by plan equals per-layer golden execution, bit for bit, for every sample model,
for several patch splits and grids: every schedule on the first SUBSET test images, and two
schedules (a middle split 3x3, the planner's choice) on the tier's images (engine_cases.CI_IMAGES;
every test image with `-m nightly`)."""
from __future__ import annotations

import numpy as np
import pytest

from engine_cases import load_case, schedules, tiered_samples
from toolkit import golden
from toolkit.codegen.golden_plan import run_plan
from toolkit.plan import Plan

pytestmark = pytest.mark.slow  # many schedules; every test image in the nightly tier

SUBSET = 16
ALL_IMAGES = ("split1_3x3", "auto")


@pytest.fixture(scope="module", params=tiered_samples())
def case(request):
    name, limit = request.param
    _, g, inputs = load_case(name, limit)
    return g, inputs, golden.run_graph(g, inputs)


def test_run_plan_is_bit_identical_to_run_graph(case):
    g, inputs, ref = case
    for label, plan in schedules(g)[1:]:
        plan = Plan.from_json(plan.to_json())  # what codegen reads: the saved artifact
        n = None if label in ALL_IMAGES else SUBSET
        out = run_plan(g, plan, {k: v[:n] for k, v in inputs.items()})
        for name in g.outputs:
            assert np.array_equal(out[name], ref[name][:n]), f"{g.name} {label}: {name} differs"
