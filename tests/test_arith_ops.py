"""Add/Sub/Mul/Div (toolkit/ops/arith.py): a PyTorch block in the MobileNetV3 manner (a hand-written
hard swish x * relu6(x + 3) / 6, a squeeze-and-excitation scale, a residual add, constant shifts and
per-channel scales, a global max pool) quantized with real photos runs op by op like onnxruntime's literal QDQ result, and
the C engine on the host is bit-exact with the golden interpreter per layer and in a patch stage that
ends before the squeeze-and-excitation scale. The kernels are checked case by case in
tests/kernel_vectors.py (host, ASan, QEMU)."""
from __future__ import annotations

import numpy as np
import onnx
import pytest

from toolkit import golden
from toolkit.errors import UnsupportedModelError
from toolkit.importer import graph_from_model, load_graph
from toolkit.ir import OpKind
from toolkit.reference import layer_conformance
from torch_models import deploy_host, export_with_photos, photo_inputs

torch = pytest.importorskip("torch")
F = torch.nn.functional


class SEBlock(torch.nn.Module):
    def __init__(self, c=16):
        super().__init__()
        self.stem = torch.nn.Conv2d(3, c, 3, stride=2, padding=1)
        self.dw = torch.nn.Conv2d(c, c, 3, padding=1, groups=c)
        self.squeeze = torch.nn.Conv2d(c, 4, 1)
        self.excite = torch.nn.Conv2d(4, c, 1)
        self.project = torch.nn.Conv2d(c, c, 1)
        self.scale = torch.nn.Parameter(torch.linspace(0.5, 1.5, c).reshape(1, c, 1, 1))
        self.fc = torch.nn.Linear(c, 5)

    def forward(self, x):
        x = self.stem(x)
        x = x * F.relu6(x + 3) / 6                      # Add const, Clip, Mul (two maps), Div const
        y = self.dw(x)
        s = F.hardsigmoid(self.excite(F.relu(self.squeeze(F.adaptive_avg_pool2d(y, 1)))))
        y = y * s                                       # Mul by a per-channel vector (SE)
        y = self.project(y) + x                         # residual Add
        y = (y - 0.5) * self.scale                      # Sub const, Mul by a per-channel constant
        return self.fc(F.adaptive_max_pool2d(y, 1).flatten(1))  # GlobalMaxPool


@pytest.fixture(scope="module")
def work(tmp_path_factory):
    d = tmp_path_factory.mktemp("arith")
    torch.manual_seed(0)
    return export_with_photos(SEBlock().eval(), d, "se", ["logits"])


def test_arith_ops_per_layer_bit_exact_and_like_onnxruntime(work):
    rep = deploy_host(work, "per_layer")
    assert rep.golden["bit_exact"] and rep.golden["images"] == 4
    g = load_graph(rep.int8_model)
    luts = {op.attrs.func for op in g.ops if op.kind == OpKind.LUT}
    assert {"Add", "Div", "Sub", "Mul", "HardSigmoid"} <= luts
    assert any(op.kind == OpKind.MAXPOOL and op.attrs.kernel == (16, 16) for op in g.ops)  # GlobalMaxPool
    muls = [op for op in g.ops if op.kind == OpKind.MUL]
    assert sorted(g.tensors[op.inputs[1]].shape for op in muls) == [(1, 1, 1, 16), (1, 16, 16, 16)]
    x = photo_inputs(work)
    conf = layer_conformance(onnx.load(rep.int8_model), g, golden.quantize_inputs(g, {"input": x}))
    kinds = {row["kind"] for row in conf["per_layer"]}
    assert {"lut", "mul", "add"} <= kinds
    for row in conf["per_layer"]:
        assert row["max_abs_diff_lsb"] <= 1, row
        if row["kind"] in ("lut", "mul"):
            assert row["exact"] >= 0.999 * row["elements"], row


def test_patch_stage_ends_before_the_squeeze_and_excitation_scale(work):
    from toolkit.plan.regions import local_reason

    g = load_graph(deploy_host(work, "plan_only_per_layer").int8_model)
    se = next(op for op in g.ops if op.kind == OpKind.MUL and g.tensors[op.inputs[1]].shape == (1, 1, 1, 16))
    assert "per-channel vector" in local_reason(g, se)
    hswish = next(op for op in g.ops if op.kind == OpKind.MUL and op is not se)
    assert local_reason(g, hswish) is None
    div = next(op for op in g.ops if op.kind == OpKind.LUT and op.attrs.func == "Div")
    rep = deploy_host(work, "patches", split=div.name, grid=2)
    assert rep.plan["split"] == div.name and rep.plan["grid"] == [2, 2] and rep.golden["bit_exact"]


def test_unsupported_broadcasts_name_the_node_and_shapes():
    h = onnx.helper
    x = h.make_tensor_value_info("x", onnx.TensorProto.FLOAT, [1, 4, 8, 8])
    y = h.make_tensor_value_info("y", onnx.TensorProto.FLOAT, [1, 4, 8, 8])
    row = h.make_tensor("row", onnx.TensorProto.FLOAT, [1, 1, 1, 8], np.ones(8, np.float32))
    graph = h.make_graph([h.make_node("Sub", ["x", "row"], ["y"], name="shift_rows")], "g", [x], [y], [row])
    with pytest.raises(UnsupportedModelError, match=r"shift_rows.*\[1, 1, 1, 8\].*one per channel"):
        graph_from_model(h.make_model(graph, opset_imports=[h.make_opsetid("", 13)]), "g")
    graph = h.make_graph([h.make_node("Relu", ["x"], ["r"]), h.make_node("Div", ["x", "r"], ["y"], name="ratio")],
                         "g", [x], [y])
    with pytest.raises(UnsupportedModelError, match=r"ratio' \(Div\): \[1, 4, 8, 8\] Div \[1, 4, 8, 8\] is not supported"):
        graph_from_model(h.make_model(graph, opset_imports=[h.make_opsetid("", 13)]), "g")
