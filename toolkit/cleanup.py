"""Graph clean-up before import: what exporters leave in a float model that an int8 engine should
never see (unfused BatchNormalization, Dropout and Identity, shapes and pads computed by
Shape/Gather/ConstantOfShape/Concat subgraphs on constants, opsets before 13).

The tool is onnxruntime's own pre-processing for quantization (`quant_pre_process`): shape
inference plus onnxruntime's offline graph optimization at the basic level, which folds constants,
removes redundant nodes and fuses Conv+BatchNormalization (also Conv+Add and Conv+Mul of
constants). Chosen over onnx-simplifier because onnxruntime is already the toolkit's reference
and quantizer, so the clean-up adds no dependency and is the step onnxruntime documents before
`quantize_static`; its result computes the same function (the test checks the outputs).

Only a float model that needs it is cleaned: one with an op the importer does not take as it is, or a
BatchNormalization or Dropout (a BatchNormalization the clean-up cannot fuse, with no conv before it,
stays and runs as a per-channel table).
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
from onnx import version_converter

from .errors import ToolkitError

MIN_OPSET = 13   # per-channel QDQ needs DequantizeLinear's `axis` (opset 13)
QDQ_OPS = {"QuantizeLinear", "DequantizeLinear"}


@dataclass
class Cleanup:
    model: onnx.ModelProto
    changed: bool = False
    removed: dict[str, int] = field(default_factory=dict)   # op type -> nodes gone (fused or folded)
    opset: tuple[int, int] | None = None                    # (from, to) when converted

    def describe(self) -> str:
        if not self.changed:
            return "none needed"
        parts = [f"opset {self.opset[0]} -> {self.opset[1]}"] if self.opset else []
        parts += [f"{op} x{n}" for op, n in sorted(self.removed.items())]
        return "onnxruntime basic optimization: " + (", ".join(parts) + " fused or folded away" if parts else
                                                     "no node changed")


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


# Ops the engine runs but should not have to: a BatchNormalization after a conv folds into it (one
# requantization fewer, fewer ops), Dropout is the identity at inference.
FOLDABLE = {"BatchNormalization", "Dropout"}


def clean(model: onnx.ModelProto, supported: set[str]) -> Cleanup:
    """The float model, cleaned when an op outside `supported` (the importer's) or a foldable one is in it."""
    if is_quantized(model) or all(n.op_type in supported - FOLDABLE for n in model.graph.node):
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
    after = Counter(n.op_type for n in cleaned.graph.node)
    return Cleanup(cleaned, True, dict(before - after), (opset, opset_of(cleaned)) if opset < MIN_OPSET else None)
