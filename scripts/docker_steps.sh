#!/usr/bin/env bash
# Replays the Dockerfile's build on a machine without a Docker engine, so the image's recipe
# is exercised by CI (tests/test_dockerfile.py) rather than only by whoever next runs
# `docker build`.
#
# The ENV, WORKDIR and RUN lines are read from the Dockerfile itself, so the two cannot drift.
# They run in order, in a throw-away root directory: the image's absolute paths (/opt/venv,
# /src, /var/lib/crossfade) are rewritten under it. Then the CMD is started (on loopback and
# a free port, as nobody when run as root, mirroring USER) and the HEALTHCHECK command must
# pass.
#
#   scripts/docker_steps.sh           # build, serve, health-check, clean up
#   scripts/docker_steps.sh --list    # print the RUN commands that would run, one per line
#   KEEP=1 scripts/docker_steps.sh    # keep the temporary root for inspection
#
# Differences from a real build, on purpose: COPY --from is a no-op (every stage shares one
# directory tree), lines marked "# docker_steps: skip" do not run, and the host's Python 3.11
# and npm stand in for the images'.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DOCKERFILE="${DOCKERFILE:-$REPO/Dockerfile}"
PYTHON="${PYTHON:-python3.11}"
HEALTH_TIMEOUT_S="${HEALTH_TIMEOUT_S:-90}"
# The image's absolute paths that the replay moves under its temporary root.
IMAGE_PATHS=(/opt/venv /var/lib/crossfade /src)

# Prints one instruction per line as "INSTRUCTION<TAB>arguments<TAB>skip", joining
# continuation lines and dropping comments; "skip" is 1 after a "# docker_steps: skip" line.
parse_dockerfile() {
    awk '
        function emit(line,   instr, args) {
            sub(/^[ \t]+/, "", line)
            if (line == "") return
            instr = toupper(line); sub(/[ \t].*$/, "", instr)
            args = line; sub(/^[^ \t]+[ \t]*/, "", args)
            printf "%s\t%s\t%d\n", instr, args, skip
            skip = 0
        }
        /^[ \t]*#[ \t]*docker_steps:[ \t]*skip/ { skip = 1; next }
        /^[ \t]*#/ { next }
        {
            line = $0
            if (line ~ /\\[ \t]*$/) { sub(/\\[ \t]*$/, "", line); pending = pending line " "; next }
            emit(pending line); pending = ""
        }
        END { if (pending != "") emit(pending) }
    ' "$DOCKERFILE"
}

if [[ "${1:-}" == "--list" ]]; then
    parse_dockerfile | awk -F'\t' '$1 == "RUN" && $3 == 0 { print $2 }'
    exit 0
fi

ROOT="$(mktemp -d /tmp/crossfade-docker.XXXXXX)"
# Traversable by nobody, who runs the server below.
chmod 755 "$ROOT"
SERVER_PID=""
cleanup() {
    if [[ -n "$SERVER_PID" ]]; then kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
    if [[ "${KEEP:-0}" == 1 ]]; then echo "kept $ROOT"; else rm -rf "$ROOT"; fi
}
trap cleanup EXIT

rewrite() {
    local text="$1" path
    for path in "${IMAGE_PATHS[@]}"; do
        # Only at the start of a word, so /usr/src or URLs are left alone.
        text="$(printf '%s' "$text" | sed -E "s#(^|[[:space:]=:\"'])$path#\\1$ROOT$path#g")"
    done
    printf '%s' "$text"
}

# The build context: the work tree's files less what .dockerignore excludes.
copy_context() {
    local dest="$1"
    (cd "$REPO" && git ls-files -z --cached --others --exclude-standard) \
        | (cd "$REPO" && "$PYTHON" -c '
import fnmatch, sys
from pathlib import Path
patterns = [p.strip() for p in Path(".dockerignore").read_text().splitlines()
            if p.strip() and not p.lstrip().startswith("#")]
def ignored(path: str) -> bool:
    parts = path.split("/")
    for end in range(1, len(parts) + 1):
        for pattern in patterns:
            if pattern.startswith("**/"):
                suffixes = ("/".join(parts[start:end]) for start in range(end))
                if any(fnmatch.fnmatchcase(s, pattern[3:]) for s in suffixes):
                    return True
            elif fnmatch.fnmatchcase("/".join(parts[:end]), pattern):
                return True
    return False
names = [n for n in sys.stdin.buffer.read().decode().split("\0") if n and Path(n).exists()]
sys.stdout.write("\0".join(n for n in names if not ignored(n)))
') \
        | (cd "$REPO" && tar --null -T - -cf -) | tar -xf - -C "$dest"
}

json_argv() {  # JSON exec-form array -> NUL-separated words
    "$PYTHON" -c 'import json, sys; sys.stdout.write("\0".join(json.loads(sys.argv[1])))' "$1"
}

# The images' `python` is 3.11; a shim makes the host's python3.11 answer to that name.
mkdir -p "$ROOT/shim"
ln -s "$(command -v "$PYTHON")" "$ROOT/shim/python"
export PATH="$ROOT/shim:$PATH"
cd "$ROOT"

declare -a SERVE_CMD=() HEALTH_CMD=()
EXPOSED="" RUN_AS=""
while IFS=$'\t' read -r instr args skip; do
    case "$instr" in
        FROM) echo "== stage: $args" ;;
        ARG) ;;
        ENV)
            eval "export $(rewrite "$args")"
            ;;
        WORKDIR)
            mkdir -p "$(rewrite "$args")"
            cd "$(rewrite "$args")"
            ;;
        COPY)
            if [[ "$args" == ". ." ]]; then
                copy_context "$PWD"
            else
                echo "   (COPY $args: same tree here)"
            fi
            ;;
        RUN)
            if [[ "$skip" == 1 ]]; then echo "-- skipped: RUN $args"; continue; fi
            echo "-> RUN $args"
            started=$SECONDS
            sh -c "$(rewrite "$args")"
            echo "   done in $((SECONDS - started))s"
            ;;
        USER) RUN_AS="$args" ;;
        EXPOSE) EXPOSED="$args" ;;
        HEALTHCHECK)
            mapfile -d '' HEALTH_CMD < <(json_argv "${args#*CMD }")
            ;;
        CMD)
            mapfile -d '' SERVE_CMD < <(json_argv "$args")
            ;;
        *) echo "error: docker_steps.sh does not know $instr" >&2; exit 1 ;;
    esac
done < <(parse_dockerfile)

[[ ${#SERVE_CMD[@]} -gt 0 && ${#HEALTH_CMD[@]} -gt 0 && -n "$EXPOSED" ]] \
    || { echo "error: the Dockerfile needs CMD, HEALTHCHECK CMD and EXPOSE" >&2; exit 1; }

# Serve on loopback and a free port instead of 0.0.0.0:EXPOSE; the health check follows.
PORT="$("$PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
for i in "${!SERVE_CMD[@]}"; do
    SERVE_CMD[i]="${SERVE_CMD[i]/0.0.0.0/127.0.0.1}"
    [[ "${SERVE_CMD[i]}" == "$EXPOSED" ]] && SERVE_CMD[i]="$PORT"
done
for i in "${!HEALTH_CMD[@]}"; do HEALTH_CMD[i]="${HEALTH_CMD[i]//:$EXPOSED\//:$PORT/}"; done

# USER is not root in the image; as root here, run the server as nobody so a write outside the
# data dir (site-packages, the venv) fails as it would in the container.
PRIV=()
if [[ "$(id -u)" == 0 && -n "$RUN_AS" ]] && command -v setpriv >/dev/null; then
    chown -R nobody "${CROSSFADE_DATA_DIR:?the Dockerfile sets CROSSFADE_DATA_DIR}"
    PRIV=(setpriv --reuid=nobody --regid=nogroup --clear-groups)
fi
echo "-> serve: ${PRIV[*]} ${SERVE_CMD[*]}"
"${PRIV[@]}" "${SERVE_CMD[@]}" >"$ROOT/serve.log" 2>&1 &
SERVER_PID=$!

deadline=$((SECONDS + HEALTH_TIMEOUT_S))
until "${HEALTH_CMD[@]}" 2>/dev/null; do
    if ! kill -0 "$SERVER_PID" 2>/dev/null; then
        echo "error: the server exited; its log:" >&2; tail -n 40 "$ROOT/serve.log" >&2; exit 1
    fi
    if ((SECONDS > deadline)); then
        echo "error: HEALTHCHECK did not pass within ${HEALTH_TIMEOUT_S}s" >&2
        tail -n 40 "$ROOT/serve.log" >&2; exit 1
    fi
    sleep 1
done
echo "HEALTHCHECK passed on 127.0.0.1:$PORT"

# GraphiQL from the installed (not editable) package: catches templates or operations missing
# from package-data and assets fetched somewhere the runtime does not look. 404: disabled.
status="$("$PYTHON" - "$PORT" <<'EOF'
import sys, urllib.error, urllib.request
base = f"http://127.0.0.1:{sys.argv[1]}/graphiql"
try:
    page = urllib.request.urlopen(base, timeout=10).read().decode()
    asset = urllib.request.urlopen(f"{base}/static/graphiql.min.js", timeout=10)
    # The stakeholders' operations are package data (schema/operations): preloaded as tabs.
    tabs = "HomeFeed" in page and "MadeForYou" in page
    print("ok" if "graphiql-config" in page and tabs and asset.status == 200 else "bad page")
except urllib.error.HTTPError as exc:
    print("disabled" if exc.code == 404 else f"HTTP {exc.code}")
EOF
)"
echo "GraphiQL: $status"
[[ "$status" == ok || "$status" == disabled ]] || { tail -n 40 "$ROOT/serve.log" >&2; exit 1; }
echo "docker steps OK"
