"""What the CLI's MODEL and --patches arguments mean, shared by every command."""
from __future__ import annotations

from pathlib import Path

from . import zoo
from .errors import ToolkitError
from .ir import Graph


def resolve_model(model: str) -> tuple[Path, zoo.SampleModel | None]:
    """A sample name (e.g. `blazeface`) or a path to an ONNX file; the sample it belongs to, if any."""
    if model in zoo.SAMPLES:
        sample = zoo.SAMPLES[model]
        return sample.onnx_path(), sample
    path = Path(model)
    if not path.exists():
        raise ToolkitError(f"model not found: {model} (give an ONNX file or one of the samples: "
                           f"{', '.join(zoo.SAMPLES)})")
    return path, zoo.find_sample(path)


def preprocess_for(g: Graph, sample: zoo.SampleModel | None) -> tuple[zoo.Preprocess, str]:
    """(preprocessing, ONNX input name): the sample's card, or for a user's model: stretch to the
    input size and scale pixels to [0, 1] (pass a sample-like folder of your own to change it)."""
    if sample is not None:
        return sample.preprocess, sample.input_name
    name = g.inputs[0]
    _, h, w, c = g.tensors[name].shape
    return zoo.Preprocess(h, w, c, (0.0,) * c, (1.0,) * c), g.float_inputs.get(name, name)


def parse_grid(text: str | None):
    """--patches: 'auto', 'N' (N x N) or 'RxC'."""
    if text is None or text == "auto":
        return text
    try:
        if "x" in text.lower():
            rows, cols = text.lower().split("x")
            return (int(rows), int(cols))
        return int(text)
    except ValueError:
        raise ToolkitError(f"--patches takes N, RxC or auto, not {text!r}") from None
