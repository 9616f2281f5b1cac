"""Ops defined once: one module per op (or family of ops sharing a kernel), each giving an OpSpec
(toolkit/ops/spec.py) with its ONNX converter, golden kernel, planner rules and C data packer.
Adding an op is one module here, one registration below, one C kernel file and one executor case;
tests/test_op_coverage.py checks every registered kind against every stage."""
from __future__ import annotations

from toolkit.ir import OpKind
from toolkit.ops import arith, concat, conv, conv_avgpool, conv_transpose, fc, lut, pad, pool, requant, resize, slicing, softmax
from toolkit.ops.spec import InPlace, OpSpec, Window

SPECS: dict[OpKind, OpSpec] = {s.kind: s for s in (
    conv.CONV, conv.DEPTHWISE, conv_avgpool.CONV_AVGPOOL, conv_transpose.CONV_TRANSPOSE, fc.FC, arith.ADD, arith.MUL,
    pool.MAXPOOL, pool.AVGPOOL, pool.AVGPOOL2D, pad.PAD, concat.CONCAT, requant.RESHAPE, requant.TRANSPOSE, requant.CLAMP,
    lut.LUT, resize.RESIZE, slicing.SLICE, softmax.SOFTMAX)}

# ONNX op type -> converter; QDQ, Constant and Identity nodes are handled by the importer itself.
CONVERTERS = {op_type: convert for s in SPECS.values() for op_type, convert in s.onnx.items()}


def spec(kind: OpKind) -> OpSpec:
    return SPECS[kind]


__all__ = ["SPECS", "CONVERTERS", "InPlace", "OpSpec", "Window", "spec"]
