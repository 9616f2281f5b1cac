"""C engine kernels == toolkit/golden.py, element by element.

Every case goes through the real PlatformIO builds of firmware/tests/kernel_runner:
- host_kernel_tests: reference kernels (firmware/engine/kernels), host gcc;
- host_asan: the same under AddressSanitizer + UndefinedBehaviorSanitizer, no finding allowed;
- host_dsp_shim: the Cortex-M7 DSP kernels (kernels_dsp) with C stand-ins for the ACLE intrinsics;
- f746_offline: the DSP kernels built for cortex-m7 with -Wall -Werror (compile + link).
Cases: every op of real QDQ models (BlazeFace from models/blazeface, quantized here with
onnxruntime's quantize_static; a small CNN with the ops BlazeFace lacks: fc, global average pool),
fed with golden's own tensors for real and random inputs, plus seeded synthetic single ops with the
per-side pads / strides / dilations / patch shapes of patch execution (tests/kernel_vectors.py).
"""
from __future__ import annotations

import os
import subprocess
from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

import kernel_vectors as kv
from toolkit import golden
from toolkit.importer import load_graph
from toolkit.build import build
from toolkit.codegen import specialise
from toolkit.errors import ToolkitError
from toolkit.ir import OpKind

REPO = Path(__file__).resolve().parent.parent
RUNNER_ENVS = ("host_kernel_tests", "host_asan", "host_dsp_shim")


# Conv column lengths the runners' DSP kernels specialise (toolkit/codegen/specialise.py), as code
# generation would for a model with them: BlazeFace's 24-channel 1x1 convs and 5x5x3 stem, the synthetic
# 1x1 at 9 channels (a tail only) and 3x3 at 8. Every other length in the cases runs the generic loop,
# and cases with a fused activation run the generic loop whatever their length: both paths are checked.
SPECIALISED_COLUMNS = [9, 24, 72, 75]


def build_env(env_name: str, build_root: Path) -> Path:
    """One kernel-runner env built through the toolkit's PlatformIO driver, into a directory of its own,
    with the kernel specialisations of SPECIALISED_COLUMNS."""
    gen = build_root / f"{env_name}.gen"
    gen.mkdir(parents=True, exist_ok=True)
    specialise.write(SPECIALISED_COLUMNS, gen)
    try:
        return build(env_name, build_root / env_name, gen)
    except ToolkitError as exc:
        pytest.fail(str(exc))


@pytest.fixture(scope="module")
def runners(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("runners")
    return {e: build_env(e, root) for e in RUNNER_ENVS}


def run_vectors(program: Path, path: Path, *flags: str) -> str:
    env = dict(os.environ, ASAN_OPTIONS="detect_leaks=1:abort_on_error=0", UBSAN_OPTIONS="print_stacktrace=1")
    r = subprocess.run([str(program), str(path), *flags], capture_output=True, text=True, timeout=600, env=env)
    out = r.stdout + r.stderr
    assert r.returncode == 0 and "fail=0" in r.stdout, out[-4000:]
    assert "ERROR: AddressSanitizer" not in out and "runtime error" not in out, out[-4000:]
    return r.stdout


# The runner's two modes: dense maps, and (-s) the kernels that take views run on views, rows further
# apart than w * c with sentinels between them, as a patch tile's regions of wider buffers.
RUNNER_MODES = ((), ("-s",))


def check_all(runners, tmp_path, cases, name):
    path = kv.write_vectors(tmp_path / f"{name}.bin", cases)
    for env, program in runners.items():
        for flags in RUNNER_MODES:
            out = run_vectors(program, path, *flags)
            assert f"RESULT cases={len(cases)} pass={len(cases)} fail=0" in out, (env, flags, out[-2000:])


# --------------------------------------------------------------------------- models

def _quantize(float_path: Path, out_path: Path, input_name: str, shape, low, high, seed=0) -> Path:
    from onnxruntime.quantization import CalibrationDataReader, QuantFormat, QuantType, quantize_static

    rng = np.random.default_rng(seed)

    class Reader(CalibrationDataReader):
        def __init__(self):
            self.items = iter([{input_name: rng.uniform(low, high, shape).astype(np.float32)} for _ in range(4)])

        def get_next(self):
            return next(self.items, None)

    quantize_static(str(float_path), str(out_path), Reader(), quant_format=QuantFormat.QDQ, per_channel=True,
                    activation_type=QuantType.QInt8, weight_type=QuantType.QInt8,
                    extra_options={"ActivationSymmetric": False, "WeightSymmetric": True})
    return out_path


def _small_cnn(path: Path) -> Path:
    """Conv 3x3 s2 -> Relu -> depthwise 3x3 -> Relu -> MaxPool -> Conv 1x1 -> Add -> Concat -> Pad ->
    GlobalAveragePool -> Flatten -> Gemm: the ops BlazeFace lacks (fc, avgpool) plus the rest."""
    rng = np.random.default_rng(7)

    def init(name, shape, s=0.3):
        return numpy_helper.from_array((rng.standard_normal(shape) * s).astype(np.float32), name)

    inits = [init("w1", (8, 3, 3, 3)), init("b1", (8,), 0.1), init("w2", (8, 1, 3, 3)), init("b2", (8,), 0.1),
             init("w3", (8, 8, 1, 1)), init("b3", (8,), 0.1), init("wf", (10, 20)), init("bf", (10,), 0.1),
             numpy_helper.from_array(np.array([0, 2, 0, 0, 0, 2, 0, 0], np.int64), "pads"),
             numpy_helper.from_array(np.array([1, 20], np.int64), "shape")]
    nodes = [
        helper.make_node("Conv", ["x", "w1", "b1"], ["c1"], kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1]),
        helper.make_node("Relu", ["c1"], ["r1"]),
        helper.make_node("Conv", ["r1", "w2", "b2"], ["c2"], kernel_shape=[3, 3], group=8, pads=[1, 1, 1, 1]),
        helper.make_node("Relu", ["c2"], ["r2"]),
        helper.make_node("MaxPool", ["r2"], ["p"], kernel_shape=[2, 2], strides=[2, 2]),
        helper.make_node("Conv", ["p", "w3", "b3"], ["c3"], kernel_shape=[1, 1]),
        helper.make_node("Add", ["c3", "p"], ["a"]),
        helper.make_node("Concat", ["a", "p"], ["cat"], axis=1),
        helper.make_node("Pad", ["cat", "pads"], ["pad"], mode="constant"),
        helper.make_node("GlobalAveragePool", ["pad"], ["g"]),
        helper.make_node("Reshape", ["g", "shape"], ["flat"]),
        helper.make_node("Gemm", ["flat", "wf", "bf"], ["y"], transB=1),
    ]
    graph = helper.make_graph(nodes, "small_cnn", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 16, 16])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 10])], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], ir_version=8)
    onnx.save(model, str(path))
    return path


def _graph_inputs(g, rng, real: np.ndarray | None = None):
    name = g.inputs[0]
    t = g.tensors[name]
    if real is None:
        return {name: rng.integers(-128, 128, size=t.shape, dtype=np.int8)}
    return {name: golden.to_ir_layout(golden.quantize(real, t.scale, t.zero_point), t.layout)}


def _photo(shape) -> np.ndarray:
    """A real photo (skimage's astronaut), resized to NCHW float in [-1, 1]."""
    from PIL import Image
    from skimage import data

    _, c, h, w = shape
    img = np.asarray(Image.fromarray(data.astronaut()).resize((w, h), Image.BILINEAR), np.float32)
    return (img[None].transpose(0, 3, 1, 2)[:, :c] / 127.5 - 1.0).astype(np.float32)


@pytest.fixture(scope="module")
def blazeface(tmp_path_factory):
    src = REPO / "models" / "blazeface" / "model.onnx"
    if not src.is_file():
        pytest.skip("models/blazeface/model.onnx not built")
    out = tmp_path_factory.mktemp("bf") / "blazeface_qdq.onnx"
    name = onnx.load(str(src)).graph.input[0].name
    return load_graph(_quantize(src, out, name, (1, 3, 128, 128), -1.0, 1.0))


@pytest.fixture(scope="module")
def small_cnn(tmp_path_factory):
    d = tmp_path_factory.mktemp("cnn")
    return load_graph(_quantize(_small_cnn(d / "small.onnx"), d / "small_qdq.onnx", "x", (1, 3, 16, 16), -1.0, 1.0))


# --------------------------------------------------------------------------- tests

def test_synthetic_single_ops(runners, tmp_path):
    cases = kv.synthetic_cases(seed=1234)
    assert {c.op for c in cases} == set(kv.OP_CODES)
    check_all(runners, tmp_path, cases, "synthetic")


def test_blazeface_every_op_real_and_random_input(runners, blazeface, tmp_path):
    g = blazeface
    cases = real_and_random_cases(g)
    kinds = {op.kind for op in g.ops}
    assert {OpKind.CONV, OpKind.DEPTHWISE, OpKind.ADD, OpKind.MAXPOOL, OpKind.PAD} <= kinds
    check_all(runners, tmp_path, cases, "blazeface")


def test_blazeface_patches_of_real_layers(runners, blazeface, tmp_path):
    """Tiles of BlazeFace's conv/depthwise/maxpool layers with padding only at the image borders."""
    g = blazeface
    values = golden.run_graph(g, _graph_inputs(g, np.random.default_rng(5)), keep=True)
    cases = kv.tile_cases(g, values)
    assert sum(c.op != "depthwise_inplace" for c in cases) >= 10
    check_all(runners, tmp_path, cases, "patches")


def test_small_cnn_every_op(runners, small_cnn, tmp_path):
    g = small_cnn
    assert {OpKind.FC, OpKind.AVGPOOL, OpKind.CONCAT, OpKind.PAD, OpKind.RESHAPE} <= {op.kind for op in g.ops}
    check_all(runners, tmp_path, small_cnn_cases(g), "small_cnn")


def real_and_random_cases(g) -> list:
    """Every op of a graph, fed from a real photo and from a seeded random input (host and QEMU)."""
    rng = np.random.default_rng(3)
    _, h, w, c = g.tensors[g.inputs[0]].shape  # IR NHWC
    cases = kv.cases_from_graph(g, _graph_inputs(g, rng, _photo((1, c, h, w))))
    return cases + kv.cases_from_graph(g, _graph_inputs(g, rng))


def small_cnn_cases(g) -> list:
    """Every op of the small CNN, for a real photo and two seeded random inputs (host and QEMU)."""
    rng = np.random.default_rng(11)
    cases = []
    for i in range(3):
        cases += kv.cases_from_graph(g, _graph_inputs(g, rng, _photo((1, 3, 16, 16)) if i == 0 else None))
    return cases


def test_runner_reports_a_wrong_expected_value(runners, tmp_path):
    """The harness itself: a flipped expected element must fail the case (no vacuous pass)."""
    cases = kv.synthetic_cases(seed=99)[:3]
    cases[1].arrays[-1] = cases[1].arrays[-1].copy()
    cases[1].arrays[-1][0] ^= 1
    path = kv.write_vectors(tmp_path / "bad.bin", cases)
    r = subprocess.run([str(runners["host_kernel_tests"]), str(path)], capture_output=True, text=True)
    assert r.returncode == 1 and "FAIL case 1" in r.stdout and "fail=1" in r.stdout, r.stdout


def test_f746_dsp_kernels_build_for_cortex_m7(tmp_path):
    elf = build_env("f746_offline", tmp_path)
    objs = elf.parent / "src" / "engine" / "kernels_dsp"
    assert sorted(p.name for p in objs.glob("*.o")) == ["conv.o", "depthwise.o", "depthwise_inplace.o", "fc.o",
                                                               "maxpool.o"]


@pytest.mark.parametrize("src", sorted((REPO / "firmware" / "engine").glob("kernels*/*.c")), ids=lambda p: p.name)
def test_kernel_compiles_warning_clean(src):
    """Each kernel file alone: -std=c99 -Wall -Wextra -Werror -ffp-contract=off (+ -Wconversion on host)."""
    inc = ["-I", str(REPO / "firmware/engine/include"), "-I", str(REPO / "firmware/engine/kernels")]
    flags = ["-std=c99", "-O2", "-Wall", "-Wextra", "-Werror", "-ffp-contract=off", "-c", "-o", os.devnull]
    if src.parent.name == "kernels_dsp":
        cmd = ["arm-none-eabi-gcc", "-mcpu=cortex-m7", "-mthumb", "-mfpu=fpv5-sp-d16", "-mfloat-abi=hard"]
    else:
        cmd = ["gcc", "-Wconversion", "-Wno-sign-conversion"]
    r = subprocess.run(cmd + flags + inc + [str(src)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
