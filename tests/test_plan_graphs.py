"""The reference graphs the planner tests run on: imported ONNX when available, else shape-only stand-ins."""
import functools

import pytest

from toolkit.plan import synthetic


@functools.cache
def imported(name: str):
    """The sample model through the real importer, or None if it is not available here."""
    try:
        from toolkit.importer import load_graph
        from toolkit.zoo import SAMPLES
        sample = SAMPLES[name]
        # Only an already built model: tests must not start a sample build (downloads).
        path = next((p for p in (sample.folder / sample.onnx_file, sample.cache / sample.onnx_file) if p.exists()), None)
        return None if path is None else load_graph(path)
    except Exception:  # importer/zoo not ready, or the sample cannot be built offline
        return None


def graph(name: str, source: str):
    if source == "synthetic":
        return synthetic.SYNTHETIC[name]()
    g = imported(name)
    if g is None:
        pytest.skip(f"imported {name} not available")
    return g


MODELS = ["mobilenetv2", "blazeface", "fashion_cnn"]
SOURCES = ["synthetic", "onnx"]


@pytest.mark.parametrize("name", MODELS)
def test_synthetic_and_imported_agree_on_macs(name):
    from toolkit.ir import macs
    g = synthetic.SYNTHETIC[name]()
    total = sum(macs(g, op) for op in g.ops)
    if name == "mobilenetv2":
        assert total == 300_774_272  # torchvision MobileNetV2-1.0 at 224: 300.8 M
    other = imported(name)
    if other is None or name == "fashion_cnn":  # our fashion CNN stand-in is not the sample's architecture
        return
    assert sum(macs(other, op) for op in other.ops) == total
