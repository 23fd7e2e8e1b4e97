"""`make bench`: every stakeholder operation, side by side with a plain-Starlette ceiling
sending the same bytes, in one run.

For each backend mode (in-process behind httpx.ASGITransport; four `crossfade backend`
processes over HTTP), each engine (CROSSFADE_EXECUTOR=compiled|standard) and each operation, a
fresh gateway process (so no listener of an earlier operation is cached):

1. answers a few requests one at a time: the first of a cold process (its backend calls),
   the responses the ceiling will send;
2. warms up under load with listeners kept apart for it (shared caches warm, as in a gateway
   that has been up for a while);
3. answers one request for a listener it has never seen (its backend calls);
4. runs wrk with a different listener per request (and rotating variables), then with one
   repeated listener.

HomeFeed also runs at 50 concurrent clients with distinct listeners, on a fresh process, for
its p99. The ceiling (bench/ceiling.py) is measured last with the same wrk, the same request
files and the same connections. Each run reports req/s, the gateway process's CPU per request
(/proc/PID/stat utime + stime, all threads), p50 and p99, backend calls per request
(/metrics), GraphQL errors, and the CPU other processes took meanwhile. Production settings
apart from the rate limits (off: this is a throughput test): JWT per listener signed with a
secret of this run, CSRF, APQ and query cost as shipped.

    make bench                      # the whole matrix, about 12 minutes on 2 cores
    BENCH_QUICK=1 make bench        # a smoke run: 2-second runs, same matrix
    .venv/bin/python bench/load.py --operations HomeFeed --engines compiled --backends separate
"""

from __future__ import annotations

import argparse
import json
import math
import os
import secrets
import shutil
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench import report  # noqa: E402
from bench.counters import Counters, scrape  # noqa: E402
from bench.machine import Snapshot, describe, load_average  # noqa: E402
from bench.records import BACKEND_MODES, ENGINES, CeilingRun, Probe, Run  # noqa: E402
from bench.servers import (  # noqa: E402
    Server,
    backend_urls,
    start_backends,
    start_ceiling,
    start_gateway,
    stop_all,
    wait_idle,
)
from bench.workload import (  # noqa: E402
    OPERATIONS,
    Line,
    Workload,
    listeners,
    sign,
    workload,
    write_lines,
)
from bench.wrk import Load, run_wrk, write_script  # noqa: E402
from gateway.config import OPERATIONS_DIR  # noqa: E402

LATENCY_OPERATION = "HomeFeed"


def engine_setting_recognised() -> bool:
    """Whether this gateway reads CROSSFADE_EXECUTOR (settings ignore unknown variables)."""
    from gateway.config import Settings

    return "executor" in Settings.model_fields


@dataclass(frozen=True)
class Files:
    warmup: Path
    distinct: Path
    repeated: Path


@dataclass
class Bench:
    args: argparse.Namespace
    env: dict[str, str]
    tokens: dict[str, str]
    script: Path
    logs: Path
    # Responses of the first configuration measured: what the ceiling sends, and what the
    # other configurations' responses are compared with.
    reference: dict[str, list[bytes]]

    def load(self, seconds: int, connections: int | None = None) -> Load:
        return Load(self.args.threads, connections or self.args.connections, seconds)

    def post(self, url: str, line: Line) -> bytes:
        headers = {
            "Content-Type": "application/json",
            "Authorization": f"Bearer {self.tokens[line.handle]}",
        }
        request = urllib.request.Request(url, data=line.body, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                body: bytes = response.read()
        except urllib.error.HTTPError as exc:
            raise RuntimeError(f"HTTP {exc.code} from {url}: {exc.read()[:500]!r}") from None
        return body

    def counted(
        self, gateway: Server, backends: Sequence[Server], line: Line
    ) -> tuple[bytes, dict[str, float]]:
        """One request, alone on an idle gateway, and the backend calls it made."""
        wait_idle([gateway, *backends])
        before = scrape(gateway.url)
        body = self.post(f"{gateway.url}/graphql", line)
        return body, scrape(gateway.url).minus(before).backend_calls

    def measure(
        self,
        gateway: Server,
        backends: Sequence[Server],
        requests_file: Path,
        load: Load,
        lines: int,
        labels: Mapping[str, str],
    ) -> Run:
        wait_idle([gateway, *backends])  # the warm-up's last requests are not this run's
        before_counters = scrape(gateway.url)
        before = Snapshot.take([gateway, *backends])
        started = time.monotonic()
        result = run_wrk(f"{gateway.url}/graphql", requests_file, self.script, load)
        wait_idle([gateway, *backends])
        wall = time.monotonic() - started
        after = Snapshot.take([gateway, *backends])
        counters: Counters = scrape(gateway.url).minus(before_counters)
        executed = counters.operations.get(labels["operation"], 0.0)
        # No operation done (a run shorter than one answer): per-request figures are unknown.
        done = executed or math.nan
        backend_cpu = sum(after.server_seconds(before, b.name) for b in backends)
        run = Run(
            backends=labels["backends"],
            engine=labels["engine"],
            operation=labels["operation"],
            listeners=labels["listeners"],
            connections=load.connections,
            wrk=result,
            executed=executed,
            cpu_ms=after.server_seconds(before, gateway.name) * 1000 / done,
            backends_cpu_ms=backend_cpu * 1000 / done if backends else None,
            calls_per_request=counters.total_calls / done,
            calls=counters.backend_calls,
            graphql_errors=counters.graphql_errors,
            lines=lines,
            foreign_cores=after.foreign_cores(before, wall),
        )
        report.progress(run)
        return run

    def operation(
        self, labels: dict[str, str], work: Workload, files: Files, backends: Sequence[Server]
    ) -> tuple[Probe, list[Run]]:
        gateway = start_gateway(self.env_for(labels, backends), self.logs)
        try:
            samples: list[bytes] = []
            cold: dict[str, float] = {}
            for i, line in enumerate(work.warmup[: self.args.samples]):
                body, made = self.counted(gateway, backends, line)
                samples.append(body)
                cold = made if i == 0 else cold
            run_wrk(
                f"{gateway.url}/graphql", files.warmup, self.script, self.load(self.args.warmup)
            )
            _, new_listener = self.counted(gateway, backends, work.probe)
            distinct = self.measure(
                gateway,
                backends,
                files.distinct,
                self.load(self.args.duration),
                len(work.pool),
                {**labels, "listeners": "distinct"},
            )
            repeated_body = self.post(f"{gateway.url}/graphql", work.repeated)
            _, repeated_calls = self.counted(gateway, backends, work.repeated)
            repeated = self.measure(
                gateway,
                backends,
                files.repeated,
                self.load(self.args.duration),
                1,
                {**labels, "listeners": "repeated"},
            )
        finally:
            gateway.stop()
        probe = Probe(
            backends=labels["backends"],
            engine=labels["engine"],
            operation=labels["operation"],
            cold_calls=cold,
            new_listener_calls=new_listener,
            repeated_calls=repeated_calls,
            response_bytes=sum(map(len, samples)) / max(len(samples), 1),
            graphql_errors=[e for s in [*samples, repeated_body] for e in _errors(s)],
            same_as_reference=self.compare(labels["operation"], [*samples, repeated_body]),
        )
        return probe, [distinct, repeated]

    def latency(
        self, labels: dict[str, str], files: Files, lines: int, backends: Sequence[Server]
    ) -> Run:
        gateway = start_gateway(self.env_for(labels, backends), self.logs)
        try:
            load = self.load(self.args.warmup, self.args.latency_connections)
            run_wrk(f"{gateway.url}/graphql", files.warmup, self.script, load)
            return self.measure(
                gateway,
                backends,
                files.distinct,
                self.load(self.args.duration, self.args.latency_connections),
                lines,
                {**labels, "listeners": "distinct"},
            )
        finally:
            gateway.stop()

    def env_for(self, labels: Mapping[str, str], backends: Sequence[Server]) -> dict[str, str]:
        urls = backend_urls({b.name: b for b in backends})
        return {**self.env, **urls, "CROSSFADE_EXECUTOR": labels["engine"]}

    def compare(self, operation: str, bodies: list[bytes]) -> bool | None:
        if operation not in self.reference:
            self.reference[operation] = bodies
            return None
        return [_comparable(b) for b in bodies] == [
            _comparable(b) for b in self.reference[operation]
        ]


def _errors(body: bytes) -> list[object]:
    errors: list[object] = json.loads(body).get("errors") or []
    return errors


def _comparable(body: bytes) -> Any:
    """A response without what differs by design between two requests (the request ID)."""
    document = json.loads(body)
    for error in document.get("errors") or []:
        (error.get("extensions") or {}).pop("requestId", None)
    return document


def gateway_env(data_dir: Path) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not (k.startswith("CROSSFADE_") and (k.endswith("_URL") or k == "CROSSFADE_EXECUTOR"))
    }
    env.update(
        CROSSFADE_DATA_DIR=str(data_dir),
        CROSSFADE_ENVIRONMENT="production",
        CROSSFADE_JWT_SECRET=secrets.token_hex(32),
        # Thousands of requests a second from one client name would be refused: throughput
        # runs measure the work, governance_bench.py the limits' cost.
        CROSSFADE_RATE_LIMIT="false",
        # This bench measures execution: with the response cache on, repeats (the repeated
        # listener, and the distinct ones once the rotation wraps) would be hits.
        # bench/cache_hits.py measures hits against the same ceiling.
        CROSSFADE_RESPONSE_CACHE="false",
        # Nor admission control: past its limit a closed loop of 16-50 clients would get
        # 503s, counted as answers (bench/overload.py measures shedding, open loop).
        CROSSFADE_MAX_CONCURRENT_EXECUTIONS="100000",
    )
    return env


def ceiling(bench: Bench, files: dict[str, Files]) -> list[CeilingRun]:
    bodies = bench.logs.parent / "bodies"
    for operation, responses in bench.reference.items():
        distinct, repeated = responses[:-1], responses[-1:]
        for kind, group in (("distinct", distinct), ("repeated", repeated)):
            folder = bodies / f"{operation}-{kind}"
            folder.mkdir(parents=True, exist_ok=True)
            for i, content in enumerate(group):
                (folder / f"{i}.json").write_bytes(content)
    runs: list[CeilingRun] = []
    server = start_ceiling(bodies, bench.logs)
    plan = [
        (op, kind, bench.args.connections)
        for op in bench.reference
        for kind in ("distinct", "repeated")
    ]
    if LATENCY_OPERATION in bench.reference and bench.args.latency_connections:
        plan.append((LATENCY_OPERATION, "distinct", bench.args.latency_connections))
    try:
        for operation, kind, connections in plan:
            requests_file = getattr(files[operation], kind)
            load = bench.load(bench.args.ceiling_duration, connections)
            before = Snapshot.take([server])
            started = time.monotonic()
            result = run_wrk(f"{server.url}/{operation}-{kind}", requests_file, bench.script, load)
            wall = time.monotonic() - started
            after = Snapshot.take([server])
            responses = bench.reference[operation]
            sent = responses[:-1] if kind == "distinct" else responses[-1:]
            run = CeilingRun(
                operation=operation,
                listeners=kind,
                connections=connections,
                wrk=result,
                cpu_ms=after.server_seconds(before, server.name)
                * 1000
                / (result.requests or math.nan),
                response_bytes=sum(map(len, sent)) / len(sent),
                foreign_cores=after.foreign_cores(before, wall),
            )
            report.progress_ceiling(run)
            runs.append(run)
    finally:
        server.stop()
    return runs


def _env_int(name: str, default: int, quick: int) -> int:
    value = os.environ.get(name)
    if value:
        return int(value)
    return quick if os.environ.get("BENCH_QUICK") not in (None, "", "0") else default


def _env_list(name: str, default: Sequence[str]) -> list[str]:
    value = os.environ.get(name)
    return value.replace(",", " ").split() if value else list(default)


def arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    add = parser.add_argument
    add(
        "--operations",
        nargs="+",
        default=_env_list("BENCH_OPERATIONS", OPERATIONS),
        choices=OPERATIONS,
    )
    add("--engines", nargs="+", default=_env_list("BENCH_ENGINES", ENGINES), choices=ENGINES)
    add(
        "--backends",
        nargs="+",
        default=_env_list("BENCH_BACKENDS", BACKEND_MODES),
        choices=BACKEND_MODES,
    )
    add(
        "--duration",
        type=int,
        default=_env_int("BENCH_DURATION", 8, 2),
        help="seconds per measured gateway run",
    )
    add("--ceiling-duration", type=int, default=_env_int("BENCH_CEILING_DURATION", 5, 1))
    add(
        "--warmup",
        type=int,
        default=_env_int("BENCH_WARMUP", 2, 1),
        help="seconds of warm-up load before an operation's runs",
    )
    add(
        "--samples",
        type=int,
        default=_env_int("BENCH_SAMPLES", 6, 2),
        help="responses captured per operation for the ceiling (distinct listeners)",
    )
    add("--threads", type=int, default=_env_int("BENCH_THREADS", 2, 2))
    add("--connections", type=int, default=_env_int("BENCH_CONNECTIONS", 16, 16))
    add(
        "--latency-connections",
        type=int,
        default=_env_int("BENCH_LATENCY_CONNECTIONS", 50, 50),
        help="concurrent clients of the HomeFeed latency run (0: none)",
    )
    add("--data-dir", type=Path, default=Path(os.environ.get("CROSSFADE_DATA_DIR", REPO / "data")))
    add("--keep", action="store_true", help="keep the work directory (logs, request files)")
    args = parser.parse_args(argv)
    args.quick = os.environ.get("BENCH_QUICK") not in (None, "", "0")
    return args


def planned_seconds(args: argparse.Namespace, start_s: float = 5.0) -> float:
    """About how long the run takes (a gateway start assumed to take ``start_s``)."""
    per_operation = start_s + 1 + args.warmup + 2 * args.duration
    latency = start_s + args.warmup + args.duration if "HomeFeed" in args.operations else 0
    configurations = len(args.backends) * len(args.engines)
    ceiling_runs = 2 * len(args.operations) + (1 if latency else 0)
    total = configurations * (len(args.operations) * per_operation + latency)
    return float(total + ceiling_runs * (args.ceiling_duration + 1) + 10 * len(args.backends))


def main(argv: list[str] | None = None) -> int:
    args = arguments(argv)
    if shutil.which("wrk") is None:
        print("error: wrk is not installed (bench/run.sh installs it)", file=sys.stderr)
        return 1
    db = args.data_dir / "crossfade.db"
    if not db.exists():
        print(f"error: no store at {db} (run `make data model`)", file=sys.stderr)
        return 1
    work = Path(tempfile.mkdtemp(prefix="crossfade-bench-"))
    logs = work / "logs"
    logs.mkdir()
    env = gateway_env(args.data_dir.resolve())
    machine = describe()
    people = listeners(db)
    loads = {
        op: workload(op, (OPERATIONS_DIR / f"{op}.graphql").read_text(), people, db)
        for op in args.operations
    }
    handles = [people.probe, people.repeated, *people.warmup, *people.pool]
    bench = Bench(args, env, sign(handles, env), write_script(work), logs, {})
    files = {
        op: Files(
            warmup=write_lines(work / f"{op}-warmup.tsv", w.warmup, bench.tokens),
            distinct=write_lines(work / f"{op}-distinct.tsv", w.pool, bench.tokens),
            repeated=write_lines(work / f"{op}-repeated.tsv", [w.repeated], bench.tokens),
        )
        for op, w in loads.items()
    }
    recognised = engine_setting_recognised()
    report.header(args, machine, recognised, people, loads)
    print(f"planned: about {planned_seconds(args) / 60:.0f} minutes\n", flush=True)

    probes: list[Probe] = []
    runs: list[Run] = []
    for mode in args.backends:
        backends = start_backends(env, logs) if mode == "separate" else {}
        try:
            for engine in args.engines:
                labels = {"backends": mode, "engine": engine}
                for op in args.operations:
                    probe, measured = bench.operation(
                        {**labels, "operation": op}, loads[op], files[op], list(backends.values())
                    )
                    probes.append(probe)
                    runs += measured
                if LATENCY_OPERATION in loads and args.latency_connections:
                    runs.append(
                        bench.latency(
                            {**labels, "operation": LATENCY_OPERATION},
                            files[LATENCY_OPERATION],
                            len(loads[LATENCY_OPERATION].pool),
                            list(backends.values()),
                        )
                    )
        finally:
            stop_all(backends.values())
    ceilings = ceiling(bench, files)

    machine["load_average_1m_after"] = load_average()
    paths = report.write(args, machine, recognised, people, loads, probes, runs, ceilings)
    report.tables(args, recognised, probes, runs, ceilings)
    for path in paths:
        print(f"written: {path.relative_to(REPO) if path.is_relative_to(REPO) else path}")
    if args.keep:
        print(f"work directory: {work}")
    else:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
