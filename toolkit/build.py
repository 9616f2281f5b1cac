"""The one PlatformIO driver: `pio run -e ENV` of the repository's project, each build in a
directory of its own (PLATFORMIO_BUILD_DIR), so builds of different models, envs or test runs never
mix. Deploy, the tests and the benchmarks all build through `build()`."""
from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

from .errors import ToolkitError

REPO = Path(__file__).resolve().parent.parent
FIRMWARE = REPO / "firmware"


def pio_env() -> dict[str, str]:
    return dict(os.environ, PLATFORMIO_CORE_DIR=str(REPO / ".pio-core"),
                PLATFORMIO_SETTING_ENABLE_TELEMETRY="No", PLATFORMIO_DISABLE_UPGRADE_CHECK="true")


def pio_command() -> list[str]:
    exe = Path(sys.executable).with_name("pio")
    if exe.exists():
        return [str(exe)]
    found = shutil.which("pio")
    return [found] if found else [sys.executable, "-m", "platformio"]


def build_id(env_name: str, gen_dir: Path | None) -> str:
    """A short hash of what goes into the image: the firmware sources, the generated model, the env."""
    h = hashlib.sha256(env_name.encode())
    dirs = [FIRMWARE] + ([gen_dir] if gen_dir else [])
    for d in dirs:
        for p in sorted(d.rglob("*")):
            if p.is_file() and p.suffix in (".c", ".h", ".S", ".ld", ".py"):
                h.update(p.relative_to(d).as_posix().encode())
                h.update(p.read_bytes())
    return h.hexdigest()[:12]


def build(env_name: str, build_dir: Path, gen_dir: Path | None = None, board: str | None = None,
          extra_flags: str = "", uart_baud: int | None = None) -> Path:
    """Build env `env_name` (with the generated model in `gen_dir`, if any) into `build_dir`; returns
    the program (host) or ELF (targets). `board` is the name the firmware reports in INFO,
    `uart_baud` its serial link's rate on a real board;
    `extra_flags` go to PLATFORMIO_BUILD_FLAGS (e.g. -DENG_CALLGRIND_PER_OP for the benchmark)."""
    build_dir = Path(build_dir).resolve()
    env = dict(pio_env(), PLATFORMIO_BUILD_DIR=str(build_dir),
               TOOLKIT_BUILD_ID=build_id(env_name, gen_dir))
    if gen_dir is not None:
        env["TOOLKIT_GEN_DIR"] = str(Path(gen_dir).resolve())
    if board:
        env["TOOLKIT_BOARD"] = board
    if uart_baud:
        env["TOOLKIT_UART_BAUD"] = str(uart_baud)
    if extra_flags:
        env["PLATFORMIO_BUILD_FLAGS"] = extra_flags
    res = subprocess.run([*pio_command(), "run", "-e", env_name], cwd=REPO, env=env, capture_output=True, text=True)
    if res.returncode != 0:
        raise ToolkitError(f"PlatformIO build of env {env_name} failed:\n{res.stdout[-4000:]}{res.stderr[-2000:]}")
    out = build_dir / env_name
    elf = out / "program.elf"
    return elf if elf.exists() else out / "program"


def elf_sizes(program: Path) -> dict[str, int]:
    """flash = text + data, static RAM = data + bss (GNU size, Berkeley format)."""
    res = subprocess.run(["size", "-B", "-d", str(program)], capture_output=True, text=True, check=True)
    text, data, bss = (int(v) for v in res.stdout.splitlines()[1].split()[:3])
    return {"flash_bytes": text + data, "static_ram_bytes": data + bss}
