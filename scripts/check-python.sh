#!/usr/bin/env bash
# Fail early, with the fix, when the interpreter is too old for the workbench.
set -euo pipefail
py=${1:-python3}
if ! command -v "$py" >/dev/null 2>&1; then
  echo "error: '$py' not found. Install Python 3.11 or newer (Debian: apt-get install python3 python3-venv) or run 'make PYTHON=/path/to/python3.11'." >&2
  exit 1
fi
"$py" - <<'PY' || { echo "error: $py is older than 3.11; run 'make PYTHON=/path/to/python3.11'." >&2; exit 1; }
import sys
sys.exit(0 if sys.version_info >= (3, 11) else 1)
PY
"$py" -c "import venv, ensurepip" 2>/dev/null || {
  echo "error: $py has no venv/ensurepip module. Debian: apt-get install python3-venv" >&2; exit 1; }
