#!/usr/bin/env bash
# Run the test suite with a real PostgreSQL server on loopback.
# If WORKBENCH_TEST_PG_URL is already set, that server is used as it is.
set -euo pipefail
if [ -z "${WORKBENCH_TEST_PG_URL:-}" ]; then
  pgdir=$(mktemp -d /tmp/workbench-pg.XXXXXX)
  trap 'scripts/pg-server.sh stop "$pgdir"; rm -rf "$pgdir"' EXIT
  WORKBENCH_TEST_PG_URL=$(scripts/pg-server.sh start "$pgdir")
  export WORKBENCH_TEST_PG_URL
  echo "PostgreSQL test server: ${WORKBENCH_TEST_PG_URL%%@*}@... (data in $pgdir)"
fi
"$@"
