# Environment shared by the project scripts: `source scripts/env.sh` (bash).
# REPO_ROOT, the venv, and PlatformIO kept inside the repository, offline, without telemetry.
REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export REPO_ROOT
export VENV="$REPO_ROOT/.venv"
export PLATFORMIO_CORE_DIR="$REPO_ROOT/.pio-core"
export PLATFORMIO_SETTING_ENABLE_TELEMETRY=No
export PLATFORMIO_DISABLE_UPGRADE_CHECK=true
export PLATFORMIO_SETTING_CHECK_PLATFORMIO_INTERVAL=36500
export TOOLKIT_CACHE="${TOOLKIT_CACHE:-$REPO_ROOT/.cache}"
case ":$PATH:" in
  *":$VENV/bin:"*) ;;
  *) export PATH="$VENV/bin:$PATH" ;;
esac
