"""Host engine throughput: MACs per host instruction per layer type, measured with callgrind.

Builds a sample model with PlatformIO's host env (the generated model + executor + reference
kernels, -O2) with -DENG_CALLGRIND_PER_OP (the host runner then asks callgrind for one dump per
op run), runs one image under `valgrind --tool=callgrind`, and divides each layer type's
instructions (kernel + its executor call, all ops of that type) by their MACs. Prints
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
from toolkit.build import build  # noqa: E402
from toolkit.firmware import int8_model, make_plan  # noqa: E402
from toolkit.modelarg import parse_grid, resolve_model  # noqa: E402
from toolkit.importer import load_graph  # noqa: E402
from toolkit.ir import OpKind, macs  # noqa: E402

def layer_type(g, op) -> str:
    a = op.attrs
    if op.kind in (OpKind.CONV, OpKind.DEPTHWISE):
        return f"{op.kind.value} {a.kernel[0]}x{a.kernel[1]}" + (f" s{a.stride[0]}" if a.stride[0] > 1 else "")
    return op.kind.value


def per_op_ir(program: Path, g, inputs, work: Path) -> dict[str, int]:
    """Instructions per op name (summed over tiles): one callgrind dump per op run."""
    src = work / "inputs.bin"
    src.write_bytes(b"".join(inputs[n][0].tobytes() for n in g.inputs))
    base = work / "cg" / "callgrind.out"
    base.parent.mkdir()
    subprocess.run(["valgrind", "--tool=callgrind", f"--callgrind-out-file={base}", str(program), str(src),
                    str(work / "outputs.bin"), "1"], capture_output=True, check=True)
    ir: dict[str, int] = defaultdict(int)
    for dump in base.parent.iterdir():
        text = dump.read_text(errors="replace")
        trigger = re.search(r"^desc: Trigger: Client Request: (.*)$", text, re.M)
        total = re.search(r"^(?:summary|totals): (\d+)", text, re.M)
        if trigger and total:
            ir[trigger.group(1).strip()] += int(total.group(1))
    return ir


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default="blazeface")
    ap.add_argument("--split", default=None)
    ap.add_argument("--patches", default=None)
    args = ap.parse_args()
    path, sample = resolve_model(args.model)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        cached = sample.int8_path  # `toolkit quantize`'s default
        g = load_graph(cached if cached.exists() else int8_model(path, sample, None, work / "model.int8.onnx", 64))
        plan = make_plan(g, args.split, parse_grid(args.patches), None)
        generate(g, plan, work / "gen", path)
        program = build("host", work / "pio", work / "gen", extra_flags="-DENG_CALLGRIND_PER_OP")
        x = zoo.load_image_set(sample.test_dir(), sample.preprocess, 1).inputs
        ir = per_op_ir(program, g, golden.quantize_inputs(g, {sample.input_name: x}), work)
    rows: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])  # instructions, MACs, ops
    for op, row in zip(g.ops, plan.layers):  # patch schedules: MACs with the halo recompute
        r = rows[layer_type(g, op)]
        r[0] += ir.get(op.name, 0)
        r[1] += row["patch_macs"] if plan.split else macs(g, op)
        r[2] += 1
    total = sum(r[0] for r in rows.values())
    print(f"{args.model}: split {plan.split} grid {plan.grid}; {total:,} host instructions in kernels and "
          f"their executor calls, {plan.patch_macs or plan.macs:,} MACs (incl. halo recompute), one image")
    print(f"{'layer type':20s} {'ops':>4s} {'instructions':>14s} {'MACs':>12s} {'MACs/instr':>10s} {'share':>6s}")
    for kind, (n, m, count) in sorted(rows.items(), key=lambda kv: -kv[1][0]):
        ratio = f"{m / n:.3f}" if n and m else "-"
        print(f"{kind:20s} {count:4d} {n:14,d} {m:12,d} {ratio:>10s} {n / max(total, 1):6.1%}")


if __name__ == "__main__":
    main()
