#!/usr/bin/env bash
# `make bench`: installs wrk when it is missing, then runs bench/load.py, which starts and stops
# everything it measures (gateways, backend processes, the ceiling) on loopback. The whole
# matrix takes about 12 minutes on 2 cores; extra arguments go to bench/load.py.
#
#   make bench                                  # after data and model are in place
#   BENCH_QUICK=1 make bench                    # smoke run: 2-second runs, same matrix
#   BENCH_OPERATIONS=HomeFeed BENCH_ENGINES=compiled BENCH_BACKENDS=separate bash bench/run.sh
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
BIN="${BIN:-.venv/bin}"

if ! command -v wrk >/dev/null; then
    if [[ "$(id -u)" -ne 0 ]]; then
        echo "error: wrk is missing; install it (apt-get install wrk) or run as root" >&2
        exit 1
    fi
    echo "installing wrk (apt)"
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -qq wrk >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
fi

# A hard stop keeps a wedged run from eating a CI machine's time; load.py stops what it
# started on the way out.
exec timeout --signal=INT --kill-after=30 "${BENCH_TIMEOUT_S:-1800}" "$BIN/python" bench/load.py "$@"
