"""Every op kind of the IR is registered once (toolkit/ops/) and covered by every stage: a converter,
a golden kernel, a C kind and data packer, the executor's case, and planner rules that agree with each
other. A kind added to one stage and forgotten in another fails here, not on a user's model."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from kernel_vectors import OP_CODES
from toolkit.importer import SUPPORTED_OPS
from toolkit.ir import OpKind
from toolkit.ops import CONVERTERS, SPECS, InPlace

REPO = Path(__file__).resolve().parent.parent
EXECUTOR = (REPO / "firmware" / "engine" / "executor.c").read_text()
RUNNER = (REPO / "firmware" / "tests" / "kernel_runner" / "main.c").read_text()
# made by another kind's converter: depthwise by Conv's (from `group`), transpose by the reshapes' (when data moves);
# conv_avgpool by the importer's fusion of a 1x1 Conv with the GlobalAveragePool reading it
KINDS_WITHOUT_OWN_ONNX_TYPE = {OpKind.DEPTHWISE, OpKind.TRANSPOSE, OpKind.CONV_AVGPOOL}


@pytest.mark.parametrize("kind", list(OpKind), ids=lambda k: k.value)
def test_every_kind_is_registered_and_known_to_every_stage(kind):
    s = SPECS.get(kind)
    assert s is not None, f"toolkit/ops: no OpSpec for {kind.value}"
    assert s.kind == kind
    assert callable(s.golden) and callable(s.c_data) and callable(s.scratch)
    assert s.onnx or kind in KINDS_WITHOUT_OWN_ONNX_TYPE, f"{kind.value}: no ONNX converter"
    assert re.search(rf"case {s.c_kind}\b", EXECUTOR), f"executor.c: no case {s.c_kind}"
    if s.in_place_kernel:
        assert re.search(rf"case {s.in_place_kernel}\b", EXECUTOR), f"executor.c: no case {s.in_place_kernel}"
    if s.alias_safe or s.in_place == InPlace.ALWAYS:
        assert s.alias_safe and s.in_place != InPlace.NEVER, \
            f"{kind.value}: planned in place always only if its kernel may write over its input, and back"
    if s.tile_golden is not None or s.pad_value != "zero_point":
        assert s.local, f"{kind.value}: a tile rule for an op that cannot be tiled"


def test_every_onnx_type_has_one_converter_and_is_listed():
    owners = [t for s in SPECS.values() for t in s.onnx]
    assert len(owners) == len(set(owners)), "an ONNX op type is registered by two op modules"
    assert set(CONVERTERS) <= set(SUPPORTED_OPS)


@pytest.mark.parametrize("op", sorted(OP_CODES))
def test_every_kernel_test_op_is_run_by_the_runner(op):
    assert re.search(rf"case OP_{op.upper()}\b", RUNNER), f"kernel_runner/main.c: no case OP_{op.upper()}"
