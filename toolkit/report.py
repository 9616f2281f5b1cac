"""The deploy report: one type for every target (host, emulated board, board), written as JSON
next to an npz of the board's int8 outputs, the golden interpreter's and the float inputs.
Later checks (the HIL suite, the demo) read it; the contract is in docs/protocol.md."""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from .ir import Graph, to_onnx_layout

PLAN_SUMMARY_KEYS = ("model", "budget_bytes", "split", "grid", "arena_bytes", "per_layer_peak_bytes",
                     "patch_peak_bytes", "paper_per_layer_peak_bytes", "paper_patch_peak_bytes", "macs",
                     "patch_macs", "planner", "in_place", "align", "stream_input")


@dataclass
class DeployReport:
    board: str
    emulated: bool
    model: str
    int8_model: str
    plan: dict
    firmware: dict      # flash_bytes, static_ram_bytes, board_flash_bytes, board_sram_bytes, build
    measured: dict      # peak_sram_bytes, arena_high_water_bytes, stack_peak_bytes, static_ram_bytes
    latency: dict       # unit, per_image, per_layer [{op, kind, value}], per_tile
    link: dict          # port, bytes_sent, bytes_received, seconds
    outputs: str        # the npz
    images: list[str]
    golden: dict = field(default_factory=dict)   # images, elements, mismatched_elements, bit_exact

    def to_dict(self) -> dict:
        return asdict(self)

    def save(self, path: Path) -> None:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(self.to_dict(), indent=1) + "\n")


def save_outputs(path: Path, g: Graph, outputs: dict[str, np.ndarray], golden: dict[str, np.ndarray],
                 float_inputs: dict[str, np.ndarray]) -> None:
    """<output> (the board's int8), golden.<output> and input.<input> (float, as fed to the model),
    in ONNX layout and names."""
    arrays = {}
    for name in g.outputs:
        layout = g.tensors[name].layout
        onnx_name = g.float_outputs.get(name, name)
        arrays[onnx_name] = to_onnx_layout(outputs[name], layout)
        arrays[f"golden.{onnx_name}"] = to_onnx_layout(golden[name], layout)
    for name, x in float_inputs.items():
        arrays[f"input.{name}"] = x
    np.savez(path, **arrays)


def golden_agreement(g: Graph, outputs: dict[str, np.ndarray], golden: dict[str, np.ndarray]) -> dict:
    """Element by element: how many of the board's int8 outputs differ from the golden interpreter's."""
    elements = sum(int(golden[n].size) for n in g.outputs)
    diff = sum(int((outputs[n] != golden[n]).sum()) for n in g.outputs)
    n = len(next(iter(golden.values())))
    bad_images = sum(any(not np.array_equal(outputs[o][i], golden[o][i]) for o in g.outputs) for i in range(n))
    return {"images": n, "elements": elements, "mismatched_elements": diff, "mismatched_images": bad_images,
            "bit_exact": diff == 0}


def outputs_match_golden(npz: str | Path) -> bool:
    """Whether the board's int8 outputs in a report's archive equal the golden interpreter's."""
    ref = np.load(npz)
    return all(np.array_equal(ref[k], ref[f"golden.{k}"]) for k in ref.files
               if not k.startswith(("golden.", "input.")))
