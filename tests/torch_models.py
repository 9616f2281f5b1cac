"""Shared by the op tests that export a small PyTorch model: the export, real photos at the model's
size as calibration and test sets, and a deploy on the host board with the photos."""
from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np

from toolkit import zoo

MEAN_STD = {"mean": "0.5", "std": "0.5"}   # pixels to [-1, 1], as the op tests' models are fed


def export_with_photos(net, d: Path, name: str, output_names: list[str], opset: int = 13, size: int = 32,
                       **kwargs) -> Path:
    """`net` exported to d/<name>.onnx, and 10 calibration and 4 test photos (BlazeFace's calibration
    set, real photos) at size x size in d/calibration and d/test."""
    import torch

    with warnings.catch_warnings():   # the TorchScript exporter's deprecation notices
        warnings.simplefilter("ignore")
        torch.onnx.export(net, torch.zeros(1, 3, size, size), str(d / f"{name}.onnx"), opset_version=opset,
                          dynamo=False, input_names=["input"], output_names=output_names, **kwargs)
    photos = zoo.load_image_set(zoo.SAMPLES["blazeface"].calibration_dir(),
                                zoo.Preprocess(size, size, 3, (0.0,) * 3, (1.0,) * 3), 14)
    pixels = {f"img_{i:02d}.png": np.rint(x.transpose(1, 2, 0) * 255).astype(np.uint8)
              for i, x in enumerate(photos.inputs)}
    zoo.write_image_set(d / "calibration", dict(list(pixels.items())[:10]))
    zoo.write_image_set(d / "test", dict(list(pixels.items())[10:]))
    return d / f"{name}.onnx"


def deploy_host(model: Path, build: str, **kwargs):
    """Deploy `model` on the host board with its photos (export_with_photos), into <its folder>/<build>."""
    from toolkit.deploy import deploy

    d = model.parent
    return deploy(str(model), "host", images=d / "test", calibration=d / "calibration", build_dir=d / build,
                  preprocess=MEAN_STD, **kwargs)


def photo_inputs(model: Path, size: int = 32) -> np.ndarray:
    """The test photos as the model's float input."""
    return zoo.load_image_set(model.parent / "test", zoo.Preprocess(size, size, 3, (0.5,) * 3, (0.5,) * 3)).inputs
