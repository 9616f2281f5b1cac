"""The device under test: one sample model's firmware for one board, built once, booted once, with
the images, the golden interpreter's outputs and everything a HIL check compares against.

The same pipeline as `toolkit deploy` (toolkit/deploy.py), cut where a test suite needs it: build
(`prepare`) and boot (`boot`) are separate, so a fixture builds per (board, model) and keeps the
board running for every test of the session."""
from __future__ import annotations

import contextlib
from dataclasses import dataclass, field, fields
from pathlib import Path

import numpy as np

from .. import golden, zoo
from ..client import Client
from ..deploy import image_inputs, infer_image
from ..firmware import Firmware, build_firmware, check_firmware, load_images, prepare_model
from ..targets import Target


@dataclass
class FirmwareWithImages(Firmware):
    """A built firmware with the sample's images, their int8 inputs and the golden outputs."""
    images: zoo.ImageSet
    q: dict[str, np.ndarray]             # int8 IR inputs [N, ...]
    golden: dict[str, np.ndarray]        # golden interpreter outputs [N, ...]
    float_inputs: dict[str, np.ndarray]


def prepare(target: Target, model: str, limit: int | None, work: Path) -> FirmwareWithImages:
    """Quantize (once, cached), plan under the board's budget, generate and build."""
    m = prepare_model(model, work)
    images = load_images(m.sample.test_dir() if m.sample else Path(model).parent, m.preprocess, limit)
    q = m.quantize(images.inputs)
    fw = build_firmware(target, m, work)
    return FirmwareWithImages(**{f.name: getattr(fw, f.name) for f in fields(Firmware)}, images=images, q=q,
                              golden=golden.run_graph(m.g, q), float_inputs={m.input_name: images.inputs})


@dataclass
class DeviceUnderTest:
    fw: FirmwareWithImages
    client: Client
    info: dict
    runs: dict = field(default_factory=dict)   # image index -> (outputs by IR name, latency, per op)

    def inputs(self, i: int) -> list[bytes]:
        return image_inputs(self.fw.g, self.fw.q, i)

    def infer(self, i: int) -> tuple[dict[str, np.ndarray], int]:
        """Image i through the board: its int8 outputs by IR name, and its latency."""
        return infer_image(self.client, self.fw.g, self.fw.q, i)

    def run_all(self) -> dict:
        """Every image once (cached for the session): outputs [N, ...], latency per image, mean per op."""
        if not self.runs:
            outs, lat, per_op = {n: [] for n in self.fw.g.outputs}, [], []
            for i in range(len(self.fw.images.names)):
                o, t = self.infer(i)
                for n in outs:
                    outs[n].append(o[n])
                lat.append(t)
                per_op.append(self.client.profile(0))
            self.runs = {"outputs": {n: np.stack(v) for n, v in outs.items()}, "latency": lat,
                         "per_op": np.mean(per_op, axis=0).tolist()}
        return self.runs


@contextlib.contextmanager
def boot(fw: FirmwareWithImages):
    """Boot (emulator) or flash (board), shake hands, check the image runs this model."""
    with fw.target.session(fw.program) as client:
        yield DeviceUnderTest(fw, client, check_firmware(client, fw.qpath))
