"""Activations as lookup tables (OpKind.LUT: Sigmoid, Tanh, HardSigmoid, HardSwish, LeakyRelu, PRelu per
channel): a PyTorch export quantized with real images runs op by op like onnxruntime's literal QDQ
result, and the C engine on the host is bit-exact with the golden interpreter per layer and in a
patch stage. (The C kernel itself is checked case by case on the host, under ASan and under QEMU:
tests/kernel_vectors.py.)"""
from __future__ import annotations

import onnx
import pytest

from toolkit import golden
from toolkit.importer import load_graph
from toolkit.ir import OpKind
from toolkit.ops.lut import lut_table
from toolkit.reference import layer_conformance
from torch_models import deploy_host, export_with_photos, photo_inputs

torch = pytest.importorskip("torch")
FUNCS = {"HardSwish", "PRelu", "LeakyRelu", "Sigmoid", "Tanh", "HardSigmoid"}


class Acts(torch.nn.Module):
    """Six 3x3 convs, each followed by another activation, then a linear head."""

    def __init__(self):
        super().__init__()
        acts = [torch.nn.Hardswish(), torch.nn.PReLU(8), torch.nn.LeakyReLU(0.1), torch.nn.Sigmoid(),
                torch.nn.Tanh(), torch.nn.Hardsigmoid()]
        self.convs = torch.nn.ModuleList([torch.nn.Conv2d(3 if i == 0 else 8, 8, 3, padding=1) for i in range(6)])
        self.acts = torch.nn.ModuleList(acts)
        self.fc = torch.nn.Linear(8, 4)

    def forward(self, x):
        for conv, act in zip(self.convs, self.acts):
            x = act(conv(x))
        return self.fc(torch.nn.functional.adaptive_avg_pool2d(x, 1).flatten(1))


@pytest.fixture(scope="module")
def work(tmp_path_factory):
    """The exported model (opset 14: HardSwish is one op from there) and real photos at 32x32."""
    d = tmp_path_factory.mktemp("acts")
    torch.manual_seed(0)
    net = Acts().eval()
    with torch.no_grad():
        net.acts[1].weight.uniform_(-0.5, 0.8)   # per-channel PRelu slopes, some negative
    return export_with_photos(net, d, "acts", ["logits"], opset=14)


def test_activations_run_per_layer_bit_exact_and_like_onnxruntime(work):
    rep = deploy_host(work, "per_layer")
    assert rep.golden["bit_exact"] and rep.golden["images"] == 4
    qpath = rep.int8_model
    g = load_graph(qpath)
    luts = [op for op in g.ops if op.kind == OpKind.LUT]
    assert {op.attrs.func for op in luts} == FUNCS
    prelu = next(op for op in luts if op.attrs.func == "PRelu")
    assert len(prelu.attrs.values) == 8 and lut_table(g, prelu).shape == (8, 256)
    x = photo_inputs(work)
    conf = layer_conformance(onnx.load(qpath), g, golden.quantize_inputs(g, {"input": x}))
    for row in conf["per_layer"]:
        assert row["max_abs_diff_lsb"] <= 1, row
        if row["kind"] == "lut":
            assert row["exact"] >= 0.999 * row["elements"], row


def test_activations_inside_a_patch_stage(work):
    """Four conv + activation pairs in a 2x2 patch stage: the tables run on overlapping tiles, in place."""
    rep = deploy_host(work, "patches", split="/acts.3/Sigmoid", grid=2)
    assert rep.plan["split"] == "/acts.3/Sigmoid" and rep.plan["grid"] == [2, 2] and rep.golden["bit_exact"]
