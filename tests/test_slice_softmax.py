"""Slice and Split on channels, Softmax and AveragePool (toolkit/ops/slicing.py, softmax.py, pool.py): a
PyTorch model that average-pools (padding counted, and not), splits a map into channel groups, slices
every other channel, takes a softmax over channels and a classifier softmax, quantized with real photos, runs op by op like onnxruntime's literal QDQ result and
bit-exact on the host C engine, per layer and with the pooling and slices inside a patch stage. Unsupported
slices name the node, the axis and the shape."""
from __future__ import annotations

import onnx
import pytest

from toolkit import golden
from toolkit.errors import UnsupportedModelError
from toolkit.importer import graph_from_model, load_graph
from toolkit.ir import OpKind
from toolkit.reference import layer_conformance
from torch_models import deploy_host, export_with_photos, photo_inputs

torch = pytest.importorskip("torch")


class Heads(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = torch.nn.Conv2d(3, 12, 3, stride=2, padding=1)
        self.left = torch.nn.Conv2d(4, 4, 3, padding=1)
        self.right = torch.nn.Conv2d(8, 6, 1)
        self.fc = torch.nn.Linear(9, 5)

    def forward(self, x):
        x = torch.relu(self.stem(x))
        x = torch.nn.functional.avg_pool2d(x, 3, stride=1, padding=1)         # AveragePool, pads counted
        a, b = torch.split(x, [4, 8], dim=1)                    # Split on channels
        y = torch.cat([self.left(a), self.right(b)[:, ::2]], 1)  # Slice with a step
        seg = torch.softmax(y, dim=1)                            # softmax over channels of a map
        z = torch.nn.functional.avg_pool2d(torch.cat([y, y[:, 1:3]], 1), 3, stride=2, padding=1,
                                           count_include_pad=False)       # pads not counted
        pooled = torch.nn.functional.adaptive_avg_pool2d(z, 1).flatten(1)
        return seg, torch.softmax(self.fc(pooled), dim=-1)


@pytest.fixture(scope="module")
def work(tmp_path_factory):
    d = tmp_path_factory.mktemp("heads")
    torch.manual_seed(0)
    return export_with_photos(Heads().eval(), d, "heads", ["seg", "probs"])


def test_slices_and_softmax_bit_exact_and_like_onnxruntime(work):
    rep = deploy_host(work, "per_layer")
    assert rep.golden["bit_exact"] and rep.golden["images"] == 4
    g = load_graph(rep.int8_model)
    slices = [op.attrs for op in g.ops if op.kind == OpKind.SLICE]
    assert {(a.start, a.stop, a.step) for a in slices} >= {(0, 4, 1), (4, 12, 1), (0, 6, 2), (1, 3, 1)}
    assert sum(op.kind == OpKind.SOFTMAX for op in g.ops) == 2
    assert {op.attrs.count_include_pad for op in g.ops if op.kind == OpKind.AVGPOOL2D} == {True, False}
    x = photo_inputs(work)
    conf = layer_conformance(onnx.load(rep.int8_model), g, golden.quantize_inputs(g, {"input": x}))
    for row in conf["per_layer"]:
        assert row["max_abs_diff_lsb"] <= 1, row
        if row["kind"] in ("slice", "softmax", "avgpool2d"):
            assert row["exact"] >= 0.99 * row["elements"], row
    assert conf["exact"] >= 0.999 * conf["elements"]


def test_slices_inside_a_patch_stage(work):
    g = load_graph(deploy_host(work, "plan_per_layer").int8_model)
    cat = next(op for op in g.ops if op.kind == OpKind.CONCAT)
    rep = deploy_host(work, "patches", split=cat.name, grid=2)
    assert rep.plan["split"] == cat.name and rep.plan["grid"] == [2, 2] and rep.golden["bit_exact"]


def test_slicing_rows_is_refused_with_the_node_axis_and_shape():
    h = onnx.helper
    x = h.make_tensor_value_info("x", onnx.TensorProto.FLOAT, [1, 4, 8, 8])
    y = h.make_tensor_value_info("y", onnx.TensorProto.FLOAT, [1, 4, 4, 8])
    inits = [h.make_tensor(n, onnx.TensorProto.INT64, [1], [v]) for n, v in (("s", 0), ("e", 4), ("a", 2))]
    graph = h.make_graph([h.make_node("Slice", ["x", "s", "e", "a"], ["y"], name="top_rows")], "g", [x], [y], inits)
    with pytest.raises(UnsupportedModelError, match=r"top_rows' \(Slice\).*axis 2 \[0:4:1\] of shape \[1, 4, 8, 8\]"):
        graph_from_model(h.make_model(graph, opset_imports=[h.make_opsetid("", 13)]), "g")
