"""MACs per emulated instruction of the engine's conv / depthwise / fc kernels on the emulated
Cortex-M7 (QEMU mps2-an500, -icount shift=6,align=off,sleep=off), reference C vs DSP (SIMD32).

Builds the PlatformIO env qemu_an500_kernel_bench (firmware/tests/kernel_bench: the reference kernels
under ref_ names and the DSP kernels in ONE image, -O2 as every env: common.build_flags), runs it
twice under QEMU (deterministic: both runs must print the same counts) and prints per layer the
nominal MACs, emulated instructions and MACs/instruction of both implementations, the DSP/reference
speedup, and CMSIS-NN's figures QUOTED from /work/shared/ENVIRONMENT.md (measured there the same
way but with -Ofast; not re-measured here). Instructions are not Cortex-M7 cycles. No asserts.

The DSP conv is built with the specialisations code generation would give a model with these layers
(toolkit/codegen/specialise.py: column lengths 27, 32 and 64; the 3x3 at 64 input channels, 576, is
above the limit and runs the generic loop), as `toolkit deploy` builds it.

    .venv/bin/python benchmarks/bench_kernels_qemu.py
"""
from __future__ import annotations

import re
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
from toolkit.targets.emulator import qemu_binary, run_semihosted  # noqa: E402
from toolkit.build import build  # noqa: E402
from toolkit.codegen import specialise  # noqa: E402
from toolkit.errors import ToolkitError  # noqa: E402

ENV = "qemu_an500_kernel_bench"

# CMSIS-NN v7 under the same emulator setup (ENVIRONMENT.md, arm-none-eabi-gcc -Ofast): quoted.
CMSIS_NN = {
    "conv1x1_16x16x64_128": "0.49",
    "conv1x1_28x28x32_192": "0.38",
    "dw3x3_28x28x128": "0.12 (3x3 dw)",
    "dw3x3_s2_56x56x64": "0.12 (3x3 dw)",
    "conv3x3_s2_64x64x3_32": "0.22 (3 in ch)",
    "conv3x3_16x16x64_64": "0.57 (64 in ch)",
    "fc_1280x1000": "0.52",
}


SPECIALISED_COLUMNS = [27, 32, 64]


def build_firmware() -> Path:
    gen = REPO / "build" / "bench" / f"{ENV}.gen"
    gen.mkdir(parents=True, exist_ok=True)
    specialise.write(SPECIALISED_COLUMNS, gen)
    try:
        return build(ENV, REPO / "build" / "bench" / ENV, gen)
    except ToolkitError as exc:
        sys.exit(str(exc))


def run_once(elf: Path) -> str:
    try:
        rc, out = run_semihosted(elf, timeout=300)
    except ToolkitError as exc:
        sys.exit(str(exc))
    if rc != 0 or "DONE" not in out:
        sys.exit(f"benchmark image failed (exit {rc}):\n{out[-2000:]}")
    return out


def main() -> None:
    if qemu_binary() is None:
        sys.exit("qemu-system-arm not installed")
    elf = build_firmware()
    out1, out2 = run_once(elf), run_once(elf)
    rows = re.findall(r"BENCH name=(\S+) macs=(\d+) ref_instr=(\d+) dsp_instr=(\d+) match=(\d)", out1)
    print("Engine kernels on QEMU mps2-an500 (Cortex-M7), -icount shift=6,align=off,sleep=off; arm-none-eabi-gcc "
          "-O2 -ffp-contract=off")
    print("MACs per emulated INSTRUCTION (not cycles); MACs nominal (Ho*Wo*Cout*KH*KW*Cin, padding taps included)")
    print(f"{'layer':24s} {'MACs':>9s} {'ref instr':>10s} {'ref MAC/i':>9s} {'DSP instr':>10s} {'DSP MAC/i':>9s} "
          f"{'DSP/ref':>7s} {'same out':>8s}  CMSIS-NN (ENVIRONMENT.md)")
    for name, macs, ref, dsp, match in rows:
        macs, ref, dsp = int(macs), int(ref), int(dsp)
        print(f"{name:24s} {macs:9d} {ref:10d} {macs / ref:9.3f} {dsp:10d} {macs / dsp:9.3f} {ref / dsp:6.2f}x "
              f"{'yes' if match == '1' else 'NO':>8s}  {CMSIS_NN.get(name, '-')}")
    print("CMSIS-NN figures are quoted from ENVIRONMENT.md (CMSIS-NN v7, -Ofast, same emulator and icount setup), "
          "not re-measured here.")
    print("fc 1280->1000 runs as 5 calls of 1280->200: its 1.28 MB of weights exceed the F746's flash and RAM.")
    for line in out1.splitlines():
        if line.startswith(("TIMER", "STACK")):
            print(line)
    print("deterministic (two runs, identical counts):", "yes" if out1 == out2 else "NO")


if __name__ == "__main__":
    main()
