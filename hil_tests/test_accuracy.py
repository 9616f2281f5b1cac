"""Accuracy on the board: element by element against the golden interpreter, decisions against
onnxruntime running the same int8 model literally, the task metric against the float model."""
from __future__ import annotations

import numpy as np
import pytest

from toolkit import zoo
from toolkit.importer import read_model
from toolkit.reference import run_literal
from toolkit.report import golden_agreement
from toolkit.verify import decide, near_tie, score_tensor, scores


def test_outputs_equal_the_golden_interpreter(dut):
    fw = dut.fw
    agree = golden_agreement(fw.g, dut.run_all()["outputs"], fw.golden)
    assert agree["bit_exact"], (f"{agree['mismatched_elements']} of {agree['elements']} output elements differ "
                                f"on {agree['mismatched_images']} of {agree['images']} images ({fw.schedule})")


def test_decisions_agree_with_onnxruntime(dut):
    """Flips are allowed only for a classifier's near-tie: two classes closer than the divergence one
    early 1-LSB rounding difference grows into (toolkit.verify.near_tie); a detector must agree."""
    fw = dut.fw
    outs = dut.run_all()["outputs"]
    ref = run_literal(read_model(fw.qpath), fw.g, fw.float_inputs)
    board, ort = decide(fw.g, fw.sample, outs), decide(fw.g, fw.sample, ref)
    face = fw.sample is not None and fw.sample.metric == "face"
    for i in np.flatnonzero(board != ort):
        assert not face, f"{fw.images.names[i]}: face decision differs from onnxruntime's"
        s = score_tensor(fw.g, fw.sample)
        tie = near_tie(fw.images.names[i], outs[s][i], ref[s][i])
        assert tie["golden_margin_lsb"] <= tie["max_abs_diff_lsb"], tie


def test_task_metric_near_the_float_model(dut):
    """Within one image plus two points of the float model on the same labelled images."""
    fw = dut.fw
    if fw.sample is None or fw.images.labels is None:
        pytest.skip("no labelled images for this model")
    key = "accuracy" if fw.sample.metric == "face" else "top1"
    board = zoo.evaluate(fw.sample, scores(fw.g, fw.sample, dut.run_all()["outputs"]), fw.images.labels)[key]
    name = fw.sample.input_name
    fl = zoo.evaluate(fw.sample, zoo.run_onnx(fw.sample.onnx_path(), fw.float_inputs[name], fw.sample.score_output,
                                              name), fw.images.labels)[key]
    assert abs(board - fl) <= 1 / len(fw.images.names) + 0.02, f"{key}: board {board:.3f}, float {fl:.3f}"
