"""onnxruntime as the reference, run with the model's literal QDQ semantics.

Why ORT_DISABLE_ALL: onnxruntime's default optimized session fuses QuantizeLinear/DequantizeLinear
pairs into U8S8 integer kernels whose int16 pair sums saturate on x86 AVX2 machines without VNNI
(measured on BlazeFace: only ~10% of int8 outputs equal the literal semantics, max 255 LSB). With
graph optimizations disabled each QuantizeLinear/DequantizeLinear and float op runs as the ONNX
spec defines the model; that is the reference the golden interpreter and the C engine answer to.
"""
from __future__ import annotations

import warnings
from dataclasses import asdict, dataclass
from typing import Callable

import numpy as np
import onnx
import onnxruntime as ort

from .golden import run_graph
from .ir import Graph, from_onnx, to_onnx


def literal_session(model: onnx.ModelProto) -> ort.InferenceSession:
    opts = ort.SessionOptions()
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    opts.log_severity_level = 3
    return ort.InferenceSession(model.SerializeToString(), opts, providers=["CPUExecutionProvider"])


def optimized_session_warning() -> str | None:
    """The warning users get where onnxruntime's optimized int8 kernels diverge from the model's semantics."""
    try:
        with open("/proc/cpuinfo") as f:
            flags = f.read()
    except OSError:
        return None
    if "avx2" in flags and "avx512_vnni" not in flags and "avx_vnni" not in flags:
        return ("this CPU has AVX2 without VNNI: onnxruntime's default (optimized) session runs int8 QDQ "
                "models with saturating U8S8 kernels and does not compute the model's literal semantics; "
                "the toolkit compares against onnxruntime with graph optimizations disabled")
    return None


def with_outputs(model: onnx.ModelProto, names: list[str]) -> onnx.ModelProto:
    """A copy of the model that also exposes the given intermediate tensors as graph outputs."""
    m = onnx.shape_inference.infer_shapes(model)
    known = {o.name for o in m.graph.output}
    infos = {vi.name: vi for vi in m.graph.value_info}
    for n in names:
        if n not in known:
            m.graph.output.append(infos[n] if n in infos else onnx.helper.make_empty_tensor_value_info(n))
    return m


def run_literal(model: onnx.ModelProto, g: Graph, float_inputs: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Run the QDQ model literally, image by image; returns the graph's int8 inputs and outputs in IR layout.

    float_inputs: ONNX input name -> float32 NCHW [N, C, H, W]."""
    names = list(g.inputs) + list(g.outputs)
    sess = literal_session(with_outputs(model, names))
    n_images = next(iter(float_inputs.values())).shape[0]
    rows = [sess.run(names, {k: v[i:i + 1] for k, v in float_inputs.items()}) for i in range(n_images)]
    return {n: from_onnx(np.concatenate([r[j] for r in rows]), g.tensors[n])
            for j, n in enumerate(names)}


@dataclass
class Agreement:
    elements: int = 0
    exact: int = 0
    max_abs_diff_lsb: int = 0

    def add(self, a: np.ndarray, b: np.ndarray) -> None:
        d = np.abs(a.astype(np.int32) - b.astype(np.int32))
        self.elements += int(d.size)
        self.exact += int((d == 0).sum())
        self.max_abs_diff_lsb = max(self.max_abs_diff_lsb, int(d.max(initial=0)))

    @property
    def fraction(self) -> float:
        return self.exact / self.elements if self.elements else 1.0


def end_to_end(model: onnx.ModelProto, g: Graph, float_inputs: dict[str, np.ndarray],
               decide: Callable[[dict[str, np.ndarray]], np.ndarray]) -> tuple[dict, dict, dict]:
    """Golden vs literal onnxruntime on the same int8 inputs (the ones onnxruntime quantized).

    decide maps int8 outputs (IR name -> array) to one decision per image (class index, face
    yes/no); `top1_agreement` is the fraction of images where golden and onnxruntime decide alike.
    Returns (summary, golden outputs, reference outputs); outputs keyed by IR name, IR layout."""
    ref = run_literal(model, g, float_inputs)
    gold = run_graph(g, {n: ref[n] for n in g.inputs})
    agree = Agreement()
    for n in g.outputs:
        agree.add(gold[n], ref[n])
    same = decide(gold) == decide(ref)
    summary = {**asdict(agree), "top1_agreement": float(np.mean(same)),
               "disagreeing_images": [int(i) for i in np.flatnonzero(~same)]}
    return summary, gold, ref


def layer_conformance(model: onnx.ModelProto, g: Graph, int8_inputs: dict[str, np.ndarray]) -> dict:
    """Op by op: feed each op the golden int8 inputs, alone in literal onnxruntime, compare outputs.

    Returns {"layers", "elements", "exact", "max_abs_diff_lsb", "per_layer": [{op, elements, exact, max}]}."""
    values = run_graph(g, int8_inputs, keep=True)
    inferred = onnx.shape_inference.infer_shapes(model)
    extractor = onnx.utils.Extractor(inferred)
    total, rows = Agreement(), []
    n_images = next(iter(int8_inputs.values())).shape[0]
    for op in g.ops:
        ins = list(dict.fromkeys(t.name for t in g.activations(op)))
        out = op.outputs[0]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            sub = extractor.extract_model(ins, [out])
        sess = literal_session(sub)
        agree = Agreement()
        for i in range(n_images):
            feed = {n: to_onnx(values[n][i:i + 1], g.tensors[n]) for n in ins}
            (y,) = sess.run([out], feed)
            agree.add(values[out][i:i + 1], from_onnx(y, g.tensors[out]))
        rows.append({"op": op.name, "kind": op.kind.value, **asdict(agree)})
        total.elements += agree.elements
        total.exact += agree.exact
        total.max_abs_diff_lsb = max(total.max_abs_diff_lsb, agree.max_abs_diff_lsb)
    return {"layers": len(rows), **asdict(total), "per_layer": rows}
