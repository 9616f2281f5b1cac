"""Golden model: a numpy integer interpreter of the int8 Graph, the bit-exact reference for the C engine.

Each op's kernel is its OpSpec's `golden` (toolkit/ops/); the arithmetic they share is toolkit/qmath.py
(see docs/arithmetic.md). All arrays are NHWC (IR layout) with a leading batch dimension N >= 1.
"""
from __future__ import annotations

import numpy as np

from .errors import ToolkitError
from .ir import Graph, Op, to_ir_layout
from .ops import spec
from .qmath import dequantize, quantize

__all__ = ["run_op", "run_graph", "check_quantized", "quantize_inputs", "quantize", "dequantize"]


def run_op(g: Graph, op: Op, values: dict[str, np.ndarray]) -> np.ndarray:
    acts = [values[n] for n in op.inputs if not g.tensors[n].is_const]
    return spec(op.kind).golden(g, op, *acts)


def check_quantized(g: Graph) -> None:
    if not g.float_inputs:
        raise ToolkitError(f"graph '{g.name}' is not quantized; run `toolkit quantize` first")


def run_graph(g: Graph, inputs: dict[str, np.ndarray], keep: bool = False) -> dict[str, np.ndarray]:
    """Run the int8 graph per layer. inputs: graph input name -> int8 NHWC [N, ...].

    Returns the graph outputs, or every tensor when keep=True (for op-by-op conformance)."""
    check_quantized(g)
    values = dict(inputs)
    remaining = {n: len(g.consumers(n)) for n in g.tensors}
    for op in g.ops:
        values[op.outputs[0]] = run_op(g, op, values)
        if not keep:
            for n in op.inputs:
                remaining[n] -= 1
                if remaining[n] == 0 and n not in g.outputs:
                    values.pop(n, None)
    return values if keep else {n: values[n] for n in g.outputs}


def quantize_inputs(g: Graph, float_inputs: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Float NCHW model inputs (keyed by ONNX input name) -> int8 IR inputs, as the host sends them."""
    out = {}
    for name, onnx_name in g.float_inputs.items():
        t = g.tensors[name]
        out[name] = to_ir_layout(quantize(float_inputs[onnx_name], t.scale, t.zero_point), t.layout)
    return out
