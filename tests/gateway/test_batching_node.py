"""Apollo Client's BatchHttpLink, from Node, against a real uvicorn gateway on loopback.

The JavaScript side is tests/node/batch_clients.mjs (Apollo Client from the npm registry,
pinned by tests/node/package-lock.json, installed by scripts/node_clients.sh with `npm ci`).
It runs the stakeholder queries unbatched, batched, and batched behind the persisted-queries
link, recording what Apollo Client returned and every HTTP exchange.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest

from tests.support.loopback import free_port, wait_healthy
from tests.support.repo import REPO
from tests.support.stakeholders import stakeholder_queries
from tests.support.tokens import bearer

pytestmark = pytest.mark.slow

NODE_DIR = REPO / "tests" / "node"


@pytest.fixture(scope="module")
def gateway_url(data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``crossfade serve`` with its default settings (batches of up to 10, APQ on)."""
    port = free_port()
    log_path = tmp_path_factory.mktemp("gateway") / "stderr.log"
    env = {**os.environ, "CROSSFADE_DATA_DIR": str(data_dir)}
    for name in ("CATALOG", "LIBRARY", "PLAYLISTS", "SEARCH"):
        env.pop(f"CROSSFADE_{name}_URL", None)
    with log_path.open("wb") as log_file:
        proc = subprocess.Popen(
            [sys.executable, "-m", "gateway.cli", "serve", "--port", str(port)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=log_file,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(url, proc, deadline=time.monotonic() + 60)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=15)
    # A malformed ID in a batch is the client's mistake: nothing at WARNING or above.
    noisy = [
        line
        for line in log_path.read_text(errors="replace").splitlines()
        if '"level":"ERROR"' in line or '"level":"WARNING"' in line or "Traceback" in line
    ]
    assert noisy == [], noisy


def run_apollo(url: str, headers: dict[str, str], operations: list[dict[str, Any]]) -> Any:
    if shutil.which("node") is None:
        pytest.fail("node is not installed: Node.js 20+ is a prerequisite (README)")
    subprocess.run(["bash", str(REPO / "scripts" / "node_clients.sh")], check=True, timeout=300)
    done = subprocess.run(
        ["node", "batch_clients.mjs"],
        cwd=NODE_DIR,
        input=orjson.dumps({"url": url, "headers": headers, "operations": operations}),
        capture_output=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr.decode()
    return orjson.loads(done.stdout)


def key(request: dict[str, Any]) -> bytes:
    """An operation by name and variables (Apollo fills the defaults in), whether its query
    was sent or only its hash."""
    return orjson.dumps(
        [request.get("operationName"), request.get("variables")], option=orjson.OPT_SORT_KEYS
    )


def codes(response: dict[str, Any]) -> list[str]:
    return [e["extensions"]["code"] for e in response.get("errors", [])]


def test_batch_http_link_gets_what_one_request_per_operation_gets(
    gateway_url: str, data_dir: Path, listener: str
) -> None:
    # given the stakeholder queries, and a refetch by a malformed ID
    queries = stakeholder_queries(data_dir)
    bad_node = {**queries[3], "variables": {"id": "definitely-not-base64!"}}
    operations = [*queries, bad_node]
    # when Apollo Client asks for all of them at once, without and with batching
    out = run_apollo(gateway_url, bearer(listener), operations)
    unbatched, batched, apq = out["unbatched"], out["batched"], out["apq"]

    # then without batching, one HTTP request per operation
    assert len(unbatched["exchanges"]) == len(operations)
    assert all(isinstance(e["request"], dict) for e in unbatched["exchanges"])
    alone = {key(e["request"]): e["response"] for e in unbatched["exchanges"]}

    # with BatchHttpLink, one request holding them all, answered by an array in order, each
    # element exactly the lone answer to its operation, and Apollo returns the same results
    [exchange] = batched["exchanges"]
    assert exchange["status"] == 200
    names = [r["operationName"] for r in exchange["request"]]
    assert names == [op["operationName"] for op in operations]
    for request, response in zip(exchange["request"], exchange["response"], strict=True):
        assert response == alone[key(request)]
    assert [codes(r) for r in exchange["response"]] == [[]] * len(queries) + [["BAD_USER_INPUT"]]
    assert batched["results"] == unbatched["results"]

    # behind the persisted-queries link: the first batch sends hashes alone and each element
    # asks for its query; Apollo resends them (batched again); the next round's hashes run
    first, resent, last = apq["exchanges"]
    assert all("query" not in r for r in first["request"])
    assert [codes(r) for r in first["response"]] == [["PERSISTED_QUERY_NOT_FOUND"]] * len(
        operations
    )
    assert all("query" in r for r in resent["request"])
    assert all("query" not in r for r in last["request"])
    for request, response in zip(last["request"], last["response"], strict=True):
        assert response == alone[key(request)]
    assert apq["results"] == [unbatched["results"][0]] * 2
