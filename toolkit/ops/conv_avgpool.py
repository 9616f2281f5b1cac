"""A 1x1 convolution read only by a global average pool, fused (no ONNX type of its own: `fuse`
makes it after import). The convolution's output is never whole in SRAM: the kernel computes it
two pixels at a time and sums them into one int32 per channel, so a classifier head's widest map
(MobileNetV2-0.35 at 144: 5x5x1280, 32,000 B, more than the whole rest of the network needs) costs
two pixels and the sums. Bit-exact by construction: the pixel is the conv kernel's int8 output and
the pool runs on it exactly as the global average pool would (golden: the two goldens composed)."""
from __future__ import annotations

import numpy as np

from toolkit.codegen.cformat import c_init
from toolkit.codegen.params import OpData, weights
from toolkit.ir import ConvPoolAttrs, Graph, Op, OpKind
from toolkit.ops import conv, pool
from toolkit.ops.spec import OpSpec

SUM_BYTES = 4   # one int32 sum per output channel


def parts(op: Op) -> tuple[Op, Op]:
    """The convolution and the pool `op` fuses, as the ops they were."""
    return (Op(op.name, OpKind.CONV, op.inputs, [op.attrs.mid], op.attrs.conv, op.onnx_node),
            Op(op.name, OpKind.AVGPOOL, [op.attrs.mid], op.outputs, None, op.onnx_node))


def _fusable(g: Graph, op: Op) -> Op | None:
    """The global average pool that alone reads `op`'s output, if `op` is a 1x1 stride-1 unpadded conv."""
    if op.kind != OpKind.CONV or op.attrs.kernel != (1, 1) or op.attrs.stride != (1, 1) or any(op.attrs.pads):
        return None
    out = op.outputs[0]
    readers = g.consumers(out)
    if out in g.outputs or len(readers) != 1 or readers[0].kind != OpKind.AVGPOOL:
        return None
    return readers[0]


def fuse(g: Graph) -> Graph:
    """Every 1x1 conv whose output only a global average pool reads becomes one conv_avgpool op, at
    the pool's place in the order (the conv's inputs are computed before it either way)."""
    pools = {}   # id of a pool -> the conv it absorbs
    for c in g.ops:
        p = _fusable(g, c)
        if p is not None:
            pools[id(p)] = c
    absorbed = {id(c) for c in pools.values()}
    ops = []
    for op in g.ops:
        c = pools.get(id(op))
        if c is not None:
            op = Op(op.name, OpKind.CONV_AVGPOOL, c.inputs, op.outputs, ConvPoolAttrs(c.attrs, c.outputs[0]),
                    op.onnx_node)
        if id(op) not in absorbed:
            ops.append(op)
    g.ops = ops
    return g


def conv_avgpool(g: Graph, op: Op, x: np.ndarray) -> np.ndarray:
    c, p = parts(op)
    return pool.avgpool(g, p, conv.conv(g, c, x))


def c_data(g: Graph, op: Op, sym: str) -> OpData:
    c, p = parts(op)
    text, filt, bias, mult = weights(g, c, sym)
    fields = c_init({"conv": conv.conv_params(g, c, mult), "pool": c_init(pool.avgpool_fields(g, p))})
    text += f"static const eng_conv_avgpool_params {sym}_params = {fields};\n"
    return OpData(text, f"&{sym}_params", filt, bias)


PIXELS_PER_CALL = 2   # the kernel's conv calls: the DSP conv computes pixels in pairs


def scratch(graph: Graph, op: Op, in_place: bool, input_bytes: int | None) -> int:
    """`eng_conv_avgpool_s8_scratch_size`: the sums, two output pixels (4-byte rounded), then the
    conv's own scratch."""
    c, _ = parts(op)
    cout = graph.tensors[op.attrs.mid].shape[3]
    return cout * SUM_BYTES + -(-PIXELS_PER_CALL * cout // 4) * 4 + conv.conv_scratch(graph, c, in_place, input_bytes)


CONV_AVGPOOL = OpSpec(OpKind.CONV_AVGPOOL, {}, conv_avgpool, "ENG_OP_CONV_AVGPOOL", c_data, scratch=scratch)
