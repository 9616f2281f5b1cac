"""Importer: real models import, and bad input fails with the exact, specific one-line message."""
import subprocess
import sys

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from toolkit import zoo
from toolkit.errors import ToolkitError, UnsupportedModelError
from toolkit.importer import SUPPORTED_OPS, load_graph
from toolkit.ir import Layout, OpKind


def save(tmp_path, nodes, inputs, outputs, inits=(), name="m.onnx"):
    graph = helper.make_graph(nodes, "g", inputs, outputs, list(inits))
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    path = tmp_path / name
    onnx.save(model, str(path))
    return path


def conv_inputs():
    w = numpy_helper.from_array(np.ones((4, 3, 3, 3), np.float32), "w")
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 8, 8])
    return w, x


def test_unsupported_op_names_op_node_and_supported_list(tmp_path):
    w, x = conv_inputs()
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4, 6, 6])
    nodes = [helper.make_node("Conv", ["x", "w"], ["c"], name="conv_1"),
             helper.make_node("Softplus", ["c"], ["y"], name="act_1")]
    path = save(tmp_path, nodes, [x], [y], [w])
    with pytest.raises(UnsupportedModelError) as err:
        load_graph(path)
    assert str(err.value) == ("unsupported op 'Softplus' (node 'act_1'); supported ops: "
                              + ", ".join(SUPPORTED_OPS))


def test_wrong_input_rank(tmp_path):
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 784])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 784])
    path = save(tmp_path, [helper.make_node("Relu", ["x"], ["y"], name="r")], [x], [y])
    with pytest.raises(UnsupportedModelError) as err:
        load_graph(path)
    assert str(err.value) == ("input 'x' has rank 2 (shape [1, 784]); the toolkit needs a 4-D NCHW "
                              "image input [1, C, H, W]")


def test_grouped_conv_is_rejected_with_node_name(tmp_path):
    w = numpy_helper.from_array(np.ones((4, 2, 3, 3), np.float32), "w")
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4, 8, 8])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4, 6, 6])
    path = save(tmp_path, [helper.make_node("Conv", ["x", "w"], ["y"], name="gconv", group=2)], [x], [y], [w])
    with pytest.raises(UnsupportedModelError) as err:
        load_graph(path)
    assert str(err.value) == ("node 'gconv' (Conv): grouped convolution with group=2 (not depthwise, "
                              "4 in / 4 out channels) is not supported")


def test_truncated_file(tmp_path):
    good = zoo.SAMPLES["fashion_cnn"].onnx_path().read_bytes()
    path = tmp_path / "cut.onnx"
    path.write_bytes(good[: len(good) // 3])
    with pytest.raises(ToolkitError) as err:
        load_graph(path)
    assert str(err.value).startswith(f"{path}: not a readable ONNX model (truncated or corrupt file)")


def test_garbage_file_via_cli_is_one_line_and_exit_2(tmp_path):
    path = tmp_path / "noise.onnx"
    path.write_bytes(bytes(range(256)) * 8)
    res = subprocess.run([sys.executable, "-m", "toolkit", "inspect", str(path)], capture_output=True, text=True)
    assert res.returncode == 2
    assert "Traceback" not in res.stderr
    assert res.stderr.strip().splitlines() == [f"error: {path}: not a readable ONNX model (truncated or "
                                               f"corrupt file): DecodeError"]


def test_missing_file(tmp_path):
    with pytest.raises(ToolkitError, match="model file not found"):
        load_graph(tmp_path / "nope.onnx")


@pytest.mark.parametrize("name", sorted(zoo.SAMPLES))
def test_float_samples_import_with_nhwc_shapes(name):
    sample = zoo.SAMPLES[name]
    g = load_graph(sample.onnx_path())
    x = g.tensors[g.inputs[0]]
    pp = sample.preprocess
    assert x.shape == (1, pp.height, pp.width, pp.channels)
    assert x.layout == Layout.SPATIAL
    kinds = {op.kind for op in g.ops}
    assert OpKind.CONV in kinds and OpKind.DEPTHWISE in kinds
    # every op output has a static shape and is consumed or is a graph output
    for op in g.ops:
        for out in op.outputs:
            assert all(d > 0 for d in g.tensors[out].shape)
            assert g.consumers(out) or out in g.outputs
