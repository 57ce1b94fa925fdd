#!/usr/bin/env bash
# Install the pinned node tools (tools/package.json, every version in tools/package-lock.json) into
# DIR/node_modules. Needs node and npm (Debian's nodejs/npm when missing).
#
# `npm ci` from the lockfile, not `npm install`: with only the top-level pin, npm resolved the
# validator's dependencies afresh on every clean machine, and on 2026-11-27 the registry offered a
# package (an @aws-sdk client) whose own dependency range had no published version, so a clean
# checkout could not install at all.
set -euo pipefail
dir=$1
if ! command -v npm >/dev/null 2>&1; then
  "$(dirname "$0")/ensure-debian-packages.sh" nodejs npm
fi
mkdir -p "$dir"
cp tools/package.json tools/package-lock.json "$dir/"
npm ci --prefix "$dir" --no-audit --no-fund --loglevel=error >/dev/null
echo "node tools installed in $dir: $(ls "$dir/node_modules/.bin" | tr '\n' ' ')"
