"""What the CLI's MODEL and --patches arguments mean, shared by every command."""
from __future__ import annotations

import dataclasses
from pathlib import Path

from . import zoo
from .errors import ToolkitError
from .ir import Graph


def resolve_model(model: str) -> tuple[Path, zoo.SampleModel | None]:
    """A sample name (e.g. `blazeface`) or a path to an ONNX file; the sample it belongs to, if any."""
    if model in zoo.SAMPLES:
        sample = zoo.SAMPLES[model]
        return sample.onnx_path(), sample
    path = Path(model)
    if not path.exists():
        raise ToolkitError(f"model not found: {model} (give an ONNX file or one of the samples: "
                           f"{', '.join(zoo.SAMPLES)})")
    return path, zoo.find_sample(path)


BUILD_MODELS = Path(__file__).resolve().parent.parent / "build" / "models"
LAYOUTS = ("auto", "nchw", "nhwc")
NHWC_TO_NCHW = [0, 3, 1, 2]


def image_input(m):
    """The model's image input: its first input that is not an initializer."""
    consts = {i.name for i in m.graph.initializer}
    return next(i for i in m.graph.input if i.name not in consts)


def nchw_input(model: str, layout: str, say=print) -> str:
    """--input-layout: an NHWC image input (TF models as tf2onnx exports them: the input goes through
    a Transpose to NCHW before the first conv) becomes NCHW in a copy under build/models/nchw/, with
    those Transposes gone. The function is the same (the Transpose moves to the host, where images
    become arrays anyway), and every stage after (calibration, onnxruntime reference, preprocessing,
    the engine's NHWC input) then sees the input as it sees the samples'. `auto` (the default) does
    this when every reader of the input is such a Transpose, the only way an ONNX CNN reads NHWC
    images (ONNX's Conv is NCHW); `nhwc` insists (and says what else reads it); `nchw` never does."""
    import onnx

    from .importer import read_model

    if layout == "nchw":
        return model
    path, sample = resolve_model(model)
    if sample is not None and layout == "auto":   # the samples are NCHW: no need to read them here
        return model
    m = read_model(path)
    image = image_input(m)
    readers = [n for n in m.graph.node if image.name in n.input]
    to_nchw = [n for n in readers if n.op_type == "Transpose" and
               [list(a.ints) for a in n.attribute if a.name == "perm"] == [NHWC_TO_NCHW]]
    dims = image.type.tensor_type.shape.dim
    if layout == "auto" and (not readers or len(to_nchw) < len(readers) or len(dims) != 4):
        return model
    if len(dims) != 4:
        raise ToolkitError(f"--input-layout nhwc: input '{image.name}' has rank {len(dims)}, not 4 (N,H,W,C)")
    other = next((n for n in readers if n not in to_nchw), None)
    if other is not None:
        raise ToolkitError(f"--input-layout nhwc: input '{image.name}' is read by {other.op_type} '{other.name}'; "
                           f"an NHWC input must go through a Transpose to NCHW (perm 0,3,1,2) before anything "
                           f"else, as TF exporters write it")
    nhwc = [onnx.TensorShapeProto.Dimension() for _ in dims]
    for kept, d in zip(nhwc, dims):
        kept.CopyFrom(d)
    for d, i in zip(dims, NHWC_TO_NCHW):
        d.CopyFrom(nhwc[i])
    gone = {t.output[0] for t in to_nchw}
    for t in to_nchw:
        m.graph.node.remove(t)
    for node in m.graph.node:
        for i, name in enumerate(node.input):
            if name in gone:
                node.input[i] = image.name
    for vi in [v for v in m.graph.value_info if v.name in gone]:
        m.graph.value_info.remove(vi)
    out = BUILD_MODELS / "nchw" / path.name
    out.parent.mkdir(parents=True, exist_ok=True)
    onnx.save(m, str(out))
    say(f"input '{image.name}' is NHWC, read through {', '.join(t.name for t in to_nchw)}: running an NCHW copy, "
        f"{out.relative_to(BUILD_MODELS.parent.parent)}")
    return str(out)


def pin_input_shape(model: str, shape: str) -> str:
    """--input-shape: a copy of the model whose image input has this fixed shape ('1,3,48,192', or
    'C,H,W' with batch 1), written under build/models/; the path of that copy. The shape is NCHW
    whatever the layout of the model's file: an NHWC input was made NCHW first (nchw_input)."""
    import onnx

    from .importer import read_model

    try:
        dims = [int(v) for v in shape.replace("x", ",").split(",")]
    except ValueError:
        raise ToolkitError(f"--input-shape takes N,C,H,W or C,H,W, not {shape!r}") from None
    dims = [1] + dims if len(dims) == 3 else dims
    if len(dims) != 4 or dims[0] != 1 or min(dims) < 1:
        raise ToolkitError(f"--input-shape takes 1,C,H,W or C,H,W with positive sizes, not {shape!r}")
    path, _ = resolve_model(model)
    m = read_model(path)
    image = image_input(m)
    have = image.type.tensor_type.shape.dim
    if len(have) != 4:
        raise ToolkitError(f"input '{image.name}' has rank {len(have)}; --input-shape sets a 4-D NCHW input")
    for d, v in zip(have, dims):
        if d.HasField("dim_value") and d.dim_value not in (v, 0, -1):
            raise ToolkitError(f"--input-shape {shape}: input '{image.name}' has a fixed size {d.dim_value} "
                               f"where {v} was asked")
        d.Clear()
        d.dim_value = v
    out = BUILD_MODELS / f"{path.stem}.{'x'.join(map(str, dims))}.onnx"
    out.parent.mkdir(parents=True, exist_ok=True)
    onnx.save(m, str(out))
    return str(out)


def preprocess_for(g: Graph, sample: zoo.SampleModel | None, mean: str | None = None, std: str | None = None,
                   bgr: bool = False, resize: str | None = None) -> tuple[zoo.Preprocess, str]:
    """(preprocessing, ONNX input name): the sample's card, or for a user's model: resize to the
    input size, RGB, x = (pixel / 255 - mean) / std with mean 0 and std 1 (pixels in [0, 1]) unless
    --mean/--std/--bgr/--resize say otherwise (they override a sample's card too)."""
    name = g.inputs[0]
    _, h, w, c = g.tensors[name].shape
    pp = sample.preprocess if sample is not None else zoo.Preprocess(h, w, c, (0.0,) * c, (1.0,) * c)
    pp = dataclasses.replace(pp, mean=_per_channel(mean, c, "--mean") or pp.mean,
                             std=_per_channel(std, c, "--std") or pp.std, bgr=bgr or pp.bgr,
                             resize=resize or pp.resize)
    return pp, sample.input_name if sample is not None else g.float_inputs.get(name, name)


def _per_channel(text: str | None, channels: int, option: str) -> tuple[float, ...] | None:
    """'0.5' or '0.485,0.456,0.406' -> one value per channel."""
    if text is None:
        return None
    try:
        values = tuple(float(v) for v in text.split(","))
    except ValueError:
        raise ToolkitError(f"{option} takes one number or one per channel, comma-separated, not {text!r}") from None
    if len(values) == 1:
        values *= channels
    if len(values) != channels or (option == "--std" and 0.0 in values):
        raise ToolkitError(f"{option} needs 1 or {channels} values{' (none zero)' if option == '--std' else ''}, "
                           f"got {text!r}")
    return values


def parse_grid(text: str | None):
    """--patches: 'auto', 'N' (N x N) or 'RxC'."""
    if text is None or text == "auto":
        return text
    try:
        if "x" in text.lower():
            rows, cols = text.lower().split("x")
            return (int(rows), int(cols))
        return int(text)
    except ValueError:
        raise ToolkitError(f"--patches takes N, RxC or auto, not {text!r}") from None
