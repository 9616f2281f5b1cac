"""Float ONNX -> int8 QDQ ONNX with onnxruntime's quantize_static over real calibration images.

The toolkit does not re-implement calibration: it hands onnxruntime a CalibrationDataReader over
the user's images (preprocessed as the model card says) and asks for QDQ, per-channel symmetric
int8 weights and int8 activations, the format the importer and the C engine understand.
"""
from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import onnx
from onnxruntime.quantization import (CalibrationDataReader, CalibrationMethod, QuantFormat, QuantType,
                                      quantize_static)
from onnxruntime.quantization.registry import QDQRegistry, QLinearOpsRegistry
from tqdm import tqdm

from .errors import ToolkitError
from .cleanup import clean, upgrade_opset
from .importer import SUPPORTED_OPS, read_model
from .ops import SPECS


METHODS = {"minmax": CalibrationMethod.MinMax, "entropy": CalibrationMethod.Entropy,
           "percentile": CalibrationMethod.Percentile}


class ImageCalibrationReader(CalibrationDataReader):
    """Feeds preprocessed images one at a time, with a progress bar."""

    def __init__(self, input_name: str, images: np.ndarray, show_progress: bool = True):
        self.input_name = input_name
        self.images = images
        self.index = 0
        self.bar = tqdm(total=len(images), desc="calibrating", unit="img", disable=not show_progress,
                        leave=False)

    def get_next(self) -> dict[str, np.ndarray] | None:
        if self.index >= len(self.images):
            self.bar.close()
            return None
        batch = self.images[self.index:self.index + 1].astype(np.float32)
        self.index += 1
        self.bar.update(1)
        return {self.input_name: batch}

    def rewind(self) -> None:
        self.index = 0


# onnxruntime's own default set (its registries) plus the activations the engine runs as lookup
# tables, which onnxruntime would otherwise leave in float between a DequantizeLinear and a
# QuantizeLinear (HardSwish, Tanh, HardSigmoid, PRelu are in neither registry).
OP_TYPES_TO_QUANTIZE = sorted(set(QLinearOpsRegistry) | set(QDQRegistry)
                              | {t for s in SPECS.values() for t in s.quantize_types})


def distinct_tensor_names(model: onnx.ModelProto) -> onnx.ModelProto:
    """Outputs named like the node that makes them (tflite2onnx names every node after its output) get
    a suffix: onnxruntime's QDQ quantizer names tensors it adds after nodes, and on such a graph one of
    them took a conv's output name (measured on MediaPipe's palm detector: a conv read another's bias
    as its input). Graph inputs and outputs and node names stay."""
    keep = {i.name for i in model.graph.input} | {o.name for o in model.graph.output}
    renamed = {o: f"{o}:out" for n in model.graph.node for o in n.output if o == n.name and o not in keep}
    if not renamed:
        return model
    model = onnx.ModelProto.FromString(model.SerializeToString())
    for n in model.graph.node:
        n.input[:] = [renamed.get(t, t) for t in n.input]
        n.output[:] = [renamed.get(t, t) for t in n.output]
    for v in model.graph.value_info:
        v.name = renamed.get(v.name, v.name)
    return model


def quantize_model(float_path: str | Path | onnx.ModelProto, out_path: str | Path, calibration_inputs: np.ndarray,
                   input_name: str, method: str = "minmax", show_progress: bool = True) -> Path:
    """Quantize a float ONNX model to QDQ int8 (per-channel weights) using the given images.

    calibration_inputs: float32 [N, C, H, W], already preprocessed."""
    out_path = Path(out_path)
    if len(calibration_inputs) == 0:
        raise ToolkitError("no calibration images: give --calibration a folder of images")
    if method not in METHODS:
        raise ToolkitError(f"unknown calibration method {method!r}; choose one of {', '.join(METHODS)}")
    out_path.parent.mkdir(parents=True, exist_ok=True)
    # a model with ops the importer does not take (unfused BatchNormalization, shape subgraphs...)
    # is cleaned first (toolkit/cleanup.py), so that the QDQ model holds only ops the engine runs
    model = float_path if isinstance(float_path, onnx.ModelProto) else read_model(float_path)
    model = distinct_tensor_names(upgrade_opset(clean(model, set(SUPPORTED_OPS)).model))
    reader = ImageCalibrationReader(input_name, calibration_inputs, show_progress)
    # onnxruntime logs a pre-processing hint at WARNING level on every call; the models here are
    # exported with constant folding already, so the hint is noise for our users.
    logging.getLogger().setLevel(logging.ERROR)
    quantize_static(model, str(out_path), reader,
                    quant_format=QuantFormat.QDQ, per_channel=True,
                    activation_type=QuantType.QInt8, weight_type=QuantType.QInt8,
                    calibrate_method=METHODS[method],
                    op_types_to_quantize=OP_TYPES_TO_QUANTIZE,
                    extra_options={"ActivationSymmetric": False, "WeightSymmetric": True})
    return out_path
