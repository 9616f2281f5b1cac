#!/usr/bin/env bash
# Set up (idempotent) and run the main job: the toolkit demo. Extra arguments go to `toolkit demo`.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
bash "$here/setup.sh"
source "$here/env.sh"
cd "$REPO_ROOT"
exec "$VENV/bin/toolkit" demo "$@"
