"""CPU per HomeFeed with tracing on against off, side by side in one run.

    .venv/bin/python bench/tracing_overhead.py --processes in-process|separate \
        [--listeners 1000] [--block 50]
    .venv/bin/python bench/tracing_overhead.py [--listeners 400] [--block 20]

With ``--processes``: real ``crossfade serve`` processes (heap frozen at start-up, as in
production), backends in them or in processes of their own, each gateway with its own caches:
tracing off, off again (an A/A control: what two identical processes differ by is the noise
floor of the comparison), on (every trace recorded), on with the client layer's spans through
the SDK's Tracer (the reference path, ``CROSSFADE_OTEL_LEAN_SPANS=false``) and on with 10% of
new traces sampled. The traced ones export to an OTLP/HTTP sink in another process (what the
collector spends is not counted, what our exporter spends is). The same distinct listeners
ask each gateway for Home in blocks that rotate which gateway goes first, to cancel drift;
CPU comes from /proc, every thread (the main thread apart), after the last export.

Without it: three gateways in this process over in-process backends, CPU from
``time.process_time`` with the span processor flushed after each block, then the same
overhead from counts (the spans one HomeFeed makes times the CPU of one span, leaf spans and
via the Tracer, best of many batches).

Target: <= 5% more CPU with tracing on. Measure on a quiet machine: other load adds noise
(several % on a shared 2-core machine).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from gateway.app import create_app  # noqa: E402
from gateway.authenticator import issue_token  # noqa: E402
from gateway.config import OPERATIONS_DIR, Settings  # noqa: E402

# An OTLP/HTTP endpoint that reads each export and answers an empty success, nothing more.
SINK = """
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

class Sink(BaseHTTPRequestHandler):
    def do_POST(self):
        self.rfile.read(int(self.headers.get("content-length", 0)))
        self.send_response(200)
        self.send_header("content-type", "application/x-protobuf")
        self.send_header("content-length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass

server = ThreadingHTTPServer(("127.0.0.1", 0), Sink)
print(server.server_address[1], flush=True)
server.serve_forever()
"""


@contextmanager
def otlp_sink() -> Iterator[str]:
    proc = subprocess.Popen([sys.executable, "-c", SINK], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        yield f"http://127.0.0.1:{proc.stdout.readline().strip()}"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


class Gateway:
    def __init__(self, settings: Settings) -> None:
        self.app = create_app(settings)
        self.tracing = self.app.state.tracing
        self.client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=self.app), base_url="http://gateway.bench"
        )
        self.cpu = 0.0
        self.requests = 0
        self.blocks: list[float] = []  # CPU seconds per request, block by block

    async def home(self, query: str, token: str) -> None:
        response = await self.client.post(
            "/graphql", json={"query": query}, headers={"authorization": f"Bearer {token}"}
        )
        body: dict[str, Any] = response.json()
        if response.status_code != 200 or "errors" in body:
            raise SystemExit(f"HomeFeed failed: {response.status_code} {response.text[:300]}")

    async def block(self, query: str, tokens: list[str]) -> None:
        started = time.process_time()
        for token in tokens:
            await self.home(query, token)
        if self.tracing is not None:
            self.tracing.provider.force_flush()
        spent = time.process_time() - started
        self.cpu += spent
        self.requests += len(tokens)
        self.blocks.append(spent / len(tokens))


def count_spans() -> tuple[int, int]:
    """The spans of one HomeFeed, by name (needs the tests' receiver, which decodes them);
    returns the client spans and the others."""
    from tests.support.otlp_receiver import otlp_receiver

    async def one() -> tuple[int, int]:
        with otlp_receiver() as receiver:
            settings = Settings(otel_endpoint=receiver.endpoint, rate_limit=False)
            gateway = Gateway(settings)
            await gateway.home(query(), issue_token(settings, "user-4999"))
            await gateway.client.aclose()
            gateway.tracing.shutdown()
            spans = receiver.wait_for(lambda got: any(s.parent_id is None for s in got))
        names: dict[str, int] = {}
        for span in spans:
            kind = span.name if span.name.startswith(("cache", "ranking")) else span.kind
            names[kind] = names.get(kind, 0) + 1
        counts = ", ".join(f"{name} {n}" for name, n in sorted(names.items()))
        print(f"spans per HomeFeed: {len(spans)} ({counts})")
        clients = names.get("client", 0)
        return clients, len(spans) - clients

    return asyncio.run(one())


def span_cost_us(
    endpoint: str, lean: bool = True, n: int = 20_000, batch: int = 500
) -> tuple[float, float]:
    """CPU per span, started, ended and exported, of the client shape (attributes,
    traceparent) and of the plain shape cache and ranking spans have (µs; the best of the
    batches, as other load only ever adds)."""
    from opentelemetry.trace import use_span

    from gateway.tracing import build_tracing

    tracing = build_tracing(Settings(otel_endpoint=endpoint, otel_lean_spans=lean))
    spans = tracing.spans
    headers: dict[str, str] = {}
    operation = tracing.tracer.start_span("query Bench")  # their parent, as in a request

    def client() -> None:
        span = spans.backend_call("catalog", "GET", "/tracks")
        spans.inject(span, headers)
        spans.answered(span, 200, "sql;dur=0.250")
        span.end()

    def plain() -> None:
        spans.cache_lookup("catalog.tracks").end()

    costs = []
    with use_span(operation, end_on_exit=True):
        for shape in (client, plain):
            best = float("inf")
            for _ in range(n // batch):
                started = time.process_time()
                for _ in range(batch):
                    shape()
                # Under the processor's queue size (2,048), so no span is dropped uncounted.
                tracing.provider.force_flush()
                best = min(best, (time.process_time() - started) / batch)
            costs.append(best * 1e6)
    tracing.shutdown()
    return costs[0], costs[1]


def query() -> str:
    return (OPERATIONS_DIR / "HomeFeed.graphql").read_text()


async def measure(endpoint: str, listeners: int, block: int, ratio: float) -> float:
    """Prints the comparison; returns the untraced CPU per request (seconds)."""
    base = Settings(rate_limit=False)
    if not (base.models_dir / "CURRENT").exists():
        raise SystemExit("no model: run `make data model` first")
    gateways = {
        "tracing off": Gateway(base),
        "tracing on": Gateway(Settings(rate_limit=False, otel_endpoint=endpoint)),
        f"on, {ratio:.0%} sampled": Gateway(
            Settings(rate_limit=False, otel_endpoint=endpoint, otel_sample_ratio=ratio)
        ),
    }
    names = list(gateways)
    text = query()
    tokens = [issue_token(base, f"user-{i}") for i in range(1, listeners + 1)]
    # Warm all alike: first-request costs (model load, genre lists, charts) are not tracing's.
    for gateway in gateways.values():
        await gateway.home(text, issue_token(base, "user-5000"))
    gc.collect()
    for n, start in enumerate(range(0, listeners, block)):
        chunk = tokens[start : start + block]
        for name in names[n % len(names) :] + names[: n % len(names)]:  # rotate who goes first
            await gateways[name].block(text, chunk)
    off = gateways["tracing off"]
    print(f"HomeFeed CPU per request, {off.requests} listeners, blocks of {block}, rotating order")
    print(f"  {'':22} {'total':>10} {'vs off':>8} {'median block vs off':>20}")
    for name, gateway in gateways.items():
        total = gateway.cpu / gateway.requests
        ratios = [on / base for on, base in zip(gateway.blocks, off.blocks, strict=True)]
        print(
            f"  {name:22} {total * 1000:7.2f} ms {(total / (off.cpu / off.requests) - 1):+8.1%}"
            f" {statistics.median(ratios) - 1:+20.1%}"
        )
    for gateway in gateways.values():
        await gateway.client.aclose()
        if gateway.tracing is not None:
            gateway.tracing.shutdown()
    return off.cpu / off.requests


# --- real processes -----------------------------------------------------------------------


def thread_cpu(pid: int) -> tuple[float, float]:
    """CPU seconds of a process's main thread, and of all its other threads together."""
    from bench.servers import CLOCK_TICKS

    main = others = 0.0
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            stat = (task / "stat").read_text()
        except FileNotFoundError:
            continue  # a thread that just ended
        fields = stat[stat.rindex(")") + 2 :].split()
        spent = (int(fields[11]) + int(fields[12])) / CLOCK_TICKS
        if int(task.name) == pid:
            main += spent
        else:
            others += spent
    return main, others


def processes(endpoint: str, listeners: int, block: int, separate: bool, ratio: float) -> None:
    """The A/B on real gateway processes (``crossfade serve``, whose start-up freezes the
    heap as in production), each its own caches, asked for the same listeners in turn; CPU
    from /proc, every thread, the exporter's included; the end waits out the last exports."""
    import tempfile

    from bench.servers import backend_urls, start_backends, start_gateway, stop_all, wait_idle

    base = Settings()
    env = {
        **os.environ,
        "CROSSFADE_RATE_LIMIT": "false",
        "CROSSFADE_RESPONSE_CACHE": "false",
        "CROSSFADE_MAX_CONCURRENT_EXECUTIONS": "100000",
        "CROSSFADE_LOG_LEVEL": "WARNING",
        "CROSSFADE_VIEWER_CACHE_TTL_S": "3600",
    }
    logs = Path(tempfile.mkdtemp(prefix="crossfade-tracing-"))
    backends = start_backends(env, logs) if separate else {}
    env.update(backend_urls(backends))
    variants = {
        "tracing off": {},
        # An A/A control: what two identical processes differ by is the noise floor.
        "tracing off, again": {},
        "tracing on": {"CROSSFADE_OTEL_ENDPOINT": endpoint},
        "on, spans via Tracer": {
            "CROSSFADE_OTEL_ENDPOINT": endpoint,
            "CROSSFADE_OTEL_LEAN_SPANS": "false",
        },
        f"on, {ratio:.0%} sampled": {
            "CROSSFADE_OTEL_ENDPOINT": endpoint,
            "CROSSFADE_OTEL_SAMPLE_RATIO": str(ratio),
        },
    }
    servers = {name: start_gateway({**env, **extra}, logs) for name, extra in variants.items()}
    text = query()
    tokens = [issue_token(base, f"user-{i}") for i in range(1, listeners + 1)]
    clients = {name: httpx.Client(base_url=server.url, timeout=60) for name, server in
               servers.items()}  # fmt: skip

    def ask(name: str, token: str) -> None:
        answer = clients[name].post("/graphql", json={"query": text},
                                    headers={"authorization": f"Bearer {token}"})  # fmt: skip
        if answer.status_code != 200 or b'"errors"' in answer.content:
            raise SystemExit(f"{name}: HomeFeed failed: {answer.text[:300]}")

    try:
        for name in servers:
            ask(name, issue_token(base, "user-5000"))  # first-request costs are nobody's
        wait_idle(servers.values(), quiet_s=1.0)
        started = {name: server.cpu_seconds() for name, server in servers.items()}
        threads = {name: thread_cpu(server.pid) for name, server in servers.items()}
        names = list(servers)
        for n, first in enumerate(range(0, listeners, block)):
            for name in names[n % len(names) :] + names[: n % len(names)]:
                for token in tokens[first : first + block]:
                    ask(name, token)
        time.sleep(6)  # past the span processor's 5-s delay: every export is done
        wait_idle(servers.values(), quiet_s=1.0)
        mode = "separate backends" if separate else "in-process backends"
        print(f"HomeFeed, real gateway processes, {mode}, {listeners} listeners each "
              f"(blocks of {block}, rotating order); CPU per request, all threads:")  # fmt: skip
        off = (servers["tracing off"].cpu_seconds() - started["tracing off"]) / listeners
        for name, server in servers.items():
            spent = (server.cpu_seconds() - started[name]) / listeners
            main, others = thread_cpu(server.pid)
            main_ms = (main - threads[name][0]) / listeners * 1000
            others_ms = (others - threads[name][1]) / listeners * 1000
            print(f"  {name:22} {spent * 1000:7.2f} ms {spent / off - 1:+7.1%}   "
                  f"(main thread {main_ms:.2f} ms, other threads {others_ms:.2f} ms)")  # fmt: skip
    finally:
        for client in clients.values():
            client.close()
        stop_all([*servers.values(), *backends.values()])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--listeners", type=int, default=400, help="distinct listeners (>= 200)")
    parser.add_argument("--block", type=int, default=20, help="requests per alternating block")
    parser.add_argument("--ratio", type=float, default=0.1, help="the sampled variant's ratio")
    parser.add_argument(
        "--processes",
        choices=["in-process", "separate"],
        help="the A/B on real gateway processes, backends in them or apart",
    )
    args = parser.parse_args()
    os.environ.setdefault("CROSSFADE_LOG_LEVEL", "WARNING")
    if args.processes:
        with otlp_sink() as endpoint:
            processes(endpoint, args.listeners, args.block, args.processes == "separate",
                      args.ratio)  # fmt: skip
        return
    with otlp_sink() as endpoint:
        off_s = asyncio.run(measure(endpoint, args.listeners, args.block, args.ratio))
        per_span = {lean: span_cost_us(endpoint, lean) for lean in (True, False)}
    clients, others = count_spans()
    # The same overhead from counts, less sensitive to other load than the A/B above.
    for lean, (client_us, plain_us) in per_span.items():
        total_us = client_us * clients + plain_us * others
        print(
            f"CPU per span ({'leaf spans' if lean else 'via the Tracer'}; start, attributes,"
            f" end, export): client {client_us:.1f} µs, cache/ranking {plain_us:.1f} µs;"
            f" {clients} x {client_us:.1f} + {others} x {plain_us:.1f} ="
            f" {total_us / 1000:.2f} ms = {total_us / 1e6 / off_s:.1%} of an untraced HomeFeed"
        )


if __name__ == "__main__":
    main()
