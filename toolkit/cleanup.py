"""Graph clean-up before import: what exporters leave in a float model that an int8 engine should
never see (unfused BatchNormalization, Dropout and Identity, shapes and pads computed by
Shape/Gather/ConstantOfShape/Concat subgraphs on constants, opsets before 13).

The tool is onnxruntime's own pre-processing for quantization (`quant_pre_process`): shape
inference plus onnxruntime's offline graph optimization at the basic level, which folds constants,
removes redundant nodes and fuses Conv+BatchNormalization (also Conv+Add and Conv+Mul of
constants). Chosen over onnx-simplifier because onnxruntime is already the toolkit's reference
and quantizer, so the clean-up adds no dependency and is the step onnxruntime documents before
`quantize_static`; its result computes the same function (the test checks the outputs).

Only a float model that needs it is cleaned: one with an op the importer does not take as it is, a
BatchNormalization right after a conv, or a Dropout (a BatchNormalization with no conv before it stays
and runs as a per-channel table).
A model the importer takes as exported is left exactly as it is, so the samples' quantization and
every figure measured on them stay put. Quantized (QDQ) models are never rewritten: their
arithmetic is the user's."""
from __future__ import annotations

import logging
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import onnx
from onnx import numpy_helper, version_converter

from .errors import ToolkitError

MIN_OPSET = 13   # per-channel QDQ needs DequantizeLinear's `axis` (opset 13)
QDQ_OPS = {"QuantizeLinear", "DequantizeLinear"}


@dataclass
class Cleanup:
    model: onnx.ModelProto
    changed: bool = False
    removed: dict[str, int] = field(default_factory=dict)   # op type -> nodes gone (fused or folded)
    opset: tuple[int, int] | None = None                    # (from, to) when converted
    hard_swishes: int = 0                                   # x * clip(x + 3, 0, 6) / 6 fused into HardSwish

    def describe(self) -> str:
        if not self.changed:
            return "none needed"
        parts = [f"opset {self.opset[0]} -> {self.opset[1]}"] if self.opset else []
        parts += [f"{op} x{n}" for op, n in sorted(self.removed.items())]
        text = "onnxruntime basic optimization: " + (", ".join(parts) + " fused or folded away" if parts else
                                                     "no node changed")
        return text + (f"; {self.hard_swishes} hand-written hard swishes fused into HardSwish"
                       if self.hard_swishes else "")


def opset_of(model: onnx.ModelProto) -> int:
    return next((o.version for o in model.opset_import if o.domain in ("", "ai.onnx")), 0)


def is_quantized(model: onnx.ModelProto) -> bool:
    return any(n.op_type in QDQ_OPS for n in model.graph.node)


def upgrade_opset(model: onnx.ModelProto) -> onnx.ModelProto:
    """Opsets before 13 are converted to 13 (onnx.version_converter)."""
    opset = opset_of(model)
    if opset >= MIN_OPSET:
        return model
    try:
        return version_converter.convert_version(model, MIN_OPSET)
    except Exception as exc:
        raise ToolkitError(f"cannot convert the model from opset {opset} to {MIN_OPSET}: "
                           f"{str(exc).splitlines()[0]}") from None


def foldable(model: onnx.ModelProto) -> bool:
    """Ops the engine runs but should not have to: a BatchNormalization right after a conv folds into
    it (one requantization fewer), Dropout is the identity at inference. A BatchNormalization after
    anything else stays, so a cleaned model does not ask to be cleaned again."""
    producer = {o: n.op_type for n in model.graph.node for o in n.output}
    return any(n.op_type == "Dropout" or n.op_type == "BatchNormalization" and producer.get(n.input[0]) == "Conv"
               for n in model.graph.node)


def _hard_swishes(model: onnx.ModelProto) -> list[tuple[str, str, list[onnx.NodeProto]]]:
    """(x, output, nodes) of every hand-written hard swish, x * clip(x + 3, 0, 6) / 6 (or * 1/6) or
    x * HardSigmoid(x; alpha 1/6, beta 1/2), whose intermediate results nothing else reads."""
    g = model.graph
    consts = {i.name: numpy_helper.to_array(i) for i in g.initializer}
    producer = {o: n for n in g.node for o in n.output}
    readers = Counter([i for n in g.node for i in n.input] + [o.name for o in g.output])

    def scalar(name: str, value: float) -> bool:
        return name in consts and consts[name].size == 1 and abs(float(consts[name].ravel()[0]) - value) < 1e-6

    def only(name: str, op_type: str):
        n = producer.get(name)
        return n if n is not None and n.op_type == op_type and readers[name] == 1 else None

    def attr(n: onnx.NodeProto, name: str, default: float) -> float:
        return next((onnx.helper.get_attribute_value(a) for a in n.attribute if a.name == name), default)

    def hard_sigmoid_of(x: str, h: str):   # HardSwish's function body, as onnxruntime's optimizer inlines it
        hs = only(h, "HardSigmoid")
        ok = hs is not None and hs.input[0] == x and abs(attr(hs, "alpha", 0.2) - 1 / 6) < 1e-6 \
            and abs(attr(hs, "beta", 0.5) - 0.5) < 1e-6
        return hs if ok else None

    found = []
    for last in g.node:
        if last.op_type == "Mul":
            pairs = ((last.input[0], last.input[1]), (last.input[1], last.input[0]))
            hit = next(((x, hs) for x, h in pairs if (hs := hard_sigmoid_of(x, h)) is not None), None)
            if hit is not None:
                found.append((hit[0], last.output[0], [hit[1], last]))
                continue
        if not (last.op_type == "Div" and scalar(last.input[1], 6.0) or
                last.op_type == "Mul" and scalar(last.input[1], 1 / 6)):
            continue
        mul = only(last.input[0], "Mul")
        for x, c in ((mul.input[0], mul.input[1]), (mul.input[1], mul.input[0])) if mul else ():
            clip = only(c, "Clip")
            if clip is None or len(clip.input) < 3 or not (scalar(clip.input[1], 0.0) and scalar(clip.input[2], 6.0)):
                continue
            add = only(clip.input[0], "Add")
            if add is not None and x in add.input and scalar(add.input[1 - list(add.input).index(x)], 3.0):
                found.append((x, last.output[0], [add, clip, mul, last]))
                break
    return found


def fuse_hard_swish(model: onnx.ModelProto) -> tuple[onnx.ModelProto, int]:
    """Hand-written hard swishes (PaddlePaddle's exports write x * clip(x + 3, 0, 6) / 6) as one
    HardSwish (opset 14): one table instead of four quantized ops, so three requantizations fewer
    (on PaddleOCR's detector this is what keeps the int8 text map close to the float one). Neither
    onnxruntime's optimizer nor onnx-simplifier fuses this pattern."""
    if not _hard_swishes(model):
        return model, 0
    if opset_of(model) < 14:
        model = version_converter.convert_version(model, 14)
    found = _hard_swishes(model)
    gone = {id(n) for _, _, nodes in found for n in nodes}
    last = {id(nodes[-1]): (x, out) for x, out, nodes in found}
    kept = []
    for n in model.graph.node:
        if id(n) in last:
            x, out = last[id(n)]
            kept.append(onnx.helper.make_node("HardSwish", [x], [out], name=f"{n.name}/hard_swish"))
        elif id(n) not in gone:
            kept.append(n)
    del model.graph.node[:]
    model.graph.node.extend(kept)
    return model, len(found)


def clean(model: onnx.ModelProto, supported: set[str]) -> Cleanup:
    """The float model, cleaned when an op outside `supported` (the importer's) or a foldable one is in it.
    Cleaning a cleaned model changes nothing: a second pass would let onnxruntime's optimizer inline the
    fused HardSwish functions again."""
    if is_quantized(model) or (all(n.op_type in supported for n in model.graph.node) and not foldable(model)):
        return Cleanup(model)
    from onnxruntime.quantization.shape_inference import quant_pre_process

    from .importer import fix_batch

    before = Counter(n.op_type for n in model.graph.node)
    opset = opset_of(model)
    model = onnx.ModelProto.FromString(model.SerializeToString())
    fix_batch(model, {i.name for i in model.graph.initializer})   # batch 1: shapes fold to constants
    upgraded = upgrade_opset(model)
    logging.getLogger().setLevel(logging.ERROR)   # onnxruntime's hints at WARNING level
    with tempfile.TemporaryDirectory(prefix="toolkit-cleanup-") as tmp:
        out, src = Path(tmp) / "clean.onnx", Path(tmp) / "upgraded.onnx"
        onnx.save(upgraded, str(src))   # a path: quant_pre_process mishandles a ModelProto without external data
        try:
            try:
                quant_pre_process(str(src), out, skip_symbolic_shape=False, auto_merge=True)
            except Exception:
                # onnxruntime's symbolic shape inference asserts on some exports (a Concat on axis -1
                # in PaddleOCR's models); ONNX's own shape inference is enough once the batch is 1.
                quant_pre_process(str(src), out, skip_symbolic_shape=True)
            cleaned = onnx.load(str(out))
        except Exception as exc:
            raise ToolkitError(f"graph clean-up (onnxruntime's pre-processing) failed: "
                               f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else 'no message'}") from None
    cleaned, hard_swishes = fuse_hard_swish(cleaned)
    after = Counter(n.op_type for n in cleaned.graph.node)
    return Cleanup(cleaned, True, dict(before - after), (opset, opset_of(cleaned)) if opset_of(cleaned) != opset else None,
                   hard_swishes)
