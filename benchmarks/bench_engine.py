"""Host engine throughput: MACs per host instruction per layer type, measured with callgrind.

Builds a sample model with PlatformIO's host env (the generated model + executor + reference
kernels, -O2), runs one image under `valgrind --tool=callgrind`, and divides each kernel
function's inclusive instruction count (all calls) by the MACs of the ops that call it. Prints
figures; asserts nothing. Host x86-64 instructions are not Cortex-M7 cycles: the figures rank
kernels and follow regressions.

    python benchmarks/bench_engine.py [--model blazeface] [--split auto --patches 3]
"""
from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from toolkit import golden, zoo  # noqa: E402
from toolkit.codegen import generate  # noqa: E402
from toolkit.deploy import build_host, int8_model, make_plan, parse_grid, resolve  # noqa: E402
from toolkit.importer import load_graph  # noqa: E402
from toolkit.ir import OpKind, macs  # noqa: E402

KERNEL_OF = {OpKind.CONV: "eng_conv_s8", OpKind.DEPTHWISE: "eng_depthwise_s8", OpKind.FC: "eng_fc_s8",
             OpKind.ADD: "eng_add_s8", OpKind.MAXPOOL: "eng_maxpool_s8", OpKind.AVGPOOL: "eng_avgpool_s8",
             OpKind.PAD: "eng_pad_s8", OpKind.CONCAT: "eng_concat_s8", OpKind.RESHAPE: "eng_requant_s8",
             OpKind.CLAMP: "eng_requant_s8"}


def inclusive_ir(out_file: Path) -> dict[str, int]:
    """Inclusive instructions per function from callgrind_annotate."""
    text = subprocess.run(["callgrind_annotate", "--inclusive=yes", "--threshold=100", str(out_file)],
                          capture_output=True, text=True, check=True).stdout
    ir = {}
    for line in text.splitlines():
        m = re.match(r"\s*([\d,]+)\s+\([^)]*\)\s+\S*?:?(\w+)\s", line + " ")
        if m:
            ir.setdefault(m.group(2), int(m.group(1).replace(",", "")))
    return ir


def callgrind(program: Path, g, inputs, work: Path) -> Path:
    src = work / "inputs.bin"
    src.write_bytes(b"".join(inputs[n][0].tobytes() for n in g.inputs))
    out = work / "callgrind.out"
    subprocess.run(["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", str(program), str(src),
                    str(work / "outputs.bin"), "1"], capture_output=True, check=True)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default="blazeface")
    ap.add_argument("--split", default=None)
    ap.add_argument("--patches", default=None)
    args = ap.parse_args()
    path, sample = resolve(args.model)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        cached = sample.cache / (Path(sample.onnx_file).stem + ".int8.onnx")  # `toolkit quantize`'s default
        g = load_graph(cached if cached.exists() else int8_model(path, sample, None, work / "model.int8.onnx", 64))
        plan = make_plan(g, args.split, parse_grid(args.patches), None)
        generate(g, plan, work / "gen", path)
        program = build_host(work / "gen", work / "pio")
        pp, name = (sample.preprocess, sample.input_name)
        x = zoo.load_image_set(sample.test_dir(), pp, 1).inputs
        ir = inclusive_ir(callgrind(program, g, golden.quantize_inputs(g, {name: x}), work))
    per_kernel = defaultdict(int)
    for op, row in zip(g.ops, plan.layers):  # patch schedules: MACs with the halo recompute
        per_kernel[KERNEL_OF[op.kind]] += row["patch_macs"] if plan.split else macs(g, op)
    total = ir.get("eng_run", 0)
    print(f"{args.model}: split {plan.split} grid {plan.grid}; eng_run {total:,} host instructions for "
          f"{plan.patch_macs or plan.macs:,} MACs (incl. halo recompute)")
    print(f"{'kernel':20s} {'instructions':>14s} {'MACs':>12s} {'MACs/instr':>10s} {'share':>6s}")
    for fn in sorted(per_kernel, key=lambda f: -ir.get(f, 0)):
        n, m = ir.get(fn, 0), per_kernel[fn]
        ratio = f"{m / n:.3f}" if n and m else "-"
        print(f"{fn:20s} {n:14,d} {m:12,d} {ratio:>10s} {n / max(total, 1):6.1%}")
    kernels = sum(ir.get(f, 0) for f in per_kernel)
    print(f"{'executor + copies':20s} {total - kernels:14,d}")


if __name__ == "__main__":
    main()
