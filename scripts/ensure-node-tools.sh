#!/usr/bin/env bash
# Install the pinned node tools (tools/package.json) into DIR/node_modules.
# Needs node and npm (Debian's nodejs/npm when missing).
set -euo pipefail
dir=$1
if ! command -v npm >/dev/null 2>&1; then
  "$(dirname "$0")/ensure-debian-packages.sh" nodejs npm
fi
mkdir -p "$dir"
cp tools/package.json "$dir/package.json"
npm install --prefix "$dir" --no-audit --no-fund --loglevel=error >/dev/null
echo "node tools installed in $dir: $(ls "$dir/node_modules/.bin" | tr '\n' ' ')"
