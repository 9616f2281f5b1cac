"""Upsampling: Resize (toolkit/ops/resize.py) and ConvTranspose (conv_transpose.py), and a standalone
BatchNormalization (a per-channel table, lut.py). A small PyTorch decoder that upsamples by nearest and
by bilinear interpolation in the coordinate modes PyTorch exports (asymmetric nearest, half_pixel and
align_corners bilinear, a non-integer size) and by two transposed convolutions (k2 s2 as PaddleOCR's DB
head, k3 s2 p1 with output padding), quantized with real photos, runs op by op like
onnxruntime's literal QDQ result and bit-exact on the host C engine; the planner ends a patch stage
before a resize. The kernel's cases are in tests/kernel_vectors.py (host, ASan, QEMU)."""
from __future__ import annotations

import onnx
import pytest

from toolkit import golden
from toolkit.importer import load_graph
from toolkit.ir import OpKind
from toolkit.plan.regions import local_reason
from toolkit.reference import layer_conformance
from torch_models import deploy_host, export_with_photos, photo_inputs

torch = pytest.importorskip("torch")
F = torch.nn.functional


class Decoder(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.down = torch.nn.Conv2d(3, 8, 3, stride=4, padding=1)
        self.mid = torch.nn.Conv2d(8, 8, 3, padding=1)
        self.head = torch.nn.Conv2d(8, 2, 1)
        self.up = torch.nn.ConvTranspose2d(8, 4, 2, stride=2)                       # DB's learned upsampling
        self.up3 = torch.nn.ConvTranspose2d(4, 3, 3, stride=2, padding=1, output_padding=1)
        self.bn = torch.nn.BatchNorm2d(4)

    def forward(self, x):
        x = F.relu(self.down(x))                                                  # 32 -> 8
        a = F.interpolate(x, scale_factor=2, mode="nearest")                      # 16, asymmetric floor
        a = F.relu(self.mid(a))
        b = F.interpolate(a, scale_factor=2, mode="bilinear", align_corners=False)  # 32, half_pixel
        c = F.interpolate(a, size=(23, 23), mode="bilinear", align_corners=True)  # non-integer scale
        d = self.up3(self.bn(torch.relu(self.up(a))))                             # 16 -> 32 -> 64
        return self.head(b), self.head(c), d


@pytest.fixture(scope="module")
def work(tmp_path_factory):
    d = tmp_path_factory.mktemp("resize")
    torch.manual_seed(0)
    net = Decoder().eval()
    with torch.no_grad():   # BatchNorm statistics that are not the identity
        net.bn.running_mean.uniform_(-0.5, 0.5)
        net.bn.running_var.uniform_(0.5, 2.0)
        net.bn.weight.uniform_(0.5, 1.5)
        net.bn.bias.uniform_(-0.3, 0.3)
    return export_with_photos(net, d, "decoder", ["up", "odd", "learned"], do_constant_folding=False)


def test_resize_per_layer_bit_exact_and_like_onnxruntime(work):
    rep = deploy_host(work, "per_layer")
    assert rep.golden["bit_exact"] and rep.golden["images"] == 4
    g = load_graph(rep.int8_model)
    resizes = [op for op in g.ops if op.kind == OpKind.RESIZE]
    assert {(op.attrs.mode, op.attrs.coordinate_mode) for op in resizes} == {
        ("nearest", "asymmetric"), ("linear", "half_pixel"), ("linear", "align_corners")}
    for op in resizes:
        assert "not spatially local" in local_reason(g, op)
    x = photo_inputs(work)
    conf = layer_conformance(onnx.load(rep.int8_model), g, golden.quantize_inputs(g, {"input": x}))
    rows = [row for row in conf["per_layer"] if row["kind"] in ("resize", "conv_transpose")]
    assert len(rows) == 5
    assert any(op.kind == OpKind.LUT and op.attrs.func == "BatchNormalization" for op in g.ops)
    for row in conf["per_layer"]:
        assert row["max_abs_diff_lsb"] <= 1, row
    for row in rows:
        assert row["exact"] >= 0.999 * row["elements"], row


def test_plan_says_where_a_patch_stage_must_end(work):
    from toolkit.plan import format_plan, plan_graph

    g = load_graph(next((work.parent / "per_layer").rglob("*.int8.onnx")))
    first = next(op for op in g.ops if op.kind == OpKind.RESIZE)
    plan = plan_graph(g)
    assert plan.stage_limit == {"op": first.name, "reason": f"{first.name} (resize) is not spatially local"}
    assert f"a patch stage ends before {first.name} at the latest" in format_plan(plan)
