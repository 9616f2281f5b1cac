"""ONNX (float, or QDQ int8 as quantize_static writes it) -> Graph. The only module that parses ONNX.

QDQ handling: a DequantizeLinear is looked through to its int8 source; a compute node's float
output that feeds exactly one QuantizeLinear becomes that QuantizeLinear's int8 tensor. So a
quantized Graph has int8 activations whose names are the ONNX int8 tensor names, which lets the
conformance check cut the same op out of the ONNX model.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
from onnx import numpy_helper

from .errors import ToolkitError, UnsupportedModelError
from .ir import DType, Graph, Layout, Tensor
from .ops import CONVERTERS
from .ops.conv_avgpool import fuse as fuse_conv_avgpool
from .ops.convert import Context, Quant
from .qmath import quantize

SUPPORTED_OPS = sorted(CONVERTERS) + ["QuantizeLinear", "DequantizeLinear", "Constant", "Identity"]


def read_model(path: str | Path) -> onnx.ModelProto:
    """Load an ONNX file with a one-line error for missing, truncated or corrupt files."""
    path = Path(path)
    if not path.is_file():
        raise ToolkitError(f"model file not found: {path}")
    try:
        model = onnx.load(str(path))
    except Exception as exc:  # protobuf DecodeError and friends
        raise ToolkitError(f"{path}: not a readable ONNX model (truncated or corrupt file): "
                           f"{type(exc).__name__}") from None
    if not model.graph.node:
        raise ToolkitError(f"{path}: not a readable ONNX model (no graph nodes; truncated or corrupt file?)")
    return model


def fix_batch(model: onnx.ModelProto, consts: set[str]) -> None:
    """Check the image input is [N, C, H, W] and pin a symbolic batch to 1 (microcontrollers run batch 1)."""
    for inp in model.graph.input:
        if inp.name in consts:
            continue
        dims = inp.type.tensor_type.shape.dim
        shape = [d.dim_value if d.HasField("dim_value") else d.dim_param or "?" for d in dims]
        if len(dims) != 4:
            raise UnsupportedModelError(
                f"input '{inp.name}' has rank {len(dims)} (shape {shape}); the toolkit needs a 4-D NCHW "
                f"image input [1, C, H, W]")
        if not dims[0].HasField("dim_value") or dims[0].dim_value != 1:
            dims[0].Clear()
            dims[0].dim_value = 1
        if any(not d.HasField("dim_value") or d.dim_value <= 0 for d in dims[1:]):
            raise UnsupportedModelError(f"input '{inp.name}' has a dynamic shape {shape}; give the shape to run it "
                                        f"at with --input-shape 1,C,H,W")


def _collect(ctx: Context) -> None:
    g = ctx.model.graph
    for init in g.initializer:
        ctx.consts[init.name] = numpy_helper.to_array(init)
    for node in g.node:
        if node.op_type == "Constant":
            ctx.consts[node.output[0]] = numpy_helper.to_array(ctx.attr(node, "value"))
        for name in node.input:
            ctx.users.setdefault(name, []).append(node)
    for out in g.output:
        ctx.users.setdefault(out.name, []).append(None)
    for vi in list(g.value_info) + list(g.input) + list(g.output):
        tt = vi.type.tensor_type
        if tt.HasField("shape") and all(d.HasField("dim_value") for d in tt.shape.dim):
            ctx.shapes[vi.name] = tuple(d.dim_value for d in tt.shape.dim)
    for name, value in ctx.consts.items():
        ctx.shapes[name] = tuple(value.shape)
    for node in g.node:
        if node.op_type == "QuantizeLinear":
            scale, zp, uint8 = _quant_params(ctx, node, None)
            ctx.quant[node.output[0]] = Quant(node.output[0], scale, zp, uint8=uint8)
            ctx.quant_of[node.input[0]] = node.output[0]


def _quant_params(ctx: Context, node: onnx.NodeProto, source_uint8: bool | None
                  ) -> tuple[np.ndarray, np.ndarray, bool]:
    """(scale, zero point as for int8, uint8?) of a Quantize/DequantizeLinear. uint8 quantization
    (other tools' default: activations with zero point 128) is taken exactly as int8 minus 128: the
    same reals, the same rounding, the same saturation. `source_uint8`: whether a DequantizeLinear's
    input is uint8 (None for a QuantizeLinear, whose type its zero point gives, uint8 without one)."""
    scale = np.asarray(ctx.const(node.input[1], node), dtype=np.float32)
    zp = ctx.consts.get(node.input[2]) if len(node.input) > 2 and node.input[2] else None
    if zp is not None and zp.dtype not in (np.int8, np.uint8, np.int32):
        raise UnsupportedModelError(f"node '{node.name}' ({node.op_type}): only 8-bit quantization is "
                                    f"supported, zero point is {zp.dtype}")
    uint8 = zp.dtype == np.uint8 if zp is not None else (source_uint8 if source_uint8 is not None else True)
    zp = np.zeros(scale.shape, np.int32) if zp is None else zp.astype(np.int32)
    return scale, zp - 128 if uint8 else zp, bool(uint8)


def import_model(path: str | Path):
    """An ONNX model (float or QDQ int8) as the toolkit's Graph, and what the clean-up did to it: a
    float model with ops the converters do not take is cleaned first (toolkit/cleanup.py)."""
    from .cleanup import clean
    cleaned = clean(read_model(path), set(SUPPORTED_OPS))
    return graph_from_model(cleaned.model, Path(path).stem), cleaned


def load_graph(path: str | Path) -> Graph:
    """Import an ONNX model (float or QDQ int8) into the toolkit's Graph."""
    return import_model(path)[0]


def graph_from_model(model: onnx.ModelProto, name: str) -> Graph:
    model = onnx.ModelProto.FromString(model.SerializeToString())
    fix_batch(model, {i.name for i in model.graph.initializer})
    try:
        model = onnx.shape_inference.infer_shapes(model, strict_mode=True)
    except Exception as exc:
        raise UnsupportedModelError(f"shape inference failed: {str(exc).splitlines()[0]}") from None
    taken = {n.name for n in model.graph.node}
    for i, node in enumerate(model.graph.node):   # ops are keyed by name in plans and tables
        if not node.name:
            node.name = next(c for c in (f"{node.op_type}_{i}", f"{node.op_type}_{i}_{node.output[0]}") if c not in taken)
            taken.add(node.name)
    ctx = Context(model, Graph(name))
    _collect(ctx)
    g = ctx.graph
    for inp in model.graph.input:
        if inp.name not in ctx.consts:
            shape = ctx.ir_shape(inp.name, Layout.SPATIAL)
            g.tensors[inp.name] = Tensor(inp.name, shape, DType.FLOAT32, Layout.SPATIAL, onnx_name=inp.name)
            g.inputs.append(inp.name)

    for node in model.graph.node:
        if node.op_type == "Constant":
            continue
        if node.op_type == "DequantizeLinear":
            src = node.input[0]
            const = ctx.consts.get(src)
            if const is not None and const.dtype not in (np.int8, np.uint8, np.int32):
                raise UnsupportedModelError(f"node '{node.name}': only 8-bit weights and int32 biases "
                                            f"are supported, got {const.dtype}")
            uint8 = const.dtype == np.uint8 if const is not None else \
                (ctx.quant[src].uint8 if src in ctx.quant else None)
            scale, zp, uint8 = _quant_params(ctx, node, uint8)
            if const is not None and const.dtype == np.uint8:   # once per constant, however many read it
                ctx.consts[src] = (const.astype(np.int16) - 128).astype(np.int8)
            ctx.dequant[node.output[0]] = Quant(src, scale, zp, ctx.attr(node, "axis", 1), uint8)
            continue
        if node.op_type == "QuantizeLinear":
            q = ctx.quant[node.output[0]]
            scale, zp = q.scale, q.zero_point
            src = node.input[0]
            if src in ctx.consts:  # a constant quantized at run time (a Constant node): fold it
                ctx.consts[node.output[0]] = quantize(ctx.consts[src], scale, zp)
                ctx.shapes[node.output[0]] = ctx.consts[node.output[0]].shape
            elif src in g.inputs:  # quantization of the float image: happens on the host
                t = g.tensors.pop(src)
                g.inputs[g.inputs.index(src)] = node.output[0]
                g.tensors[node.output[0]] = Tensor(node.output[0], t.shape, DType.INT8, t.layout, scale, zp,
                                                   onnx_name=node.output[0], onnx_uint8=q.uint8)
                g.float_inputs[node.output[0]] = src
            elif node.output[0] not in g.tensors:
                raise UnsupportedModelError(f"node '{node.name}' (QuantizeLinear): quantizes '{src}', "
                                            f"which is not the output of a supported op")
            continue
        if node.op_type == "Identity":
            ctx.dequant[node.output[0]] = ctx.dequant.get(node.input[0]) or Quant(node.input[0], None, None)
            continue
        convert = CONVERTERS.get(node.op_type)
        if convert is None:
            raise UnsupportedModelError(
                f"unsupported op '{node.op_type}' (node '{node.name or node.output[0]}'); supported ops: "
                f"{', '.join(SUPPORTED_OPS)}")
        made = convert(ctx, node)
        g.ops.extend(made if isinstance(made, list) else [made])   # Split: one op per output

    for out in model.graph.output:
        q = ctx.dequant.get(out.name)
        if q is not None and q.scale is not None:
            g.outputs.append(q.source)
            g.float_outputs[q.source] = out.name
        elif out.name in g.tensors:
            g.outputs.append(out.name)
        else:
            raise UnsupportedModelError(f"output '{out.name}' is not produced by a supported op")
    _check_quantized_consistently(g)
    return fuse_conv_avgpool(g)


def _check_quantized_consistently(g: Graph) -> None:
    """A quantized graph must be int8 from input to output: a float op in the middle cannot run on the MCU."""
    if not g.float_inputs:
        return
    for op in g.ops:
        for name in op.outputs:
            if g.tensors[name].dtype != DType.INT8:
                raise UnsupportedModelError(
                    f"node '{op.onnx_node}' ({op.kind.value}): output '{name}' is not quantized; "
                    f"a QDQ model must quantize every op output (re-run `toolkit quantize`)")
