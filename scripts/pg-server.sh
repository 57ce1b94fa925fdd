#!/usr/bin/env bash
# A throwaway PostgreSQL server on loopback, for tests and benchmarks.
#   scripts/pg-server.sh start DIR   -> prints the SQLAlchemy URL on stdout
#   scripts/pg-server.sh stop DIR
# initdb refuses to run as root, hence runuser -u postgres. The owner role gets CREATEROLE:
# each person logs in as their own database role, created by the workbench (issue 11).
set -euo pipefail
cmd=$1; dir=$2
PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[ -n "$PGBIN" ] || { echo "error: PostgreSQL is not installed (apt-get install postgresql)" >&2; exit 1; }
as_pg() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
case "$cmd" in
  start)
    mkdir -p "$dir"; [ "$(id -u)" -eq 0 ] && chown postgres:postgres "$dir"
    port=$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
    as_pg "$PGBIN/initdb" -D "$dir/data" -U postgres -E UTF8 --locale=C.UTF-8 \
        --auth-local=trust --auth-host=scram-sha-256 --no-sync >/dev/null
    as_pg "$PGBIN/pg_ctl" -D "$dir/data" -l "$dir/log" -w -t 30 start \
        -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off" >/dev/null
    as_pg psql -qX -h "$dir" -p "$port" -U postgres -v ON_ERROR_STOP=1 \
        -c "CREATE ROLE workbench LOGIN PASSWORD 'workbench-test' CREATEDB CREATEROLE" \
        -c "CREATE DATABASE workbench_test OWNER workbench" >/dev/null
    echo "postgresql+psycopg://workbench:workbench-test@127.0.0.1:$port/workbench_test"
    ;;
  stop)
    as_pg "$PGBIN/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true
    ;;
  *) echo "usage: $0 start|stop DIR" >&2; exit 2 ;;
esac
