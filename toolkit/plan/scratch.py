"""Scratch bytes each C kernel asks for: the Python mirror of the engine's `*_scratch_size()`.

Each op's OpSpec gives its own (`scratch`, toolkit/ops/), kept in step with
firmware/engine/kernels/scratch_size.c by hand (the CMSIS-NN `*_get_buffer_size` habit): conv asks
for an im2col buffer, a depthwise run in place for one channel plane, every other op for nothing.
"""
from __future__ import annotations

from toolkit.ir import Graph, Op
from toolkit.ops import spec


def scratch_bytes(graph: Graph, op: Op, in_place: bool = False, input_bytes: int | None = None) -> int:
    """Scratch of `op`'s kernel; `in_place`: the op's output is aliased onto its input; `input_bytes`:
    the input's bytes as planned (a tile's, in a patch stage; default the full tensor's)."""
    return spec(op.kind).scratch(graph, op, in_place, input_bytes)
