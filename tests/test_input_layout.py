"""Models whose image input is NHWC (issue 12, item 4): TF models as tf2onnx exports them read an
[N, H, W, C] input through a Transpose to NCHW before the first conv. No such converter is installable
offline here, so the test model is a real one in that shape: MediaPipe's iris landmark model (its TFLite
original takes NHWC) with its ONNX conversion given the NHWC input and the Transpose tf2onnx writes.
Asserted: `--input-layout auto` finds it, the NCHW copy computes what the NHWC file computes, deploy on
the host runs it from the command line bit-exact, and its int8 iris centre is where the TFLite original
(NHWC, float) puts it; a model that is not NHWC is left alone, and a wrong `--input-layout nhwc` is a
one-line error naming the op that reads the input."""
from __future__ import annotations

import json

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnx import helper

from test_cli_errors import assert_one_line_error, toolkit
from toolkit import zoo
from toolkit.errors import ToolkitError
from toolkit.importer import load_graph
from toolkit.modelarg import nchw_input

IRIS = zoo.cache_dir() / "models" / "thirdparty" / "iris_landmark"


@pytest.fixture(scope="module")
def iris() -> tuple[onnx.ModelProto, str]:
    if not (IRIS / "model.onnx").exists():
        pytest.fail(f"{IRIS} is missing: run python models/thirdparty/build.py (scripts/setup.sh does)")
    m = onnx.load(str(IRIS / "model.onnx"))
    return m, m.graph.input[0].name


@pytest.fixture(scope="module")
def nhwc_model(iris, tmp_path_factory):
    """The iris model as tf2onnx writes TF models: input [1, 64, 64, 3] -> Transpose(0,3,1,2) -> the rest."""
    m, name = iris
    m = onnx.ModelProto.FromString(m.SerializeToString())
    for node in m.graph.node:
        node.input[:] = [f"{name}_nchw" if i == name else i for i in node.input]
    m.graph.node.insert(0, helper.make_node("Transpose", [name], [f"{name}_nchw"], name="input_to_nchw",
                                            perm=[0, 3, 1, 2]))
    dims = m.graph.input[0].type.tensor_type.shape.dim
    n, c, h, w = (d.dim_value for d in dims)
    for d, v in zip(dims, (n, h, w, c)):
        d.dim_value = v
    onnx.checker.check_model(m)
    path = tmp_path_factory.mktemp("nhwc") / "iris_nhwc.onnx"
    onnx.save(m, str(path))
    return path


def run(path, x: np.ndarray) -> list[np.ndarray]:
    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return sess.run(None, {sess.get_inputs()[0].name: x})


def test_auto_finds_the_nhwc_input_and_the_copy_computes_the_same(nhwc_model, iris):
    said = []
    copy = nchw_input(str(nhwc_model), "auto", say=said.append)
    assert copy != str(nhwc_model) and "NHWC" in said[0] and "input_to_nchw" in said[0]
    m = onnx.load(copy)
    assert [n.name for n in m.graph.node] == [n.name for n in iris[0].graph.node], "the Transpose is not gone"
    assert [d.dim_value for d in m.graph.input[0].type.tensor_type.shape.dim] == [1, 3, 64, 64]
    x = zoo.load_image_set(IRIS / "test", zoo.Preprocess(64, 64, 3, (0.0,) * 3, (1.0,) * 3), 2).inputs
    for got, want in zip(run(copy, x[:1]), run(nhwc_model, x[:1].transpose(0, 2, 3, 1).copy())):
        assert np.array_equal(got, want)


def test_models_that_are_not_nhwc_are_left_as_they_are(nhwc_model):
    assert nchw_input(str(IRIS / "model.onnx"), "auto") == str(IRIS / "model.onnx")
    assert nchw_input("fashion_cnn", "auto") == "fashion_cnn"
    assert nchw_input(str(nhwc_model), "nchw") == str(nhwc_model)


def test_nhwc_on_an_nchw_model_names_the_op_that_reads_the_input():
    with pytest.raises(ToolkitError, match=r"read by Conv '.+'; an NHWC input must go through a Transpose"):
        nchw_input(str(IRIS / "model.onnx"), "nhwc")
    assert_one_line_error(toolkit("inspect", str(IRIS / "model.onnx"), "--input-layout", "nhwc"), "read by Conv")


def test_deploy_from_the_command_line_matches_the_tflite_original(nhwc_model, tmp_path):
    res = toolkit("deploy", "--board", "host", "--model", str(nhwc_model), "--calibration", str(IRIS / "calibration"),
                  "--images", str(IRIS / "test"), "--build-dir", str(tmp_path / "build"),
                  "--report", str(tmp_path / "report.json"))
    assert res.returncode == 0, res.stderr
    assert "input 'input_1' is NHWC" in res.stderr
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["golden"]["bit_exact"] and report["golden"]["images"] == 8
    g = load_graph(report["int8_model"])
    out = np.load(tmp_path / "build" / "outputs.npz")
    iris_q = next(n for n in g.outputs if g.float_outputs.get(n) == "output_iris")
    t = g.tensors[iris_q]
    centre = ((out["output_iris"].astype(np.float32) - t.zero_point) * t.scale)[:, :2]

    from ai_edge_litert.interpreter import Interpreter

    lite = Interpreter(model_path=str(IRIS / "iris_landmark.tflite"))
    lite.allocate_tensors()
    want = []
    for x in out["input.input_1"]:     # the images as the deploy fed them, NCHW
        lite.set_tensor(lite.get_input_details()[0]["index"], x.transpose(1, 2, 0)[None].copy())
        lite.invoke()
        iris_out = next(d for d in lite.get_output_details() if d["shape"][-1] == 15)
        want.append(lite.get_tensor(iris_out["index"])[0, :2])
    assert np.abs(centre - np.array(want)).max() <= 1.0, (centre, want)
