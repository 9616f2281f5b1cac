"""Whole-model speed on the emulated Cortex-M7, next to TensorFlow Lite Micro with CMSIS-NN.

Deploys each model with `toolkit deploy` on the emulated board (QEMU mps2-an500, exact emulated
instruction counts from -icount: instructions, NOT Cortex-M7 cycles) on one test image, and prints
per op type and per op: instructions, share, MACs per instruction and instructions per output
element, with TFLM + CMSIS-NN's figures for BlazeFace quoted from the performance issue (measured
under the same emulator with arm-none-eabi-gcc 12.2 and TFLM's default flags; not re-measured here)
and the ratio. No asserts: the figures are printed.

- BlazeFace per layer: on the emulated NUCLEO-H743ZI2, whose 512 KB arena region holds the
  per-layer plan (the F746's 320 KB does not; TFLM was measured with the emulator's full RAM). The
  same QEMU Cortex-M7 and the same firmware code: the instruction count does not depend on the
  memory map.
- BlazeFace with the plan `toolkit deploy --board nucleo-f746zg --emulate` picks (patches).
- fashion_cnn per layer on the emulated F746.
- MobileNetV2's weights (3.5 MB) fit no board's flash: its layer types run as kernels under QEMU
  (benchmarks/bench_kernels_qemu.py).

    .venv/bin/python benchmarks/bench_deploy_qemu.py [--model blazeface] [--skip-kernels]
"""
from __future__ import annotations

import argparse
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
from toolkit.deploy import deploy  # noqa: E402
from toolkit.errors import ToolkitError  # noqa: E402
from toolkit.firmware import prepare_model  # noqa: E402
from toolkit.ir import macs  # noqa: E402

# TFLM + CMSIS-NN, BlazeFace 128x128 int8, per layer, QEMU mps2-an500 -icount shift=6 (quoted).
TFLM_TOTAL = 141_833_792
TFLM_BY_KIND = {  # our op kind -> (TFLite op, count, instructions)
    "conv": ("CONV_2D", 21, 70_964_026),
    "add": ("ADD (fused ReLU)", 16, 37_454_844),
    "depthwise": ("DEPTHWISE_CONV_2D", 16, 30_788_064),
    "maxpool": ("MAX_POOL_2D", 3, 1_705_067),
    "pad": ("PAD", 11, 902_463),
}
TARGETS = {"blazeface per layer": 70_900_000, "blazeface f746 plan": 78_000_000}

RUNS = [  # (label, model, board)
    ("blazeface per layer", "blazeface", "nucleo-h743zi2"),
    ("blazeface f746 plan", "blazeface", "nucleo-f746zg"),
    ("fashion_cnn per layer", "fashion_cnn", "nucleo-f746zg"),
]


def measure(model: str, board: str, work: Path) -> tuple[dict, list[dict]]:
    """Deploy on one image; per op: kind, instructions, MACs, output elements."""
    rep = deploy(model, board, emulate=True, limit=1, build_dir=work)
    g = prepare_model(model, work).g
    rows = []
    for op, layer in zip(g.ops, rep.latency["per_layer"]):
        out = g.tensors[op.outputs[0]]
        elements = 1
        for d in out.shape[1:]:
            elements *= d
        rows.append({"op": op.name, "kind": layer["kind"], "instr": layer["value"], "macs": macs(g, op),
                     "elements": elements})
    return rep.to_dict(), rows


def by_kind(rows: list[dict]) -> dict[str, dict]:
    kinds: dict[str, dict] = defaultdict(lambda: {"count": 0, "instr": 0, "macs": 0, "elements": 0})
    for r in rows:
        k = kinds[r["kind"]]
        k["count"] += 1
        for key in ("instr", "macs", "elements"):
            k[key] += r[key]
    return dict(kinds)


def print_run(label: str, rep: dict, rows: list[dict], compare: bool) -> None:
    total = sum(r["instr"] for r in rows)
    all_macs = sum(r["macs"] for r in rows)
    plan = rep["plan"]
    schedule = f"split after {plan['split']}, {plan['grid'][0]}x{plan['grid'][1]} patches" if plan["grid"] else "per layer"
    print(f"\n== {label}: {rep['model']} on {rep['board']} (emulated), {schedule}")
    per_image = rep["latency"]["per_image"][0]
    print(f"per inference: {per_image:,} instructions (ops: {total:,.0f}; executor and loop overhead "
          f"{per_image - total:,.0f}), {all_macs:,} MACs, {all_macs / per_image:.3f} MACs/instruction")
    if compare:
        target = TARGETS.get(label)
        print(f"TFLM + CMSIS-NN (quoted): {TFLM_TOTAL:,} instructions; ours / TFLM = {per_image / TFLM_TOTAL:.3f}"
              + (f"; issue target {target:,} ({target / TFLM_TOTAL:.2f}x): {'met' if per_image <= target else 'NOT met'}"
                 if target else ""))
    head = f"{'op type':12s} {'n':>3s} {'instructions':>13s} {'share':>6s} {'MAC/instr':>9s} {'instr/out':>9s}"
    print(head + ("   TFLM+CMSIS-NN (quoted): instructions, instr/out, ours/TFLM" if compare else ""))
    for kind, k in sorted(by_kind(rows).items(), key=lambda kv: -kv[1]["instr"]):
        line = (f"{kind:12s} {k['count']:3d} {k['instr']:13,.0f} {k['instr'] / total:6.1%} "
                f"{(k['macs'] / k['instr']) if k['macs'] else 0:9.3f} {k['instr'] / max(k['elements'], 1):9.1f}")
        if compare and kind in TFLM_BY_KIND:
            name, count, tf = TFLM_BY_KIND[kind]
            line += f"   {name} x{count}: {tf:,}, {tf / max(k['elements'], 1):.1f}, {k['instr'] / tf:.2f}"
        print(line)
    print(f"{'op':44s} {'kind':10s} {'instructions':>12s} {'MAC/instr':>9s} {'instr/out':>9s}")
    for r in rows:
        print(f"{r['op'][:44]:44s} {r['kind']:10s} {r['instr']:12,.0f} "
              f"{(r['macs'] / r['instr']) if r['macs'] and r['instr'] else 0:9.3f} "
              f"{r['instr'] / max(r['elements'], 1):9.1f}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default=None, help="only the runs of this model")
    ap.add_argument("--skip-kernels", action="store_true", help="skip MobileNetV2's kernels")
    args = ap.parse_args()
    print("Emulated Cortex-M7 (QEMU mps2-an500, -icount): counts are INSTRUCTIONS, not cycles.")
    with tempfile.TemporaryDirectory() as tmp:
        for label, model, board in RUNS:
            if args.model and model != args.model:
                continue
            try:
                rep, rows = measure(model, board, Path(tmp) / label.replace(" ", "_"))
            except ToolkitError as exc:
                sys.exit(f"{label}: {exc}")
            print_run(label, rep, rows, compare=model == "blazeface")
    if not args.skip_kernels and args.model in (None, "mobilenetv2"):
        print("\n== mobilenetv2: its layer types as kernels under QEMU (weights exceed every board's flash)")
        import bench_kernels_qemu
        bench_kernels_qemu.main()


if __name__ == "__main__":
    main()
