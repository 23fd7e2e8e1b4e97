"""The bench's instruments read what they claim to: wrk's figures, the gateway's counters, a
process's CPU, and the request rotation that gives every request its own listener."""

from __future__ import annotations

import json
import math
import os
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from bench.counters import Counters, parse
from bench.servers import cpu_seconds
from bench.wrk import Load, WrkResult, parse_wrk, run_wrk, write_script
from tests.support.loopback import free_port, wait_healthy
from tests.support.repo import operation
from tests.support.tokens import bearer

SLOW_HOMEFEED = """\
Running 2s test @ http://127.0.0.1:33929/graphql
  2 threads and 16 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     1.88s    60.46ms   1.93s    75.00%
    Req/Sec    10.00     12.73    19.00    100.00%
  Latency Distribution
     50%    1.92s \n     75%    1.93s \n     90%    1.93s \n     99%    1.93s \n\
  4 requests in 2.01s, 73.67KB read
  Socket errors: connect 0, read 0, write 0, timeout 3
  Non-2xx or 3xx responses: 1
Requests/sec:      1.99
Transfer/sec:     36.71KB
"""

NOTHING_FINISHED = """\
Running 2s test @ http://127.0.0.1:33929/graphql
  2 threads and 16 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     0.00us    0.00us   0.00us    -nan%
    Req/Sec     0.00      0.00     0.00      -nan%
  Latency Distribution
     50%    0.00us
     75%    0.00us
     90%    0.00us
     99%    0.00us
  0 requests in 2.00s, 0.00B read
Requests/sec:      0.00
Transfer/sec:       0.00B
"""


def test_wrk_figures_are_read_with_their_units_and_padding() -> None:
    assert parse_wrk(SLOW_HOMEFEED) == WrkResult(
        requests=4,
        seconds=2.01,
        rps=1.99,
        p50_ms=1920.0,
        p99_ms=1930.0,
        non_2xx=1,
        socket_errors="connect 0, read 0, write 0, timeout 3",
    )


def test_a_run_that_finished_nothing_has_no_percentiles_rather_than_zero_latency() -> None:
    result = parse_wrk(NOTHING_FINISHED)
    assert (result.requests, result.rps, result.non_2xx) == (0, 0.0, 0)
    assert math.isnan(result.p50_ms) and math.isnan(result.p99_ms)


def test_cpu_of_a_process_is_its_user_and_system_time() -> None:
    deadline = time.process_time() + 0.3
    while time.process_time() < deadline:
        pass
    usage = resource.getrusage(resource.RUSAGE_SELF)
    # /proc counts in clock ticks (10 ms), rusage in microseconds.
    assert cpu_seconds(os.getpid()) == pytest.approx(usage.ru_utime + usage.ru_stime, abs=0.05)


@pytest.mark.anyio
async def test_the_counters_the_bench_reads_are_the_ones_the_gateway_exports(
    client: httpx.AsyncClient, listener: str
) -> None:
    async def counters() -> Counters:
        return parse((await client.get("/metrics")).text)

    before = await counters()
    home = {"query": operation("HomeFeed"), "operationName": "HomeFeed"}
    assert (await client.post("/graphql", json=home, headers=bearer(listener))).status_code == 200
    bad = {"query": "query Bad { node(id: 1) { id } }", "operationName": "Bad"}
    assert (await client.post("/graphql", json=bad)).status_code == 200
    delta = (await counters()).minus(before)
    assert delta.operations == {"Bad": 1.0, "HomeFeed": 1.0}
    assert delta.graphql_errors == {"BAD_USER_INPUT": 1.0}
    assert set(delta.backend_calls) <= {"catalog", "library", "playlists", "search"}
    assert delta.total_calls >= 1


RECORDER = """
from starlette.applications import Starlette
from starlette.responses import JSONResponse, PlainTextResponse
from starlette.routing import Route

SEEN = []

async def record(request):
    SEEN.append([request.headers.get("authorization"), (await request.body()).decode()])
    return PlainTextResponse("ok")

async def seen(request):
    return JSONResponse(SEEN)

async def healthz(request):
    return PlainTextResponse("ok")

app = Starlette(routes=[
    Route("/healthz", healthz), Route("/seen", seen), Route("/x", record, methods=["POST"]),
])
"""


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("wrk") is None, reason="wrk is not installed (bench/run.sh)")
def test_wrk_sends_every_line_once_before_any_listener_comes_back(tmp_path: Path) -> None:
    (tmp_path / "recorder.py").write_text(RECORDER)
    lines = [f"token-{i}\t{json.dumps({'i': i})}" for i in range(200_000)]
    requests = tmp_path / "requests.tsv"
    requests.write_text("\n".join(lines) + "\n")
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "recorder:app", "--port", str(port),
         "--log-level", "warning"],
        cwd=tmp_path,
    )  # fmt: skip
    try:
        url = f"http://127.0.0.1:{port}"
        wait_healthy(url, server, time.monotonic() + 30)
        result = run_wrk(f"{url}/x", requests, write_script(tmp_path), Load(2, 8, 1))
        seen = httpx.get(f"{url}/seen").json()
    finally:
        server.terminate()
        server.wait(10)
    assert 0 < result.requests <= len(seen) < 100_000
    lines_sent = [int(authorization.removeprefix("Bearer token-")) for authorization, _ in seen]
    assert len(set(lines_sent)) == len(lines_sent)  # no listener twice
    # Each request carries its own line's body, and both threads' slices are in use.
    assert [json.loads(body)["i"] for _, body in seen] == lines_sent
    assert {n < 100_000 for n in lines_sent} == {True, False}
