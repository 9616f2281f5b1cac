"""A 1x1 conv read only by a global average pool is fused into one conv_avgpool op at import
(toolkit/ops/conv_avgpool.py): the conv's output map is never planned, the fused op matches
onnxruntime op by op, and a conv whose output anything else reads stays as it is. (The C kernel's
bit-exactness: tests/test_engine.py, MobileNetV2's head, reference and DSP kernels.)"""
from __future__ import annotations

import onnx

from engine_cases import load_case
from toolkit.ir import OpKind, macs
from toolkit.ops.conv_avgpool import fuse
from toolkit.plan import plan_graph
from toolkit.plan.synthetic import mobilenet_v2
from toolkit.reference import layer_conformance


def test_mobilenet_head_is_fused_and_matches_onnxruntime():
    path, g, inputs = load_case("mobilenetv2", 2)
    (head,) = [op for op in g.ops if op.kind == OpKind.CONV_AVGPOOL]
    mid = g.tensors[head.attrs.mid]
    assert mid.shape[1:3] == g.tensors[head.inputs[0]].shape[1:3] and g.tensors[head.outputs[0]].shape[1:3] == (1, 1)
    assert not any(head.attrs.mid in op.outputs or head.attrs.mid in op.inputs for op in g.ops)
    assert macs(g, head) == mid.size * g.tensors[head.inputs[0]].shape[3]
    conf = layer_conformance(onnx.load(str(path)), g, inputs)
    assert conf["exact"] >= 0.999 * conf["elements"] and conf["max_abs_diff_lsb"] <= 1, conf
    plan = plan_graph(g)
    assert head.attrs.mid not in plan.tensor_offsets
    row = next(r for r in plan.layers if r["name"] == head.name)
    assert row["per_layer_bytes"] < mid.size   # the 7x7x1280 map is never whole


def test_only_a_conv_the_pool_alone_reads_is_fused():
    g = fuse(mobilenet_v2(96))
    (head,) = [op for op in g.ops if op.kind == OpKind.CONV_AVGPOOL]
    assert head.attrs.conv.kernel == (1, 1)
    kept = mobilenet_v2(96)
    conv = next(op for op in kept.ops if kept.consumers(op.outputs[0])
                and kept.consumers(op.outputs[0])[0].kind == OpKind.AVGPOOL)
    kept.outputs.append(conv.outputs[0])   # also a model output: the map must exist
    n = len(kept.ops)
    assert len(fuse(kept).ops) == n and not any(op.kind == OpKind.CONV_AVGPOOL for op in kept.ops)
