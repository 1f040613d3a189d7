#!/usr/bin/env bash
# Prints the SQLAlchemy URL of a PostgreSQL server for the tests.
# Uses the machine's server at 127.0.0.1:5432 (database `test`) when it answers;
# otherwise provisions a throwaway cluster under var/pg from Debian's packages.
set -euo pipefail
cd "$(dirname "$0")/.."

check_port="${DIALSPOOL_PG_CHECK_PORT:-5432}"  # overridable to test the fallback
if pg_isready -q -h 127.0.0.1 -p "$check_port" 2>/dev/null \
   || (exec 3<>/dev/tcp/127.0.0.1/"$check_port") 2>/dev/null; then
  echo "postgresql+asyncpg://postgres@127.0.0.1:$check_port/test"
  exit 0
fi

port=55432
pgdir="$PWD/var/pg"
bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
if [ -z "$bindir" ]; then
  echo "no PostgreSQL server: installing Debian's postgresql" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq --no-install-recommends postgresql >&2
  bindir=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
fi
# initdb refuses to run as root: the throwaway cluster belongs to `postgres`.
run() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
if [ ! -f "$pgdir/PG_VERSION" ]; then
  mkdir -p "$pgdir"
  [ "$(id -u)" = 0 ] && chown postgres "$pgdir"
  run "$bindir/initdb" -D "$pgdir" -U postgres --auth=trust >/dev/null
fi
if ! run "$bindir/pg_ctl" status -D "$pgdir" >/dev/null 2>&1; then
  run "$bindir/pg_ctl" start -w -D "$pgdir" -l "$pgdir/server.log" \
    -o "-p $port -k /tmp -c listen_addresses=127.0.0.1" >&2
fi
run "$bindir/psql" -q -h 127.0.0.1 -p "$port" -U postgres -tc \
  "SELECT 1 FROM pg_database WHERE datname = 'test'" | grep -q 1 \
  || run "$bindir/createdb" -h 127.0.0.1 -p "$port" -U postgres test >&2
echo "postgresql+asyncpg://postgres@127.0.0.1:$port/test"
