"""Per-op C data: each op's OpSpec packs its own (toolkit/ops/); this module asks the registry."""
from __future__ import annotations

from toolkit.codegen.params import OpData, view
from toolkit.errors import UnsupportedModelError
from toolkit.ir import Graph, Op
from toolkit.ops import SPECS


def op_data(g: Graph, op: Op, sym: str) -> OpData:
    s = SPECS.get(op.kind)
    if s is None:
        raise UnsupportedModelError(f"{op.name}: no C kernel for op kind {op.kind.value}")
    return s.c_data(g, op, sym)


def io_views(g: Graph, op: Op) -> tuple[list[tuple[int, int, int]], tuple[int, int, int]]:
    """The (h, w, c) views of an op's activation inputs and its output, as its kernel takes them."""
    s = SPECS[op.kind]
    if s.io_views is not None:
        return s.io_views(g, op)
    ins = [view(t) for t in g.activations(op)]
    return ins, view(g.tensors[op.outputs[0]])
