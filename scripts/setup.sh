#!/usr/bin/env bash
# Idempotent set-up for a fresh Debian 12 machine (root or sudo): installs only what is missing.
#   1. apt packages (apt-get update only when something is missing)
#   2. .venv/ with the exact pins of requirements.lock, then `pip install -e .`
#   3. offline PlatformIO core in .pio-core/ (tool-scons, and tool-cppcheck wrapping Debian's cppcheck)
#   4. the sample models' image sets (models/*/build.py; they skip what exists)
# A second run takes a few seconds. Set SETUP_SKIP_SAMPLES=1 to skip step 4.
set -euo pipefail

source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$REPO_ROOT"

say() { printf '[setup] %s\n' "$*"; }
die() { printf '[setup] ERROR: %s\n' "$*" >&2; exit 1; }
t0=$SECONDS

# ------------------------------------------------------------------ 1. apt packages
# libgl1, libglib2.0-0: OpenCV (toolkit demo); xvfb, xdotool: the demo's window test on a virtual display
APT_PACKAGES=(gcc-arm-none-eabi libnewlib-arm-none-eabi qemu-system-arm dataset-fashion-mnist valgrind cppcheck
              libgl1 libglib2.0-0 xvfb xdotool util-linux)  # util-linux: setpriv (QEMU dies with its parent)
PYTHON="${PYTHON:-python3}"
command -v "$PYTHON" >/dev/null || die "$PYTHON not found (install python3 >= 3.11)"
"$PYTHON" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' \
  || die "$PYTHON is $("$PYTHON" -V 2>&1); need Python >= 3.11"
if ! "$PYTHON" -c 'import ensurepip, venv' 2>/dev/null; then
  APT_PACKAGES+=(python3-venv)
fi

installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }
missing=()
for p in "${APT_PACKAGES[@]}"; do installed "$p" || missing+=("$p"); done
if ((${#missing[@]})); then
  SUDO=""
  if [[ $(id -u) -ne 0 ]]; then
    command -v sudo >/dev/null || die "need root or sudo to install: ${missing[*]}"
    SUDO="sudo"
  fi
  say "apt: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  # wait for another apt/dpkg process (e.g. unattended upgrades) instead of failing
  apt_opts=(-o DPkg::Lock::Timeout=600 -o Acquire::Retries=3)
  $SUDO apt-get "${apt_opts[@]}" update -qq
  $SUDO apt-get "${apt_opts[@]}" install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  for p in "${missing[@]}"; do installed "$p" || die "apt could not install $p"; done
else
  say "apt: all packages present"
fi

# ------------------------------------------------------------------ 2. virtual environment
stamp_of() { cat requirements.lock pyproject.toml | sha256sum | cut -d' ' -f1; }
STAMP="$VENV/.toolkit-setup-stamp"
if [[ ! -x "$VENV/bin/python" ]]; then
  say "venv: creating $VENV"
  "$PYTHON" -m venv "$VENV"
fi
if [[ -f "$STAMP" && "$(cat "$STAMP")" == "$(stamp_of)" ]] && "$VENV/bin/python" -c 'import toolkit, onnxruntime' 2>/dev/null; then
  say "venv: up to date with requirements.lock"
else
  say "venv: pip install -r requirements.lock (torch from the local wheel dir)"
  # (the sed drops pip's noise about this machine's empty local index dirs; pipefail keeps pip's status)
  pip_install() {
    "$VENV/bin/python" -m pip install --disable-pip-version-check --no-input -q "$@" 2>&1 \
      | sed -e '/^WARNING: Location .* is ignored/d'
  }
  pip_install -r requirements.lock
  say "venv: pip install -e ."
  pip_install --no-deps --no-build-isolation -e .
  "$VENV/bin/python" -m pip check >/dev/null || { "$VENV/bin/python" -m pip check; die "pip check failed"; }
  stamp_of >"$STAMP"
fi

# ------------------------------------------------------------------ 3. PlatformIO offline core
# PlatformIO's registry is unreachable: create the core packages it insists on by hand.
# The version must match the core's pin (platformio.dependencies.get_core_dependencies()) and the
# .piopm owner must be "platformio", otherwise pio tries (and fails) to download them.
mkdir -p "$PLATFORMIO_CORE_DIR/packages"
"$VENV/bin/python" - <<'PY'
import json, os, re, shutil, sys
from pathlib import Path
from platformio.dependencies import get_core_dependencies

core = Path(os.environ["PLATFORMIO_CORE_DIR"]) / "packages"
deps = get_core_dependencies()

def version_of(spec: str) -> str:
    m = re.search(r"(\d+)\.(\d+)\.(\d+)", spec)
    if not m:
        sys.exit(f"[setup] cannot read a version from the PlatformIO core pin {spec!r}")
    return ".".join(m.groups())

def make_tool(name: str, files: dict, links: dict = {}) -> None:
    version = version_of(deps[name])
    d = core / name
    piopm = {"type": "tool", "name": name, "version": version,
             "spec": {"owner": "platformio", "id": None, "name": name, "requirements": None, "uri": None}}
    manifest = {"name": name, "version": version,
                "description": f"{name} wrapped for offline use by scripts/setup.sh"}
    try:
        if json.loads((d / ".piopm").read_text()) == piopm and all((d / f).exists() for f in [*files, *links]):
            print(f"[setup] platformio: {name} {version} present")
            return
    except (OSError, ValueError):
        pass
    if d.exists() or d.is_symlink():
        shutil.rmtree(d) if d.is_dir() and not d.is_symlink() else d.unlink()
    d.mkdir(parents=True)
    (d / "package.json").write_text(json.dumps(manifest, indent=2) + "\n")
    (d / ".piopm").write_text(json.dumps(piopm) + "\n")
    for fname, text in files.items():
        (d / fname).write_text(text)
    for fname, target in links.items():
        (d / fname).symlink_to(target)
    print(f"[setup] platformio: created {name} {version} in {d}")

import SCons  # noqa: F401  (scons==4.11.1 from requirements.lock, in this venv)
make_tool("tool-scons", {"scons.py": "from SCons.Script import main\nmain()\n"})
cppcheck = shutil.which("cppcheck")
if cppcheck:
    make_tool("tool-cppcheck", {}, {"cppcheck": cppcheck})
else:
    print("[setup] platformio: no cppcheck binary; `pio check` will not work offline")
PY

# ------------------------------------------------------------------ 4. sample models
if [[ "${SETUP_SKIP_SAMPLES:-0}" != 1 ]]; then
  for s in blazeface fashion_cnn mobilenetv2 thirdparty; do
    "$VENV/bin/python" "models/$s/build.py" 2>&1 | sed -e '/float16 not supported/d' -e 's/^/  /' \
      || die "building sample $s failed (run: $VENV/bin/python models/$s/build.py)"
  done
fi

say "done in $((SECONDS - t0)) s (venv: $VENV, PlatformIO core: $PLATFORMIO_CORE_DIR)"
