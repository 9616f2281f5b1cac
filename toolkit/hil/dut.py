"""The device under test: one sample model's firmware for one board, built once, booted once, with
the images, the golden interpreter's outputs and everything a HIL check compares against.

The same pipeline as `toolkit deploy` (toolkit/deploy.py), cut where a test suite needs it: build
(`prepare`) and boot (`boot`) are separate, so a fixture builds per (board, model) and keeps the
board running for every test of the session."""
from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .. import golden, zoo
from ..boards import Board
from ..build import build, elf_sizes
from ..client import Client
from ..codegen import firmware_arena, generate
from ..deploy import check_firmware, image_inputs, infer_image, int8_model, load_images, make_plan
from ..importer import load_graph
from ..ir import Graph
from ..modelarg import preprocess_for, resolve_model
from ..plan import Plan
from ..targets import Target


@dataclass
class Firmware:
    """A built image and what it was built from."""
    target: Target
    model: str
    sample: zoo.SampleModel | None
    qpath: Path
    g: Graph
    plan: Plan
    program: Path
    sizes: dict
    images: zoo.ImageSet
    q: dict[str, np.ndarray]             # int8 IR inputs [N, ...]
    golden: dict[str, np.ndarray]        # golden interpreter outputs [N, ...]
    float_inputs: dict[str, np.ndarray]

    @property
    def board(self) -> Board:
        return self.target.board

    @property
    def firmware_arena_bytes(self) -> int:
        return firmware_arena(self.g, self.plan)

    @property
    def schedule(self) -> str:
        return f"split {self.plan.split} {self.plan.grid[0]}x{self.plan.grid[1]}" if self.plan.grid else "per layer"


def prepare(target: Target, model: str, limit: int | None, work: Path) -> Firmware:
    """Quantize (once, cached), plan under the board's budget, generate and build."""
    path, sample = resolve_model(model)
    qpath = int8_model(path, sample, None, work / "model.int8.onnx", None)
    g = load_graph(qpath)
    g.name = sample.name if sample else path.stem
    pp, input_name = preprocess_for(g, sample)
    images = load_images(sample.test_dir() if sample else Path(model).parent, pp, limit)
    float_inputs = {input_name: images.inputs}
    q = golden.quantize_inputs(g, float_inputs)
    plan = make_plan(g, None, None, target.board.budget_bytes)
    generate(g, plan, work / "gen", qpath)
    program = build(target.env, work / "pio", work / "gen", board=target.board.name, uart_baud=target.board.uart_baud)
    return Firmware(target, model, sample, qpath, g, plan, program, elf_sizes(program), images, q,
                    golden.run_graph(g, q), float_inputs)


@dataclass
class DeviceUnderTest:
    fw: Firmware
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
def boot(fw: Firmware):
    """Boot (emulator) or flash (board), shake hands, check the image runs this model."""
    with fw.target.session(fw.program) as client:
        yield DeviceUnderTest(fw, client, check_firmware(client, fw.qpath))
