#!/usr/bin/env bash
# `make demo`: the simulator, a database under var/, an admin user, then a live
# predictive campaign (10 agents, 10,000 leads) with its progress in the terminal.
# DEMO_SECONDS=N runs N seconds and exits 0; without it, until Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=.venv/bin
export DIALSPOOL_DATABASE_URL="${DIALSPOOL_DATABASE_URL:-sqlite+aiosqlite:///var/demo.db}"
export DIALSPOOL_HTTP_PORT="${DIALSPOOL_HTTP_PORT:-8080}"
sim_port="${DEMO_SIM_PORT:-8088}"
export DIALSPOOL_ARI_URL="http://127.0.0.1:$sim_port/ari"
export DIALSPOOL_ARI_USERNAME=dialspool DIALSPOOL_ARI_PASSWORD=dialspool
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

# The PBX: an ARI-compatible simulator, its world running ten times faster.
"$bin/dialspool" sim --port "$sim_port" --profile engine/demo/profile.toml \
  --time-scale 10 --seed 1 --recordings-dir var/sim-recordings 2>var/sim.log &
sim=$!
trap 'kill -TERM $sim 2>/dev/null || true' EXIT
for _ in $(seq 100); do
  (exec 3<>/dev/tcp/127.0.0.1/"$sim_port") 2>/dev/null && break
  sleep 0.1
done

args=(demo)
[ -n "${DEMO_SECONDS:-}" ] && args+=(--seconds "$DEMO_SECONDS")
DIALSPOOL_LOGGING_LEVEL="${DIALSPOOL_LOGGING_LEVEL:-WARNING}" "$bin/dialspool" "${args[@]}"
