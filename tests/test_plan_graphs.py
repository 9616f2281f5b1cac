"""The reference graphs the planner tests run on: imported ONNX when available, else shape-only stand-ins."""
import functools

import pytest

from toolkit.plan import synthetic


@functools.cache
def imported(name: str):
    """The sample model through the real importer, or None if it is not built here (scripts/setup.sh
    builds every sample; tests do not start a build)."""
    from toolkit.importer import load_graph
    from toolkit.zoo import SAMPLES
    sample = SAMPLES[name]
    path = next((p for p in (sample.folder / sample.onnx_file, sample.cache / sample.onnx_file) if p.exists()), None)
    return None if path is None else load_graph(path)


def graph(name: str, source: str):
    if source == "synthetic":
        return synthetic.SYNTHETIC[name]()
    g = imported(name)
    if g is None:
        pytest.skip(f"imported {name} not available")
    return g


MODELS = ["mobilenetv2", "blazeface", "fashion_cnn"]
SOURCES = ["synthetic", "onnx"]


def test_synthetic_mobilenetv2_macs():
    from toolkit.ir import macs
    g = synthetic.SYNTHETIC["mobilenetv2"]()
    assert sum(macs(g, op) for op in g.ops) == 300_774_272  # torchvision MobileNetV2-1.0 at 224: 300.8 M


# The synthetic fashion CNN is a stand-in, not the sample's architecture: only these two are the same network.
@pytest.mark.parametrize("name", ["mobilenetv2", "blazeface"])
def test_synthetic_and_imported_agree_on_macs(name):
    from toolkit.ir import macs
    g = synthetic.SYNTHETIC[name]()
    other = graph(name, "onnx")
    assert sum(macs(other, op) for op in other.ops) == sum(macs(g, op) for op in g.ops)
