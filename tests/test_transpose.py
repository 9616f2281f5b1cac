"""Reshapes that move data (OpKind.TRANSPOSE, toolkit/ops/requant.py): a LeNet-style PyTorch CNN that
flattens a 4x4 feature map into its classifier (NCHW order, which the NHWC engine must gather) and
permutes the axes of a reshaped tensor, quantized with real photos, runs op by op like onnxruntime's
literal QDQ result and bit-exact on the host C engine. The kernel's cases are in
tests/kernel_vectors.py (host, ASan, QEMU)."""
from __future__ import annotations

import onnx
import pytest

from toolkit import golden
from toolkit.importer import load_graph
from toolkit.ir import OpKind
from toolkit.reference import layer_conformance
from torch_models import deploy_host, export_with_photos, photo_inputs

torch = pytest.importorskip("torch")


class LeNet(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.c1 = torch.nn.Conv2d(3, 6, 5, padding=2)
        self.c2 = torch.nn.Conv2d(6, 8, 5, padding=2)
        self.fc = torch.nn.Linear(8 * 4 * 4, 10)
        self.head = torch.nn.Linear(8 * 16, 3)

    def forward(self, x):
        x = torch.nn.functional.max_pool2d(torch.relu(self.c1(x)), 4)           # 32 -> 8
        x = torch.nn.functional.max_pool2d(torch.relu(self.c2(x)), 2)           # 8 -> 4
        logits = self.fc(torch.flatten(x, 1))                                  # NCHW-order flatten
        swapped = x.reshape(1, 8, 16).transpose(1, 2).reshape(1, -1)           # a data-moving Transpose
        return logits, self.head(swapped)


@pytest.fixture(scope="module")
def work(tmp_path_factory):
    torch.manual_seed(0)
    return export_with_photos(LeNet().eval(), tmp_path_factory.mktemp("lenet"), "lenet", ["logits", "swapped"])


def test_flatten_and_transpose_move_data_bit_exact_and_like_onnxruntime(work):
    rep = deploy_host(work, "per_layer")
    assert rep.golden["bit_exact"] and rep.golden["images"] == 4
    g = load_graph(rep.int8_model)
    perms = {op.attrs.perm for op in g.ops if op.kind == OpKind.TRANSPOSE}
    assert perms == {(0, 3, 1, 2), (0, 2, 1)}, perms
    conf = layer_conformance(onnx.load(rep.int8_model), g, golden.quantize_inputs(g, {"input": photo_inputs(work)}))
    for row in conf["per_layer"]:
        assert row["max_abs_diff_lsb"] <= 1, row
        if row["kind"] == "transpose":
            assert row["exact"] == row["elements"], row   # moving bytes is exact
