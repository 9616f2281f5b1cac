"""Sample models and their image sets (real data; builds the samples on first use)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest

from toolkit import zoo

CARD_METRIC = re.compile(r"^- \*{0,2}float metric\*{0,2}[^:]*:\s*(.*)$", re.M)


def card_metrics(name: str) -> dict[str, float]:
    """The float metrics recorded in models/<name>/README.md ('- float metric ...: key=value ...')."""
    text = (zoo.MODELS_DIR / name / "README.md").read_text()
    m = CARD_METRIC.search(text)
    assert m, f"models/{name}/README.md has no '- float metric' line"
    return {k: float(v) for k, v in re.findall(r"(\w+)\s*=\s*([0-9.]+)", m.group(1))}


@pytest.fixture(scope="module", params=sorted(zoo.SAMPLES))
def sample(request) -> zoo.SampleModel:
    s = zoo.SAMPLES[request.param]
    s.onnx_path()  # builds the sample if needed
    return s


def test_preprocess_center_crop_and_stretch():
    img = np.zeros((300, 400, 3), np.uint8)
    img[:, 200:] = 255
    pp = zoo.Preprocess(224, 224, 3, (0.5, 0.5, 0.5), (0.5, 0.5, 0.5), "center_crop")
    x = zoo.preprocess_image(img, pp)
    assert x.shape == (3, 224, 224) and x.dtype == np.float32
    assert x.min() == -1.0 and x.max() == 1.0
    gray = zoo.preprocess_image(np.full((25, 25), 255, np.uint8), zoo.SAMPLES["blazeface"].preprocess)
    assert gray.shape == (3, 128, 128) and np.allclose(gray, 1.0)
    rgb = zoo.preprocess_image(np.full((28, 28, 3), 0, np.uint8), zoo.SAMPLES["fashion_cnn"].preprocess)
    assert rgb.shape == (1, 28, 28) and np.allclose(rgb, -1.0)


def test_image_sets_load(sample):
    pp = sample.preprocess
    for d in (sample.calibration_dir(), sample.test_dir()):
        s = zoo.load_image_set(d, pp, limit=50)
        assert s.inputs.shape[1:] == (pp.channels, pp.height, pp.width)
        assert s.inputs.dtype == np.float32
        assert len(s.names) == len(s.inputs) <= 50
        assert s.names == sorted(s.names) or sample.name == "fashion_cnn"
        lo = (0.0 - max(pp.mean)) / min(pp.std)
        hi = (1.0 - min(pp.mean)) / min(pp.std)
        assert s.inputs.min() >= lo - 1e-5 and s.inputs.max() <= hi + 1e-5
    test = zoo.load_image_set(sample.test_dir(), pp)
    assert test.labels is not None and len(test.labels) == len(test.names)
    if sample.name == "blazeface":
        assert len(test.names) == 180 and sorted(set(test.labels)) == [0, 1]
        assert sum(test.labels) == 90
        cal = zoo.load_image_set(sample.calibration_dir(), pp)
        assert not set(cal.names) & set(test.names) and len(cal.names) >= 26
    elif sample.name == "mobilenetv2":
        assert 11 <= len(test.names) <= 20
        assert all(isinstance(lab, list) and all(0 <= c < 1000 for c in lab) for lab in test.labels)
        cal = zoo.load_image_set(sample.calibration_dir(), pp)
        assert len(cal.names) >= 16 and not set(cal.names) & set(test.names)
    elif sample.name == "fashion_cnn":
        assert len(test.names) == 10000 and set(test.labels) == set(range(10))
        cal = zoo.load_image_set(sample.calibration_dir(), pp)
        assert len(cal.names) == 200 and sorted(cal.labels) == sorted(list(range(10)) * 20)


def test_float_metric_matches_card(sample):
    import onnx

    path = sample.onnx_path()
    m = onnx.load(str(path))
    assert [i.name for i in m.graph.input] == [sample.input_name]
    assert sample.score_output in [o.name for o in m.graph.output]
    test = zoo.load_image_set(sample.test_dir(), sample.preprocess)
    batch = 500 if sample.name == "fashion_cnn" else 1
    out = zoo.run_onnx(path, test.inputs, sample.score_output, sample.input_name, batch=batch)
    got = zoo.evaluate(sample, out, test.labels)
    want = card_metrics(sample.name)
    assert set(want) == set(got), (want, got)
    for k in want:
        assert got[k] == pytest.approx(want[k], abs=0.005), (k, got, want)
    if sample.name == "fashion_cnn":
        assert got["top1"] >= 0.85


def test_blazeface_outputs_and_tflite_check():
    s = zoo.SAMPLES["blazeface"]
    import onnxruntime as ort

    sess = ort.InferenceSession(str(s.onnx_path()), providers=["CPUExecutionProvider"])
    x = zoo.load_image_set(s.calibration_dir(), s.preprocess, limit=1).inputs
    reg, cls = sess.run(["regressors", "classificators"], {"input": x})
    assert reg.shape == (1, 896, 16) and cls.shape == (1, 896, 1)


def test_blazeface_onnx_matches_the_tflite_original():
    """build.py runs the original .tflite (ai-edge-litert) and the converted ONNX on the same images."""
    check = zoo.SAMPLES["blazeface"].cache / "tflite_check.json"
    if not check.exists():
        pytest.skip(f"{check} not written: models/blazeface/build.py runs the comparison when ai-edge-litert "
                    f"is installed")
    res = json.loads(check.read_text())
    assert res["max_abs_diff"]
    for k, d in res["max_abs_diff"].items():
        assert d <= 1e-5 * max(1.0, res["max_abs_reference"][k]) + 1e-3, (k, res)


def test_mobilenetv2_other_resolution(tmp_path):
    s = zoo.mobilenetv2_at(160)
    assert s.onnx_file == "model_160.onnx"
    found = zoo.find_sample(zoo.SAMPLES["mobilenetv2"].cache / "model_160.onnx")
    assert found is not None and found.preprocess.height == 160
    x = zoo.preprocess_image(np.zeros((300, 500, 3), np.uint8), s.preprocess)
    assert x.shape == (3, 160, 160)


def test_find_sample_and_evaluate():
    assert zoo.find_sample("blazeface") is zoo.SAMPLES["blazeface"]
    assert zoo.find_sample(zoo.MODELS_DIR / "fashion_cnn" / "model.onnx") is zoo.SAMPLES["fashion_cnn"]
    assert zoo.find_sample(Path("/nonexistent/model.onnx")) is None
    assert zoo.find_sample("nope") is None
    top = zoo.evaluate(zoo.SAMPLES["mobilenetv2"], np.eye(3, 1000), [[0], [5, 1], 2])
    assert top == {"top1": 1.0}
    face = zoo.evaluate(zoo.SAMPLES["blazeface"], np.array([[[3.0]], [[-3.0]], [[1.0]], [[-0.5]]]), [1, 0, 0, 0])
    assert face["auc"] == 1.0 and face["accuracy"] == 0.75


def test_load_image_set_errors(tmp_path):
    with pytest.raises(FileNotFoundError):
        zoo.load_image_set(tmp_path / "missing", zoo.SAMPLES["fashion_cnn"].preprocess)
    with pytest.raises(FileNotFoundError):
        zoo.load_image_set(tmp_path, zoo.SAMPLES["fashion_cnn"].preprocess)
