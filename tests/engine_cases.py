"""Shared cases for the engine tests: int8 sample models, their test images, and schedules.

The int8 model of a sample is cached next to its float model (<cache>/models/<name>/model.int8.onnx,
the path `toolkit quantize` uses by default), quantized once with the sample's calibration set.
"""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from toolkit import golden, zoo
from toolkit.importer import load_graph
from toolkit.ir import Graph
from toolkit.plan import Plan, plan_graph
from toolkit.plan.patch import split_reason

SAMPLE_NAMES = ("fashion_cnn", "blazeface", "mobilenetv2")
# Test tiers: the default (CI) run takes the first CI_IMAGES test images of each sample (every
# schedule kind still runs); `pytest -m nightly` takes all of them (Fashion-MNIST: 10,000).
CI_IMAGES = {"fashion_cnn": 300, "blazeface": 24, "mobilenetv2": 2}
# ... and one schedule of each kind (builds dominate: MobileNetV2's 3.5 MB of weights as C source);
# the nightly tier runs every schedule.
# Streamed schedules in CI: fashion_cnn's and BlazeFace's at 3x3 (BlazeFace's 8x8 streamed plan runs
# on the emulated board in tests/test_stream_input.py); MobileNetV2's, slow to build, nightly.
# Cached halos likewise: a 3x3 grid with the image in SRAM (and with columns only cached) and a 4x4
# one streamed at the last split; tiles cut on the input at 4x4, and 6x6 narrow streamed.
CI_SCHEDULES = {"fashion_cnn": ("per_layer", "split0_2x2", "split1_3x3", "split2_4x2", "auto", "stream_3x3",
                                "cache_3x3", "cache_stream_4x4", "stream_rows", "cache_cols_3x3", "lines_4x4",
                                "lines_narrow_stream_6x6"),
                "blazeface": ("per_layer", "split0_2x2", "split1_3x3", "split2_4x2", "auto", "stream_3x3",
                              "cache_3x3", "cache_stream_4x4", "cache_cols_3x3", "lines_4x4",
                              "lines_narrow_stream_6x6"),
                "mobilenetv2": ("per_layer", "split1_3x3", "auto")}


def tier_schedules(name: str, g: Graph, limit: int | None) -> list[tuple[str, Plan]]:
    """The engine test's schedules for a sample in a tier (limit None: nightly, every schedule)."""
    plans = schedules(g)
    keep = CI_SCHEDULES.get(name) if limit is not None else None
    if keep is None:
        return plans
    assert set(keep) <= {label for label, _ in plans}, f"{name}: CI_SCHEDULES names a schedule it does not have"
    return [p for p in plans if p[0] in keep]


def tiered_samples() -> list:
    """pytest params (sample, image limit): each sample on its CI subset, and on every image as nightly."""
    import pytest
    return ([pytest.param((n, CI_IMAGES[n]), id=n) for n in SAMPLE_NAMES]
            + [pytest.param((n, None), id=f"{n}-all", marks=pytest.mark.nightly)
               for n in SAMPLE_NAMES if CI_IMAGES[n] is not None])


def int8_path(sample: zoo.SampleModel) -> Path:
    from toolkit.quantize import quantize_model
    float_path = sample.onnx_path()
    out = sample.int8_path
    if not out.exists():
        calib = zoo.load_image_set(sample.calibration_dir(), sample.preprocess)
        tmp = out.with_suffix(f".{os.getpid()}.partial.onnx")
        quantize_model(float_path, tmp, calib.inputs, sample.input_name, show_progress=False)
        tmp.rename(out)
    return out


def load_case(name: str, limit: int | None = None) -> tuple[Path, Graph, dict[str, np.ndarray]]:
    """(int8 model path, graph, int8 IR test inputs) of a sample."""
    sample = zoo.SAMPLES[name]
    path = int8_path(sample)
    g = load_graph(path)
    images = zoo.load_image_set(sample.test_dir(), sample.preprocess, limit)
    return path, g, golden.quantize_inputs(g, {sample.input_name: images.inputs})


def valid_splits(g: Graph) -> list[str]:
    return [op.name for k, op in enumerate(g.ops) if split_reason(g, k) is None]


def schedules(g: Graph, few: bool = False) -> list[tuple[str, Plan]]:
    """Per layer, then patch schedules: the first, a middle and the last valid split with several
    grids, the planner's own lowest-peak choice, streamed input (one band of input rows in SRAM at
    a time) at 3x3 and for the planner's choice, and cached halos (3x3; 4x4 streamed at the last
    split), tiles cut on the input (line buffers). `few` (the sanitizer run): per layer, 3x3 at the
    first split, streamed, cached, cut on the input."""
    out = [("per_layer", plan_graph(g))]
    splits = valid_splits(g)
    if not splits:
        return out
    picks = [splits[0], splits[len(splits) // 2], splits[-1]]
    grids = [(2, 2), (3, 3), (4, 2)] if not few else [(3, 3)]
    for i, split in enumerate(dict.fromkeys(picks[:1] if few else picks)):
        _, h, w, _ = g.tensors[g.op(split).outputs[0]].shape
        for grid in grids:
            if grid[0] <= h and grid[1] <= w:
                out.append((f"split{i}_{grid[0]}x{grid[1]}", plan_graph(g, split=split, grid=grid)))
    stream_split = picks[0] if few else picks[1]
    _, h, w, _ = g.tensors[g.op(stream_split).outputs[0]].shape
    if h >= 3 and w >= 3:
        out.append(("stream_3x3", plan_graph(g, split=stream_split, grid=(3, 3), stream_input=True)))
        # cached halos: the image in SRAM, and streamed (the sanitizer run's one cached schedule)
        out.append(("cache_stream_3x3" if few else "cache_3x3",
                    plan_graph(g, split=stream_split, grid=(3, 3), stream_input=few, halo="cache")))
        if few:   # tiles cut on the input: odd tile shapes for the kernels
            out.append(("lines_narrow_stream_3x3", plan_graph(g, split=stream_split, grid=(3, 3), stream_input=True,
                                                              halo="lines_narrow")))
    if not few:
        out.append(("cache_cols_3x3", plan_graph(g, split=stream_split, grid=(3, 3), halo="cache_cols")))
        # a per-layer schedule with its input streamed: the first layer alone, in full-width tile rows
        out.append(("stream_rows", plan_graph(g, split=splits[0], grid="rows", stream_input=True)))
        _, h, w, _ = g.tensors[g.op(picks[-1]).outputs[0]].shape
        grid = (min(h, 4), min(w, 4))
        out.append((f"cache_stream_{grid[0]}x{grid[1]}",
                    plan_graph(g, split=picks[-1], grid=grid, stream_input=True, halo="cache")))
        # tiles cut on the input (line buffers): every halo cached, and expansions recomputed from
        # their narrow inputs' caches, streamed
        out.append(("lines_4x4", plan_graph(g, split=stream_split, grid=(4, 4), halo="lines")))
        out.append(("lines_narrow_stream_6x6",
                    plan_graph(g, split=picks[-1], grid=(6, 6), stream_input=True, halo="lines_narrow")))
        out.append(("auto", plan_graph(g, split="auto")))
        out.append(("auto_stream", plan_graph(g, split="auto", stream_input=True)))
    return out
