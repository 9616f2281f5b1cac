"""Already-quantized QDQ models made outside the toolkit (issue 12, item 3) deploy as they are, without
re-quantization: onnxruntime's quantize_static configured as other tools and users run it, with uint8
activations (zero points around 128) and per-tensor int8 weights, or with symmetric int8 activations.
uint8 is taken exactly as int8 minus 128. Asserted: the deployed model is the given file, the C engine
is bit-exact with the golden interpreter, and op by op the golden interpreter matches onnxruntime's
literal execution of that file. Asymmetric (uint8) weights are refused with the node named."""
from __future__ import annotations

import numpy as np
import onnx
import pytest
from onnx import numpy_helper
from onnxruntime.quantization import CalibrationDataReader, QuantFormat, QuantType, quantize_static

from toolkit import golden, zoo
from toolkit.errors import UnsupportedModelError
from toolkit.importer import load_graph
from toolkit.reference import layer_conformance

SAMPLE = zoo.SAMPLES["fashion_cnn"]


class Reader(CalibrationDataReader):
    def __init__(self, x: np.ndarray):
        self.batches = iter(x[i:i + 1] for i in range(len(x)))

    def get_next(self):
        x = next(self.batches, None)
        return None if x is None else {SAMPLE.input_name: x}


def quantize_elsewhere(path, **options) -> onnx.ModelProto:
    x = zoo.load_image_set(SAMPLE.calibration_dir(), SAMPLE.preprocess, 16).inputs
    quantize_static(str(SAMPLE.onnx_path()), str(path), Reader(x), quant_format=QuantFormat.QDQ, **options)
    return onnx.load(str(path))


def zero_points(model: onnx.ModelProto, op_type: str) -> list[np.ndarray]:
    inits = {i.name: numpy_helper.to_array(i) for i in model.graph.initializer}
    return [inits[n.input[2]] for n in model.graph.node if n.op_type == op_type and len(n.input) > 2]


def deploy_as_is(path, build):
    from toolkit.deploy import deploy

    rep = deploy(str(path), "host", images=SAMPLE.test_dir(), build_dir=build, limit=16)
    assert rep.int8_model == str(path), "the model was quantized again"
    assert rep.golden["bit_exact"] and rep.golden["images"] == 16
    g = load_graph(path)
    x = zoo.load_image_set(SAMPLE.test_dir(), SAMPLE.preprocess, 16).inputs
    conf = layer_conformance(onnx.load(str(path)), g, golden.quantize_inputs(g, {SAMPLE.input_name: x}))
    assert conf["exact"] >= 0.999 * conf["elements"] and conf["max_abs_diff_lsb"] <= 1, conf
    return g


def test_uint8_activations_and_per_tensor_weights_deploy_without_requantization(tmp_path):
    path = tmp_path / "u8s8.onnx"
    model = quantize_elsewhere(path, activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8)
    acts = zero_points(model, "QuantizeLinear")
    assert acts and all(z.dtype == np.uint8 for z in acts) and any(int(z) > 100 for z in acts)
    g = deploy_as_is(path, tmp_path / "build")
    assert all(g.tensors[n].onnx_uint8 for n in g.inputs)
    assert all(np.size(g.tensors[op.inputs[1]].scale) == 1 for op in g.ops if op.kind.value in ("conv", "fc"))


def test_symmetric_int8_activations_deploy(tmp_path):
    path = tmp_path / "s8s8_symmetric.onnx"
    model = quantize_elsewhere(path, activation_type=QuantType.QInt8, weight_type=QuantType.QInt8,
                               per_channel=True, extra_options={"ActivationSymmetric": True})
    assert all(int(z) == 0 for z in zero_points(model, "QuantizeLinear"))
    deploy_as_is(path, tmp_path / "build")


def test_asymmetric_uint8_weights_are_refused_with_the_node(tmp_path):
    path = tmp_path / "u8u8.onnx"
    quantize_elsewhere(path, activation_type=QuantType.QUInt8, weight_type=QuantType.QUInt8)
    with pytest.raises(UnsupportedModelError, match=r"node '.*' \(Conv\): weights quantized with a nonzero zero "
                                                    r"point .* symmetric weights"):
        load_graph(path)
