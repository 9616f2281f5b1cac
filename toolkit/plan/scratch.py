"""Scratch bytes each C kernel asks for: the Python mirror of the engine's `*_scratch_size()`.

One function, `scratch_bytes(graph, op)`, kept in step with firmware/engine by hand (the
CMSIS-NN `*_get_buffer_size` habit). Current contract:
- conv with a kernel larger than 1x1: an im2col buffer of two columns of int16,
  2 * Cin * KH * KW elements, i.e. 2 * Cin * KH * KW * sizeof(int16) bytes
  (`arm_convolve_s8_get_buffer_size`);
- 1x1 conv, depthwise, and every other op: 0.
Scratch does not depend on the spatial size, so a patch needs the same scratch as a full layer.
"""
from __future__ import annotations

from toolkit.ir import Graph, Op, OpKind

INT16_BYTES = 2


def scratch_bytes(graph: Graph, op: Op) -> int:
    if op.kind == OpKind.CONV:
        kh, kw = op.attrs.kernel
        if (kh, kw) != (1, 1):
            cin = graph.tensors[op.inputs[1]].shape[-1]  # weights [Cout, KH, KW, Cin]
            return 2 * cin * kh * kw * INT16_BYTES
    return 0
