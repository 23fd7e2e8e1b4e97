#!/usr/bin/env bash
# The gateway benchmark: starts the gateway on loopback, runs bench/load.py (wrk against each
# stakeholder operation, and against a plain Starlette ceiling returning the same bytes),
# stops what it started. Bounded: ~6 operations x 2 runs x BENCH_DURATION seconds (default
# 10, so about 2.5 minutes in all). Extra arguments go to bench/load.py.
#
#   make bench                   # after data, model and graphiql are in place
#   BENCH_DURATION=5 bash bench/run.sh --operations Search Node
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
BIN="${BIN:-.venv/bin}"
PORT="${BENCH_PORT:-8765}"
CEILING_PORT="${BENCH_CEILING_PORT:-8766}"
DURATION="${BENCH_DURATION:-10}"

if ! command -v wrk >/dev/null; then
    if [[ "$(id -u)" -ne 0 ]]; then
        echo "error: wrk is missing; install it (apt-get install wrk) or run as root" >&2
        exit 1
    fi
    echo "installing wrk (apt)"
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -qq wrk >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
fi

for port in "$PORT" "$CEILING_PORT"; do
    if "$BIN/python" -c "import socket, sys; sys.exit(socket.socket().connect_ex(('127.0.0.1', $port)) != 0)"; then
        echo "error: 127.0.0.1:$port is already in use (set BENCH_PORT / BENCH_CEILING_PORT)" >&2
        exit 1
    fi
done

LOG="$(mktemp /tmp/crossfade-bench-gateway.XXXXXX.log)"
# One listener's token drives every wrk connection: the per-listener rate limit (20 req/s)
# would turn the throughput run into a 429 count, so it is off here (its overhead is
# measured separately by bench/governance_bench.py).
CROSSFADE_RATE_LIMIT="${CROSSFADE_RATE_LIMIT:-false}" \
    "$BIN/crossfade" serve --host 127.0.0.1 --port "$PORT" >"$LOG" 2>&1 &
GATEWAY_PID=$!
stop_gateway() {
    kill "$GATEWAY_PID" 2>/dev/null || true
    wait "$GATEWAY_PID" 2>/dev/null || true
}
trap stop_gateway EXIT

# /readyz: data, model and every backend are up, not just the process.
for _ in $(seq 1 120); do
    if "$BIN/python" -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$PORT/readyz', timeout=2)" 2>/dev/null; then
        break
    fi
    if ! kill -0 "$GATEWAY_PID" 2>/dev/null; then
        echo "error: the gateway exited; its log:" >&2; tail -n 30 "$LOG" >&2; exit 1
    fi
    sleep 0.5
done
"$BIN/python" -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$PORT/readyz', timeout=2)" \
    || { echo "error: the gateway is not ready after 60s; its log: $LOG" >&2; exit 1; }

# A hard stop keeps a wedged run from eating CI's time.
timeout 290 "$BIN/python" bench/load.py --gateway "http://127.0.0.1:$PORT" \
    --ceiling-port "$CEILING_PORT" --duration "$DURATION" "$@"
