"""Liveness of activations over a schedule, in-place aliasing, and placement in an arena.

A schedule is a list of ops run in order; step i is ops[i]. A tensor is alive from the step
that produces it (step 0 for tensors that already exist, e.g. the graph input) to the last step
that reads it, inclusive; graph outputs stay alive to the last step (the firmware reads them
after inference). A skip connection is therefore alive until its Add.

In place (each op's OpSpec.in_place): an op writes its output over one of its inputs when that
input (with everything already aliased to it) dies at this op: elementwise passes (clamp, reshape,
table activations) always, depthwise and add when the plan asks for in-place ops (TFLM aliases the
elementwise ones too). Aliased tensors share one buffer of the larger size. Scratch (`scratch_bytes`) is a buffer alive for one step; an
aliased depthwise gets the scratch of the in-place kernel (one input channel plane, H * W bytes).

Sizes are the int8 deployment's: one byte per element whatever the Graph's float dtype, four for
int32 tensors.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from toolkit.ir import DType, Graph, Op, Tensor
from toolkit.ops import InPlace, spec
from toolkit.plan.memory import MemoryPlanner, make_planner
from toolkit.plan.scratch import scratch_bytes



def act_bytes(t: Tensor) -> int:
    return t.size * (4 if t.dtype == DType.INT32 else 1)


def activation_inputs(graph: Graph, op: Op) -> list[str]:
    return [n for n in op.inputs if not graph.tensors[n].is_const]


@dataclass
class Buffer:
    size: int
    first: int
    last: int
    tensors: list[str] = field(default_factory=list)  # alias group; empty for scratch
    scratch_of: str | None = None                      # op name for a scratch buffer
    label: str = ""                                    # for synthetic buffers (patch arena)


@dataclass
class Placement:
    """Buffers of one schedule placed by one planner."""
    buffers: list[Buffer]
    planner: MemoryPlanner
    steps: int

    @property
    def peak(self) -> int:
        return self.planner.peak()

    def offset_of_buffer(self, i: int) -> int:
        return self.planner.offset_for(i)

    def tensor_offsets(self) -> dict[str, int]:
        out = {}
        for i, b in enumerate(self.buffers):
            for t in b.tensors:
                out[t] = self.offset_of_buffer(i)
        return out

    def scratch_offsets(self) -> dict[str, tuple[int, int]]:
        return {b.scratch_of: (self.offset_of_buffer(i), b.size)
                for i, b in enumerate(self.buffers) if b.scratch_of}

    def live_bytes(self) -> list[int]:
        live = [0] * self.steps
        for b in self.buffers:
            for s in range(b.first, b.last + 1):
                live[s] += b.size
        return live


def build_buffers(graph: Graph, ops: list[Op], sizes: dict[str, int], external: frozenset[str] = frozenset(),
                  in_place: bool = True, keep: frozenset[str] = frozenset(),
                  acts: dict[str, list[str]] | None = None, no_alias: frozenset[str] = frozenset()) -> list[Buffer]:
    """Buffers for `ops` run in order. `sizes` gives each tensor's bytes; tensors in `external`
    live elsewhere (not in this arena); tensors in `keep` (and graph outputs) live to the end;
    tensors in `no_alias` get a buffer of their own unless their op has an in-place kernel
    (cached halos: an elementwise op writing part of a wider buffer would overwrite its input)."""
    n = len(ops)
    acts = acts or {op.name: activation_inputs(graph, op) for op in ops}
    first: dict[str, int] = {}
    last: dict[str, int] = {}
    for step, op in enumerate(ops):
        for t in acts[op.name]:
            first.setdefault(t, 0)
            last[t] = step
        for t in op.outputs:
            first.setdefault(t, step)
            last.setdefault(t, step)
    for t in first:
        if t in graph.outputs or t in keep:
            last[t] = n - 1

    group_of: dict[str, int] = {}
    groups: list[Buffer] = []
    scratch: list[Buffer] = []

    def buffer_for(t: str) -> Buffer:
        if t not in group_of:
            group_of[t] = len(groups)
            groups.append(Buffer(sizes[t], first[t], last[t], [t]))
        return groups[group_of[t]]

    for step, op in enumerate(ops):
        ins = [t for t in acts[op.name] if t not in external]
        for t in ins:
            buffer_for(t)
        out = op.outputs[0]
        aliased = None
        rule = spec(op.kind).in_place
        own = out in no_alias and spec(op.kind).in_place_kernel is None
        if (rule == InPlace.ALWAYS or in_place and rule == InPlace.OPTION) and out not in external and not own:
            for t in ins:
                b = groups[group_of[t]]
                if b.last == step and out not in group_of:
                    b.tensors.append(out)
                    b.size = max(b.size, sizes[out])
                    b.last = max(b.last, last[out])
                    group_of[out] = group_of[t]
                    aliased = t
                    break
        for t in op.outputs if aliased is None else op.outputs[1:]:
            if t not in external:
                buffer_for(t)
        s = scratch_bytes(graph, op, in_place=aliased is not None,
                          input_bytes=sizes[aliased] if aliased is not None else None)
        if s:
            scratch.append(Buffer(s, step, step, [], scratch_of=op.name))
    return groups + scratch


def place(buffers: list[Buffer], steps: int, planner: str = "greedy", align: int = 4) -> Placement:
    p = make_planner(planner, align)
    for b in buffers:
        p.add_buffer(b.size, b.first, b.last)
    return Placement(buffers, p, steps)


def plan_per_layer(graph: Graph, in_place: bool = True, planner: str = "greedy", align: int = 4) -> Placement:
    """The whole graph run layer by layer in one arena (input and outputs included)."""
    sizes = {name: act_bytes(t) for name, t in graph.tensors.items() if not t.is_const}
    return place(build_buffers(graph, graph.ops, sizes, in_place=in_place), len(graph.ops), planner, align)
