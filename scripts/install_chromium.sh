#!/usr/bin/env bash
# Installs Debian's headless-capable Chromium for the GraphiQL browser test.
# Idempotent: does nothing when a chromium binary is already on PATH. Needs root (CI runs as
# root); apt is the only source, because this workplace cannot download browser builds.
set -euo pipefail

find_chromium() {
    command -v chromium || command -v chromium-browser || command -v google-chrome || true
}

if [[ -n "$(find_chromium)" ]]; then
    echo "chromium present: $(find_chromium)"
    exit 0
fi

if [[ "$(id -u)" -ne 0 ]]; then
    echo "error: installing chromium needs root (apt-get)" >&2
    exit 1
fi

export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# --no-install-recommends keeps the install to the browser and its libraries (~300 MB less).
apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >/dev/null
echo "chromium installed: $(find_chromium)"
