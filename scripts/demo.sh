#!/usr/bin/env bash
# `make demo`: a database under var/, an admin user, then the engine.
# DEMO_SECONDS=N runs N seconds and exits 0; without it, until Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=.venv/bin
export DIALSPOOL_DATABASE_URL="${DIALSPOOL_DATABASE_URL:-sqlite+aiosqlite:///var/demo.db}"
export DIALSPOOL_HTTP_PORT="${DIALSPOOL_HTTP_PORT:-8080}"
mkdir -p var

"$bin/dialspool" db upgrade
password=$("$bin/python" -c 'import secrets; print(secrets.token_urlsafe(12))')
if "$bin/dialspool" user add --username admin --role admin --password "$password" >/dev/null 2>&1; then
  echo "admin user created"
else
  "$bin/dialspool" user passwd --username admin --password "$password" >/dev/null
  echo "admin user exists: its password was reset"
fi
echo "log in as admin with the one-time password: $password"

base="http://127.0.0.1:$DIALSPOOL_HTTP_PORT"
args=(serve)
[ -n "${DEMO_SECONDS:-}" ] && args+=(--seconds "$DEMO_SECONDS")
"$bin/dialspool" "${args[@]}" &
engine=$!
trap 'kill -TERM $engine 2>/dev/null || true' INT TERM

for _ in $(seq 100); do
  if health=$("$bin/python" -c "import urllib.request as u; print(u.urlopen('$base/v1/health').read().decode())" 2>/dev/null); then
    echo "GET $base/v1/health -> $health"
    break
  fi
  sleep 0.1
done
echo "API docs: $base/docs"
wait $engine
