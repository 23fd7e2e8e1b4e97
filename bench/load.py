"""Load-test the gateway with the stakeholders' operations and compare with a plain ceiling.

For each operation: POST it once to capture the real response (and discover IDs that later
operations need), run wrk against the gateway, count backend requests from /metrics before
and after, then run wrk with the same settings against bench/ceiling.py answering the same
bytes. Prints a table and writes bench/results/bench-<time>.json. Loopback only.

    .venv/bin/python bench/load.py --gateway http://127.0.0.1:8765
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from prometheus_client.parser import text_string_to_metric_families

# tests.support is not installed: it is imported from the checkout this script is in.
REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from tests.support.process import ServerProcess  # noqa: E402
from tests.support.repo import OPERATIONS as OPERATIONS_DIR  # noqa: E402
from tests.support.tokens import bearer  # noqa: E402

RESULTS_DIR = REPO_ROOT / "bench" / "results"
OPERATIONS = ("HomeFeed", "Search", "Playlist", "MadeForYou", "Library", "Node")
BACKEND_METRIC = "crossfade_backend_requests_total"
UNIT_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0, "h": 3_600_000.0}


@dataclass(frozen=True)
class WrkResult:
    requests: int
    seconds: float
    rps: float
    p50_ms: float
    p99_ms: float
    non_2xx: int
    socket_errors: str | None


@dataclass(frozen=True)
class OperationResult:
    operation: str
    variables: dict[str, Any]
    response_bytes: int
    graphql_errors: list[Any] | None
    gateway: WrkResult
    ceiling: WrkResult
    ratio: float
    backend_requests_single: dict[str, float]
    backend_requests_per_op: float


def default_operations_dir() -> Path:
    configured = os.environ.get("CROSSFADE_OPERATIONS_DIR")
    return Path(configured) if configured else OPERATIONS_DIR


def _duration_ms(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m|h)", text)
    if match is None:
        raise ValueError(f"unknown wrk duration {text!r}")
    return float(match.group(1)) * UNIT_MS[match.group(2)]


def parse_wrk(output: str) -> WrkResult:
    """The numbers of `wrk --latency` output."""
    total = re.search(r"(\d+) requests in ([\d.]+)(\w+),", output)
    rps = re.search(r"Requests/sec:\s+([\d.]+)", output)
    percentiles = dict(re.findall(r"^\s+(50|99)%\s+(\S+)$", output, re.M))
    if total is None or rps is None or set(percentiles) != {"50", "99"}:
        raise ValueError(f"unexpected wrk output:\n{output}")
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    errors = re.search(r"Socket errors: (.+)", output)
    return WrkResult(
        requests=int(total.group(1)),
        seconds=_duration_ms(total.group(2) + total.group(3)) / 1000,
        rps=float(rps.group(1)),
        p50_ms=_duration_ms(percentiles["50"]),
        p99_ms=_duration_ms(percentiles["99"]),
        non_2xx=int(non_2xx.group(1)) if non_2xx else 0,
        socket_errors=errors.group(1).strip() if errors else None,
    )


def lua_script(body: bytes, headers: Mapping[str, str]) -> str:
    """A wrk script that POSTs body with headers; a Lua long string needs no escaping."""
    text = body.decode()
    level = "=" * next(n for n in range(1, 20) if f"]{'=' * n}]" not in text)
    lines = ['wrk.method = "POST"', f"wrk.body = [{level}[{text}]{level}]"]
    lines += [f"wrk.headers[{json.dumps(k)}] = {json.dumps(v)}" for k, v in headers.items()]
    return "\n".join(lines) + "\n"


def run_wrk(url: str, script: Path, args: argparse.Namespace) -> WrkResult:
    command = [
        "wrk", f"-t{args.threads}", f"-c{args.connections}", f"-d{args.duration}s",
        "--timeout", "10s", "--latency", "-s", str(script), url,
    ]  # fmt: skip
    result = subprocess.run(
        command, capture_output=True, text=True, timeout=args.duration + 60, check=True
    )
    return parse_wrk(result.stdout)


def backend_requests(metrics_text: str) -> dict[str, float]:
    """crossfade_backend_requests_total summed per backend (over method and status)."""
    counts: dict[str, float] = {}
    for family in text_string_to_metric_families(metrics_text):
        for sample in family.samples:
            if sample.name == BACKEND_METRIC:
                backend = sample.labels.get("backend", "?")
                counts[backend] = counts.get(backend, 0.0) + sample.value
    return counts


def delta(after: Mapping[str, float], before: Mapping[str, float]) -> dict[str, float]:
    return {k: v - before.get(k, 0.0) for k, v in sorted(after.items()) if v != before.get(k)}


def http(url: str, body: bytes | None = None, headers: Mapping[str, str] | None = None) -> bytes:
    request = urllib.request.Request(url, data=body, headers=dict(headers or {}))
    with urllib.request.urlopen(request, timeout=30) as response:
        data: bytes = response.read()
        return data


def metrics(gateway: str) -> dict[str, float]:
    return backend_requests(http(f"{gateway}/metrics").decode())


def _stored(global_id: str) -> bool:
    """True for a Relay ID of a stored entity ("Playlist:42"), not a generated mix."""
    try:
        key = base64.b64decode(global_id, validate=True).decode().partition(":")[2]
    except ValueError:
        return False
    return key.isdigit()


def find_ids(responses: Mapping[str, Any]) -> dict[str, str]:
    """A playlist and a track ID taken from earlier responses, for Playlist and Node.

    Stored playlists are preferred over generated mixes (Discover Weekly), so the Playlist
    run reads the playlists backend as a client opening a saved playlist does.
    """
    seen: dict[str, list[str]] = {"playlist": [], "track": []}

    def walk(value: Any, parent_key: str = "") -> None:
        if isinstance(value, dict):
            node_id = value.get("id")
            if isinstance(node_id, str):
                if value.get("__typename") == "Playlist" or parent_key == "playlists":
                    seen["playlist"].append(node_id)
                elif value.get("__typename") == "Track" or parent_key == "tracks":
                    seen["track"].append(node_id)
            for key, child in value.items():
                # Connection nodes sit at <field>.edges[].node: remember the field's name.
                walk(child, parent_key if key in ("edges", "node") else key)
        elif isinstance(value, list):
            for child in value:
                walk(child, parent_key)

    for response in responses.values():
        walk(response)
    return {kind: next((i for i in ids if _stored(i)), ids[0]) for kind, ids in seen.items() if ids}


def variables_for(operation: str, ids: Mapping[str, str], query: str) -> dict[str, Any]:
    if operation == "Search":
        return {"q": "love"}
    if operation == "Playlist":
        return {"id": ids["playlist"]}
    if operation == "Node":
        return {"id": ids["track"]}
    return {}


@contextmanager
def ceiling_server(bodies: Path, port: int) -> Iterator[str]:
    env = {**os.environ, "CEILING_BODIES": str(bodies), "PYTHONPATH": str(REPO_ROOT)}
    command = [
        sys.executable, "-m", "uvicorn", "bench.ceiling:app", "--host", "127.0.0.1",
        "--port", str(port), "--no-access-log", "--log-level", "warning",
    ]  # fmt: skip
    with ServerProcess(command, port, env=env, start_timeout_s=10.0) as ceiling:
        yield ceiling.url


def print_table(results: list[OperationResult]) -> None:
    header = (
        f"{'operation':<11} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'ceiling':>8} "
        f"{'ratio':>6} {'backend/op':>10} {'1 warm':>6}  bytes"
    )
    print(header)
    print("-" * len(header))
    for r in results:
        flag = " !errors" if r.graphql_errors or r.gateway.non_2xx else ""
        print(
            f"{r.operation:<11} {r.gateway.rps:>8.1f} {r.gateway.p50_ms:>8.2f} "
            f"{r.gateway.p99_ms:>8.2f} {r.ceiling.rps:>8.1f} {r.ratio:>6.3f} "
            f"{r.backend_requests_per_op:>10.2f} {sum(r.backend_requests_single.values()):>6.0f}"
            f"  {r.response_bytes}{flag}"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--gateway", default="http://127.0.0.1:8765")
    parser.add_argument("--ceiling-port", type=int, default=8766)
    parser.add_argument("--operations-dir", type=Path, default=default_operations_dir())
    parser.add_argument("--operations", nargs="*", default=list(OPERATIONS))
    parser.add_argument("--user", default="user-1")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk run")
    args = parser.parse_args(argv)
    if shutil.which("wrk") is None:
        print("error: wrk is not installed (bench/run.sh installs it)", file=sys.stderr)
        return 1

    headers = {"Content-Type": "application/json", **bearer(args.user)}
    endpoint = f"{args.gateway}/graphql"
    work = Path(tempfile.mkdtemp(prefix="crossfade-bench-"))
    bodies = work / "bodies"
    bodies.mkdir()

    # Capture every response first: Playlist and Node need IDs found in the others' answers.
    order = sorted(args.operations, key=lambda op: op in ("Playlist", "Node"))
    requests: dict[str, bytes] = {}
    captured: dict[str, Any] = {}
    variables: dict[str, dict[str, Any]] = {}
    cold: dict[str, dict[str, float]] = {}
    for operation in order:
        query = (args.operations_dir / f"{operation}.graphql").read_text()
        variables[operation] = variables_for(operation, find_ids(captured), query)
        requests[operation] = json.dumps(
            {"query": query, "operationName": operation, "variables": variables[operation]},
            separators=(",", ":"),
        ).encode()
        before = metrics(args.gateway)
        response = http(endpoint, requests[operation], headers)
        cold[operation] = delta(metrics(args.gateway), before)
        captured[operation] = json.loads(response)
        (bodies / f"{operation}.json").write_bytes(response)

    results: list[OperationResult] = []
    with ceiling_server(bodies, args.ceiling_port) as ceiling:
        for operation in args.operations:
            script = work / f"{operation}.lua"
            script.write_text(lua_script(requests[operation], headers))
            before = metrics(args.gateway)
            http(endpoint, requests[operation], headers)
            single = delta(metrics(args.gateway), before)
            before = metrics(args.gateway)
            gateway = run_wrk(endpoint, script, args)
            under_load = delta(metrics(args.gateway), before)
            roof = run_wrk(f"{ceiling}/{operation}", script, args)
            results.append(
                OperationResult(
                    operation=operation,
                    variables=variables[operation],
                    response_bytes=(bodies / f"{operation}.json").stat().st_size,
                    graphql_errors=captured[operation].get("errors"),
                    gateway=gateway,
                    ceiling=roof,
                    ratio=gateway.rps / roof.rps if roof.rps else 0.0,
                    backend_requests_single=single,
                    backend_requests_per_op=sum(under_load.values()) / max(gateway.requests, 1),
                )
            )
            print(f"{operation}: {gateway.rps:.1f} req/s (ceiling {roof.rps:.1f})", flush=True)

    print()
    print_table(results)
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    report = {
        "time": stamp,
        "settings": {k: str(v) for k, v in vars(args).items()},
        "cpus": os.cpu_count(),
        "cold_backend_requests": cold,
        "results": [asdict(r) for r in results],
    }
    path = RESULTS_DIR / f"bench-{stamp}.json"
    path.write_text(json.dumps(report, indent=2) + "\n")
    shutil.copyfile(path, RESULTS_DIR / "latest.json")
    shutil.rmtree(work)
    print(f"\nresults: {path.relative_to(REPO_ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
