"""The Cortex-M7 DSP kernels on the emulated Cortex-M7 (QEMU mps2-an500): same golden vectors as
tests/test_kernels.py, element by element.

The PlatformIO env qemu_an500_kernel_tests (real `pio run`) links firmware/tests/kernel_runner with
the DSP conv/depthwise/fc (the f746_offline kernel set) and the bare-metal port firmware/port/mps2_an500
(linker script with the STM32F746's 1 MB flash / 320 KB RAM). QEMU runs it with semihosting: the
runner opens the vector file on the host (semihosting SYS_OPEN/SYS_READ), prints over UART0
(QEMU -serial stdio) and ends QEMU with its exit code (SYS_EXIT_EXTENDED). Always under a timeout;
QEMU is killed on every exit path. Skipped only when qemu-system-arm is not installed.

RAM: the runner needs a case's inputs + output in the 320 KB heap. The largest BlazeFace Add layers
(2 inputs + output of 64x64x24..28 int8: 288-336 KB) cannot fit in the F746's RAM whatever the
allocator; the runner reports them as SKIP (never as a pass) and the test checks that only such
non-DSP cases (add) are skipped: every conv / depthwise / fc case must run and pass.
"""
from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

import kernel_vectors as kv
from test_kernels import (SPECIALISED_COLUMNS, _graph_inputs, blazeface, build_env,  # noqa: F401 (fixtures)
                          real_and_random_cases, small_cnn, small_cnn_cases)
from toolkit import golden
from toolkit.targets.emulator import qemu_binary, run_semihosted
from toolkit.errors import ToolkitError

REPO = Path(__file__).resolve().parent.parent
ENV = "qemu_an500_kernel_tests"
DSP_OPS = {"conv", "depthwise", "depthwise_inplace", "fc"}
F746_RAM = 320 * 1024
TIMEOUT = 600


def run_qemu(elf: Path, args: str, timeout: float = TIMEOUT) -> tuple[int, str]:
    try:
        return run_semihosted(elf, args, timeout)
    except ToolkitError as exc:
        pytest.fail(str(exc))


@pytest.fixture(scope="module")
def firmware(tmp_path_factory) -> Path:
    if qemu_binary() is None:
        pytest.skip("qemu-system-arm not installed (apt-get install qemu-system-arm)")
    return build_env(ENV, tmp_path_factory.mktemp("qemu_fw"))


def check_all_qemu(firmware: Path, tmp_path: Path, cases: list[kv.Case], name: str, flags: str = "") -> None:
    """flags "-s": the kernels that take views run on views (see tests/test_kernels.py: RUNNER_MODES)."""
    path = kv.write_vectors(tmp_path / f"{name}.bin", cases)
    assert " " not in str(path)  # the semihosting command line is split on spaces
    rc, out = run_qemu(firmware, f"{path} {flags}".strip())
    m = re.search(r"RESULT cases=(\d+) pass=(\d+) fail=(\d+) skip=(\d+)", out)
    assert m, f"no RESULT line (exit {rc}):\n{out[-3000:]}"
    failed = [(int(i), line) for i, line in re.findall(r"^FAIL case (\d+) (.*)$", out, re.M)]
    skipped = [(int(i), int(n)) for i, n in re.findall(r"^SKIP case (\d+) op \d+: out of memory, needs (\d+)", out, re.M)]
    msg = "\n".join(f"{cases[i].op} '{cases[i].label}': FAIL {line}" for i, line in failed)
    assert not failed and rc == 0, f"{name}: {len(failed)} case(s) fail on the emulated Cortex-M7 (exit {rc}):\n{msg}"
    for i, need in skipped:  # only non-DSP cases that cannot fit the F746 at all may be skipped
        assert cases[i].op not in DSP_OPS, f"DSP case '{cases[i].label}' skipped: out of memory ({need} bytes)"
        assert need > F746_RAM * 0.85, f"'{cases[i].label}' skipped with only {need} bytes needed"
    assert int(m[1]) == len(cases) and int(m[2]) == len(cases) - len(skipped) and int(m[4]) == len(skipped), out[-2000:]
    n_dsp = sum(c.op in DSP_OPS for c in cases)
    print(f"{name}: {int(m[2])}/{len(cases)} cases pass on QEMU mps2-an500 ({n_dsp} DSP conv/depthwise/fc); "
          f"skipped (do not fit 320 KB): {[cases[i].label for i, _ in skipped]}")


def test_runner_has_the_specialised_conv_loops(firmware):
    """The runner the cases below run on was built with a two-pixel conv loop per specialised column
    length (so those cases check the written-out loops, the others the generic one)."""
    from elftools.elf.elffile import ELFFile

    with open(firmware, "rb") as f:
        names = {s.name for s in ELFFile(f).get_section_by_name(".symtab").iter_symbols()}
    assert {f"pixel_pair_{n}" for n in SPECIALISED_COLUMNS} <= names
    assert not any(re.fullmatch(r"pixel_pair_\d+", n) and int(n.split("_")[-1]) not in SPECIALISED_COLUMNS
                   for n in names)


def test_synthetic_single_ops(firmware, tmp_path):
    cases = kv.synthetic_cases(seed=1234)
    assert {c.op for c in cases} >= DSP_OPS
    check_all_qemu(firmware, tmp_path, cases, "synthetic")
    check_all_qemu(firmware, tmp_path, cases, "synthetic_views", "-s")


def test_blazeface_every_op_real_and_random_input(firmware, blazeface, tmp_path):
    cases = real_and_random_cases(blazeface)
    assert sum(c.op in DSP_OPS for c in cases) > 50
    check_all_qemu(firmware, tmp_path, cases, "blazeface")


def test_blazeface_patches_of_real_layers(firmware, blazeface, tmp_path):
    """Tiles of BlazeFace's conv/depthwise/maxpool layers, pads only at the image borders (as in test_kernels)."""
    g = blazeface
    values = golden.run_graph(g, _graph_inputs(g, np.random.default_rng(5)), keep=True)
    cases = kv.tile_cases(g, values)
    assert sum(c.op != "depthwise_inplace" for c in cases) >= 10
    check_all_qemu(firmware, tmp_path, cases, "patches_views", "-s")


def test_small_cnn_every_op(firmware, small_cnn, tmp_path):
    cases = small_cnn_cases(small_cnn)
    assert {"fc", "conv", "depthwise"} <= {c.op for c in cases}
    check_all_qemu(firmware, tmp_path, cases, "small_cnn")


def test_runner_reports_a_wrong_expected_value_on_qemu(firmware, tmp_path):
    """The harness on the target: a flipped expected element fails its case and QEMU exits with 1."""
    cases = kv.synthetic_cases(seed=99)[:3]
    cases[1].arrays[-1] = cases[1].arrays[-1].copy()
    cases[1].arrays[-1][0] ^= 1
    path = kv.write_vectors(tmp_path / "bad.bin", cases)
    rc, out = run_qemu(firmware, str(path))
    assert rc == 1 and "FAIL case 1 " in out and "fail=1" in out, out


@pytest.mark.parametrize("what,decl,message", [
    ("ram", "char big[330 * 1024]; int main(void) { return big[1000]; }", "RAM"),
    ("flash", "const char big[1100 * 1024] = {1}; int main(void) { return big[1000]; }", "FLASH"),
])
def test_linker_script_enforces_f746_limits(tmp_path, what, decl, message):
    """The port's linker script refuses an image over the F746's 320 KB RAM / 1 MB flash (QEMU has 4 MB of each)."""
    if shutil.which("arm-none-eabi-gcc") is None:
        pytest.skip("arm-none-eabi-gcc not installed")
    ports = REPO / "firmware" / "port"
    port, cm7 = ports / "mps2_an500", ports / "cortex_m7"
    src = tmp_path / f"{what}.c"
    src.write_text(decl + "\n")
    cmd = ["arm-none-eabi-gcc", "-mcpu=cortex-m7", "-mthumb", "-mfpu=fpv5-sp-d16", "-mfloat-abi=hard", "-O2",
           "-I", str(ports), "-I", str(cm7), str(src), str(cm7 / "core.c"), str(cm7 / "startup.S"),
           str(port / "port.c"), str(port / "vectors.S"), "-L", str(cm7), "-T", str(port / "f746.ld"),
           "--specs=nosys.specs", "-o", str(tmp_path / "a.elf")]
    ok = subprocess.run(cmd, capture_output=True, text=True)
    assert ok.returncode != 0 and message in ok.stderr, ok.stderr
    # The same program within the limits links.
    src.write_text(decl.replace("330 * 1024", "64 * 1024").replace("1100 * 1024", "64 * 1024") + "\n")
    r = subprocess.run(cmd, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
