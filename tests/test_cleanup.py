"""Graph clean-up before import (toolkit/cleanup.py): a PyTorch export with unfused BatchNormalization
and pads computed from the input's shape, at opset 13 and at opset 11 with a dynamic batch, is
cleaned by onnxruntime's pre-processing into ops the engine runs, computes the same function, and
deploys on the host bit-exact; samples and QDQ models are never rewritten; what stays unsupported
is named."""
from __future__ import annotations

import warnings

import numpy as np
import onnx
import onnxruntime as ort
import pytest

from test_cli_errors import assert_one_line_error, toolkit
from toolkit import zoo
from toolkit.cleanup import clean
from toolkit.importer import SUPPORTED_OPS, load_graph

torch = pytest.importorskip("torch")
SUPPORTED = set(SUPPORTED_OPS)


class Net(torch.nn.Module):
    """Conv-BN-ReLU twice, a pad computed from the feature map's height, Dropout, a linear head."""

    def __init__(self, act=torch.nn.ReLU):
        super().__init__()
        self.c1, self.bn1 = torch.nn.Conv2d(3, 8, 3, padding=1), torch.nn.BatchNorm2d(8)
        self.c2, self.bn2 = torch.nn.Conv2d(8, 16, 3, stride=2, padding=1), torch.nn.BatchNorm2d(16)
        self.act, self.drop, self.fc = act(), torch.nn.Dropout(0.2), torch.nn.Linear(16, 4)

    def forward(self, x):
        x = self.act(self.bn1(self.c1(x)))
        h = x.shape[2]
        x = torch.nn.functional.pad(x, (0, h % 3, 0, h % 3))
        x = self.act(self.bn2(self.c2(x)))
        x = torch.nn.functional.adaptive_avg_pool2d(self.drop(x), 1).flatten(1)
        return self.fc(x)


def export(path, opset: int, act=torch.nn.ReLU, **kwargs):
    torch.manual_seed(0)
    net = Net(act).eval()
    with torch.no_grad():
        for bn in (net.bn1, net.bn2):   # statistics a trained network would have
            bn.running_mean.uniform_(-0.5, 0.5)
            bn.running_var.uniform_(0.5, 2.0)
            bn.weight.uniform_(0.5, 1.5)
    with warnings.catch_warnings():   # the TorchScript exporter's deprecation notices
        warnings.simplefilter("ignore", DeprecationWarning)
        torch.onnx.export(net, torch.zeros(1, 3, 32, 32), str(path), opset_version=opset, dynamo=False,
                          input_names=["input"], output_names=["logits"], **kwargs)
    return path


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    d = tmp_path_factory.mktemp("exports")
    return {
        "bn_unfused": export(d / "bn13.onnx", 13, do_constant_folding=False,
                             training=torch.onnx.TrainingMode.PRESERVE),
        "opset11_dynamic_batch": export(d / "dyn11.onnx", 11, dynamic_axes={"input": {0: "batch"}}),
    }


def images(n: int) -> np.ndarray:
    """Real photos (BlazeFace's calibration set) at the net's 32x32 input."""
    pp = zoo.Preprocess(32, 32, 3, (0.5,) * 3, (0.5,) * 3)
    return zoo.load_image_set(zoo.SAMPLES["blazeface"].calibration_dir(), pp, n).inputs


@pytest.mark.parametrize("name", ["bn_unfused", "opset11_dynamic_batch"])
def test_cleaned_model_runs_only_supported_ops_and_computes_the_same(exported, name):
    model = onnx.load(str(exported[name]))
    ops = {n.op_type for n in model.graph.node}
    assert "Shape" in ops and not ops <= SUPPORTED
    result = clean(model, SUPPORTED)
    assert result.changed and {n.op_type for n in result.model.graph.node} <= SUPPORTED
    assert "Shape" in result.removed
    if name == "bn_unfused":
        assert result.removed["BatchNormalization"] == 2
    else:
        assert result.opset == (11, 13) and "opset 11 -> 13" in result.describe()
    x = images(8)
    before = ort.InferenceSession(str(exported[name]), providers=["CPUExecutionProvider"])
    after = ort.InferenceSession(result.model.SerializeToString(), providers=["CPUExecutionProvider"])
    for i in range(len(x)):
        want = before.run(None, {"input": x[i:i + 1]})[0]
        got = after.run(None, {"input": x[i:i + 1]})[0]
        assert np.allclose(got, want, rtol=1e-5, atol=1e-5), np.abs(got - want).max()
    g = load_graph(exported[name])
    assert [op.kind.value for op in g.ops][:2] == ["conv", "clamp"]


def test_exported_model_deploys_on_the_host_bit_exact(exported, tmp_path):
    from toolkit.deploy import deploy

    calib, test = tmp_path / "calibration", tmp_path / "test"
    photos = zoo.load_image_set(zoo.SAMPLES["blazeface"].calibration_dir(),
                                zoo.Preprocess(32, 32, 3, (0.0,) * 3, (1.0,) * 3), 12)
    pixels = {f"img_{i}.png": np.rint(x.transpose(1, 2, 0) * 255).astype(np.uint8) for i, x in enumerate(photos.inputs)}
    zoo.write_image_set(calib, dict(list(pixels.items())[:8]))
    zoo.write_image_set(test, dict(list(pixels.items())[8:]))
    rep = deploy(str(exported["bn_unfused"]), "host", images=test, calibration=calib, build_dir=tmp_path / "b",
                 preprocess={"mean": "0.5", "std": "0.5"})
    assert rep.golden["bit_exact"] and rep.golden["images"] == 4
    int8_ops = {n.op_type for n in onnx.load(rep.int8_model).graph.node}
    assert "BatchNormalization" not in int8_ops and "Shape" not in int8_ops


def test_samples_and_quantized_models_are_left_as_they_are():
    for name in ("blazeface", "fashion_cnn"):
        model = onnx.load(str(zoo.SAMPLES[name].onnx_path()))
        result = clean(model, SUPPORTED)
        assert result.model is model and not result.changed and result.describe() == "none needed"
    qdq = onnx.load(str(zoo.SAMPLES["fashion_cnn"].int8_path)) if zoo.SAMPLES["fashion_cnn"].int8_path.exists() else None
    if qdq is not None:
        assert clean(qdq, SUPPORTED).model is qdq


def test_an_op_still_unsupported_after_clean_up_is_named(tmp_path):
    path = export(tmp_path / "softplus.onnx", 13, act=torch.nn.Softplus)
    res = toolkit("inspect", str(path))
    assert_one_line_error(res, "unsupported op 'Softplus'", "node '/act/Softplus'", "supported ops: Add")
    rows = {line.split("│")[1].strip(): line.split("│")[3].strip() for line in res.stdout.splitlines()
            if line.count("│") >= 4}
    assert rows.get("Softplus") == "no" and rows.get("Conv") == "yes", res.stdout   # inspect's support table


class HandWrittenHardSwish(torch.nn.Module):
    """x * relu6(x + 3) / 6, as PaddlePaddle exports hard swish, after a conv with an unfused BatchNorm."""

    def forward(self, x):
        return x * torch.nn.functional.relu6(x + 3) / 6


def test_hand_written_hard_swish_is_fused_and_cleaning_twice_is_cleaning_once(tmp_path):
    path = export(tmp_path / "hswish.onnx", 13, act=HandWrittenHardSwish, do_constant_folding=False)
    once = clean(onnx.load(str(path)), SUPPORTED)
    ops = [n.op_type for n in once.model.graph.node]
    assert ops.count("HardSwish") == 2 and not {"Clip", "Div", "BatchNormalization"} & set(ops)
    assert once.hard_swishes == 2 and "2 hand-written hard swishes fused into HardSwish" in once.describe()
    twice = clean(once.model, SUPPORTED)
    assert not twice.changed and twice.model is once.model
    x = np.random.default_rng(0).uniform(-1, 1, (1, 3, 32, 32)).astype(np.float32)
    want = ort.InferenceSession(str(path)).run(None, {"input": x})[0]
    got = ort.InferenceSession(once.model.SerializeToString()).run(None, {"input": x})[0]
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5)
