"""Scratch bytes each C kernel asks for: the Python mirror of the engine's `*_scratch_size()`.

One function, `scratch_bytes(graph, op, in_place, input_bytes)`, kept in step with
firmware/engine/kernels/scratch_size.c by hand (the CMSIS-NN `*_get_buffer_size` habit). Contract:
- conv, 1x1 included: an im2col buffer of two columns of int16, 2 * Cin * KH * KW elements, i.e.
  2 * Cin * KH * KW * sizeof(int16) bytes (`arm_convolve_s8_get_buffer_size`; the DSP 1x1 conv
  widens each input pixel once into it);
- depthwise run in place (the planner aliased its output onto its input; the executor then calls
  `eng_depthwise_inplace_s8`): one input channel plane, H * W int8 bytes, H x W the input the kernel
  sees (the full map per layer, the largest tile region in a patch stage: `input_bytes` // C);
- depthwise not in place, and every other op: 0.
Only in-place depthwise scratch depends on the spatial size.
"""
from __future__ import annotations

from toolkit.ir import Graph, Op, OpKind

INT16_BYTES = 2


def depthwise_inplace_scratch(h: int, w: int) -> int:
    """`eng_depthwise_inplace_s8_scratch_size`: one h x w int8 channel plane."""
    return h * w


def scratch_bytes(graph: Graph, op: Op, in_place: bool = False, input_bytes: int | None = None) -> int:
    """Scratch of `op`'s kernel; `in_place`: the op's output is aliased onto its input; `input_bytes`:
    the input's bytes as planned (a tile's, in a patch stage; default the full tensor's)."""
    if op.kind == OpKind.CONV:
        kh, kw = op.attrs.kernel
        cin = graph.tensors[op.inputs[1]].shape[-1]  # weights [Cout, KH, KW, Cin]
        return 2 * cin * kh * kw * INT16_BYTES
    if op.kind == OpKind.DEPTHWISE and in_place:
        x = graph.tensors[op.inputs[0]]
        _, h, w, c = x.shape
        if input_bytes is None:
            return depthwise_inplace_scratch(h, w)
        return -(-input_bytes // c)
    return 0
