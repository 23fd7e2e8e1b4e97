#!/usr/bin/env bash
# Debian's redis-server for the tests that share the APQ store and rate limits between two
# gateway processes (the pytest fixture starts and stops its own throwaway instance).
#
#   bash scripts/redis.sh           # install redis-server if missing (idempotent; root)
#   bash scripts/redis.sh start     # also start a throwaway instance on a free loopback port
#                                   # in the foreground (no persistence); prints its URL
#
# apt is the only source: this workplace cannot download server builds.
set -euo pipefail

find_redis() {
    command -v redis-server || { [[ -x /usr/bin/redis-server ]] && echo /usr/bin/redis-server; } || true
}

install_redis() {
    if [[ -n "$(find_redis)" ]]; then
        echo "redis-server present: $(find_redis)"
        return 0
    fi
    if [[ "$(id -u)" -ne 0 ]]; then
        echo "error: installing redis-server needs root (apt-get)" >&2
        exit 1
    fi
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    # --no-install-recommends: the server binary only; Debian's service unit is not started in
    # a container, and the tests start their own instance anyway.
    apt-get install -y -qq --no-install-recommends redis-server >/dev/null
    echo "redis-server installed: $(find_redis)"
}

install_redis
if [[ "${1:-}" == "start" ]]; then
    port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
    echo "redis://127.0.0.1:${port}/0"
    exec "$(find_redis)" --bind 127.0.0.1 --port "$port" --save '' --appendonly no \
        --dir "$(mktemp -d /tmp/crossfade-redis.XXXXXX)"
fi
