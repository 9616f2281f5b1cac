"""Check an int8 model: float vs int8 metric, golden vs literal onnxruntime end to end and op by op."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from . import zoo
from .golden import dequantize
from .importer import graph_from_model, read_model
from .reference import end_to_end, layer_conformance


def near_tie(name: str, gold: np.ndarray, ref: np.ndarray) -> dict:
    """Why a classifier's decision can differ end to end: one early 1-LSB rounding difference
    compounds (up to tens of LSB at the logits, see ENVIRONMENT.md), so two classes whose golden
    scores are closer than that divergence may swap. `golden_margin_lsb` is how far ahead golden's
    choice is of onnxruntime's choice; a flip is explained when it is within `max_abs_diff_lsb`."""
    g, r = gold.reshape(-1).astype(np.int32), ref.reshape(-1).astype(np.int32)
    return {"image": name, "golden_margin_lsb": int(g[g.argmax()] - g[r.argmax()]),
            "max_abs_diff_lsb": int(np.abs(g - r).max())}


def score_tensor(g, sample: zoo.SampleModel | None) -> str:
    """The IR name of the output a sample's metric and decisions read (the first output otherwise)."""
    if sample is None:
        return g.outputs[0]
    return {v: k for k, v in g.float_outputs.items()}[sample.score_output]


def scores(g, sample: zoo.SampleModel | None, outputs: dict[str, np.ndarray]) -> np.ndarray:
    t = g.tensors[score_tensor(g, sample)]
    return dequantize(outputs[score_tensor(g, sample)], t.scale, t.zero_point)


def decide(g, sample: zoo.SampleModel | None, outputs: dict[str, np.ndarray]) -> np.ndarray:
    """One decision per image: face yes/no for detectors, else the argmax of the score output."""
    if sample is not None and sample.metric == "face":
        return zoo.face_scores(scores(g, sample, outputs)) >= 0.5
    s = scores(g, sample, outputs)
    return s.reshape(len(s), -1).argmax(axis=1)


def verify_int8(float_path: Path | None, int8_path: Path, test: zoo.ImageSet,
                sample: zoo.SampleModel | None, input_name: str) -> dict:
    """The quantize report's verification part (see the README for the contract).

    top1_agreement compares decisions: argmax of the score output, or face yes/no for detectors."""
    model = read_model(int8_path)
    g = graph_from_model(model, Path(int8_path).stem)
    score_ir = score_tensor(g, sample)

    e2e, gold, ref = end_to_end(model, g, {input_name: test.inputs}, lambda outs: decide(g, sample, outs))
    if not (sample is not None and sample.metric == "face"):
        e2e["disagreements"] = [near_tie(test.names[i], gold[score_ir][i], ref[score_ir][i])
                                for i in e2e["disagreeing_images"]]
    layers = layer_conformance(model, g, {n: ref[n] for n in g.inputs})
    report = {"images": len(test.names), "golden_vs_onnxruntime": e2e, "layer_conformance": layers,
              "float_metric": None, "int8_metric": None}
    if sample is not None and test.labels is not None:
        report["int8_metric"] = zoo.evaluate(sample, scores(g, sample, ref), test.labels)
        if float_path is not None:
            fs = zoo.run_onnx(float_path, test.inputs, sample.score_output, input_name, batch=256)
            report["float_metric"] = zoo.evaluate(sample, fs, test.labels)
    return report
