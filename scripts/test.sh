#!/usr/bin/env bash
# Set up (idempotent) and run the test suite. Extra arguments go to pytest.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
bash "$here/setup.sh"
source "$here/env.sh"
cd "$REPO_ROOT"
# JUnit XML of the whole run (host tests and the HIL suite) in build/junit.xml
exec "$VENV/bin/python" -m pytest -q -rs --junitxml=build/junit.xml "$@"
