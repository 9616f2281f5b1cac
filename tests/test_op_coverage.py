"""Every op kind of the IR is covered by every stage that has a table of kinds: the golden interpreter,
code generation (C kind and data), the executor's dispatch and the kernel test vectors. A kind added
to one stage and forgotten in another fails here, not on a user's model."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from kernel_vectors import OP_CODES
from toolkit import golden
from toolkit.codegen.ops import C_KIND, OP_DATA
from toolkit.ir import OpKind

REPO = Path(__file__).resolve().parent.parent
EXECUTOR = (REPO / "firmware" / "engine" / "executor.c").read_text()
RUNNER = (REPO / "firmware" / "tests" / "kernel_runner" / "main.c").read_text()


@pytest.mark.parametrize("kind", list(OpKind), ids=lambda k: k.value)
def test_every_stage_knows_the_kind(kind):
    assert kind in golden.KERNELS, f"golden interpreter: no kernel for {kind.value}"
    assert kind in C_KIND and kind in OP_DATA, f"codegen: no C kind or data for {kind.value}"
    assert re.search(rf"case {C_KIND[kind]}\b", EXECUTOR), f"executor.c: no case {C_KIND[kind]}"


@pytest.mark.parametrize("op", sorted(OP_CODES))
def test_every_kernel_test_op_is_run_by_the_runner(op):
    assert re.search(rf"case OP_{op.upper()}\b", RUNNER), f"kernel_runner/main.c: no case OP_{op.upper()}"
