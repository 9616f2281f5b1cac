#!/usr/bin/env bash
# Set up (idempotent) and run the main job: BlazeFace deployed on the emulated NUCLEO-F746ZG
# (QEMU Cortex-M7 with the F746's flash and SRAM), every test image over the serial protocol,
# checked bit for bit against the golden interpreter. Extra arguments go to `toolkit deploy`
# (e.g. --limit 10 for a quick run, --model fashion_cnn).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
bash "$here/setup.sh"
source "$here/env.sh"
cd "$REPO_ROOT"
exec "$VENV/bin/toolkit" deploy --board nucleo-f746zg --emulate --model blazeface \
  --report build/main/blazeface-f746-emulated.json "$@"
