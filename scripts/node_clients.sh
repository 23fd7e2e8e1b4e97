#!/usr/bin/env bash
# Installs the JavaScript clients the tests drive (tests/node: Apollo Client) from the
# lockfile with `npm ci`, only when package.json or package-lock.json changed since the last
# install; --prefer-offline takes the packages from npm's cache when it holds them.
set -euo pipefail
cd "$(dirname "$0")/../tests/node"
stamp=node_modules/.package-lock.json  # npm ci writes it last
if [[ -f $stamp && $stamp -nt package.json && $stamp -nt package-lock.json ]]; then
  exit 0
fi
command -v npm >/dev/null || { echo "npm not found: install Node.js 20+ (apt-get install nodejs npm)" >&2; exit 1; }
npm ci --prefer-offline --no-audit --no-fund --loglevel=error
