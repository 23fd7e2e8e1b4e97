"""What a bench run prints and writes: progress lines, the tables, the issue's targets met or
missed, bench/results/bench-<time>.json and the chart (bench/chart.py)."""

from __future__ import annotations

import argparse
import json
import math
import shutil
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.records import BACKEND_MODES, CeilingRun, Probe, Run, calls
from bench.workload import Listeners, Workload

RESULTS_DIR = Path(__file__).resolve().parent / "results"
# Another process used this many cores on average during a run: its figures are not final.
NOISY_CORES = 0.25
# The issue's single-listener table (HomeFeed ... Node, gateway req/s), measured before this
# work on the 2-core machine: the "today" of "at least 10x today's rate".
ISSUE_BASELINE_RPS = {"Playlist": 60.0, "MadeForYou": 32.0}


def _flags(noisy: float, wrapped: bool = False, errors: int = 0) -> str:
    marks = "*" if noisy > NOISY_CORES else ""
    marks += "w" if wrapped else ""
    marks += "!" if errors else ""
    return marks


def progress(run: Run) -> None:
    backend_cpu = f", backends {run.backends_cpu_ms:.2f}" if run.backends_cpu_ms is not None else ""
    print(
        f"  {run.backends:<10} {run.engine:<8} {run.operation:<10} {run.listeners:<8} "
        f"c={run.connections:<3} {run.wrk.rps:9.1f} req/s  CPU ms/req {run.cpu_ms:.2f}{backend_cpu}"
        f"  calls/req {run.calls_per_request:.2f}  p99 {run.wrk.p99_ms:.1f} ms"
        f"  {_flags(run.foreign_cores, run.wrapped, run.errors)}",
        flush=True,
    )


def progress_ceiling(run: CeilingRun) -> None:
    print(
        f"  ceiling    {run.operation:<10} {run.listeners:<8} c={run.connections:<3} "
        f"{run.wrk.rps:9.1f} req/s  CPU ms/req {run.cpu_ms:.3f}  p99 {run.wrk.p99_ms:.1f} ms"
        f"  {_flags(run.foreign_cores, errors=run.wrk.non_2xx)}",
        flush=True,
    )


def header(
    args: argparse.Namespace,
    machine: Mapping[str, Any],
    recognised: bool,
    people: Listeners,
    loads: Mapping[str, Workload],
) -> None:
    commit = str(machine.get("commit", ""))[:10] + (
        " (+uncommitted changes)" if machine.get("uncommitted_changes") else ""
    )
    print(f"Crossfade bench, commit {commit}, {machine['cpus']} CPUs, wrk {machine['wrk']}")
    print(f"load average at start: {machine['load_average_1m']:.2f}")
    if args.quick:
        print("QUICK MODE (BENCH_QUICK): short runs; a smoke test, not figures to report")
    if not recognised:
        print(
            "NOTE: this gateway has no CROSSFADE_EXECUTOR setting; the 'compiled' and 'standard' "
            "rows both run the standard executor"
        )
    print(
        f"matrix: backends {' '.join(args.backends)} x engines {' '.join(args.engines)} x "
        f"{' '.join(args.operations)}; a fresh gateway process per operation"
    )
    print(
        f"runs: {args.duration} s each after {args.warmup} s warm-up "
        f"(ceiling {args.ceiling_duration} s), {args.connections} connections, "
        f"{args.threads} wrk threads; HomeFeed latency at {args.latency_connections} connections"
    )
    rotating = ", ".join(
        f"{op} {w.variable_sets}" for op, w in loads.items() if w.variable_sets > 1
    )
    print(
        f"listeners: distinct runs rotate over {len(people.pool):,} never seen before "
        f"({len(people.warmup)} others warm up); repeated: {people.repeated}; "
        f"variable sets rotated: {rotating or 'none'}"
    )
    print()


def _index_ceilings(ceilings: Iterable[CeilingRun]) -> dict[tuple[str, str, int], CeilingRun]:
    return {(c.operation, c.listeners, c.connections): c for c in ceilings}


def _ratio(run: Run, roof: CeilingRun | None) -> float | None:
    return run.wrk.rps / roof.wrk.rps if roof and roof.wrk.rps else None


def _fmt(value: float | None, spec: str) -> str:
    return "-" if value is None or math.isnan(value) else format(value, spec)


def tables(
    args: argparse.Namespace,
    recognised: bool,
    probes: Sequence[Probe],
    runs: Sequence[Run],
    ceilings: Sequence[CeilingRun],
) -> None:
    roofs = _index_ceilings(ceilings)
    columns = (
        f"{'operation':<11}{'engine':<9}{'req/s':>9}{'CPU ms':>8}{'be CPU':>8}{'p50 ms':>9}"
        f"{'p99 ms':>9}{'calls':>7}{'ceiling':>9}{'ratio':>8}{'errors':>7}  flags"
    )
    for kind in ("distinct", "repeated"):
        for mode in BACKEND_MODES:
            rows = [
                r
                for r in runs
                if r.backends == mode and r.listeners == kind and r.connections == args.connections
            ]
            if not rows:
                continue
            who = "a different listener per request" if kind == "distinct" else "one listener"
            print(f"\n{who}, backends {mode}, {args.connections} connections")
            print(columns)
            print("-" * len(columns))
            for r in sorted(rows, key=lambda r: (args.operations.index(r.operation), r.engine)):
                roof = roofs.get((r.operation, kind, r.connections))
                print(
                    f"{r.operation:<11}{r.engine:<9}{r.wrk.rps:>9.1f}{r.cpu_ms:>8.2f}"
                    f"{_fmt(r.backends_cpu_ms, '.2f'):>8}{_fmt(r.wrk.p50_ms, '.1f'):>9}"
                    f"{_fmt(r.wrk.p99_ms, '.1f'):>9}"
                    f"{r.calls_per_request:>7.2f}{_fmt(roof.wrk.rps if roof else None, '.0f'):>9}"
                    f"{_fmt(_ratio(r, roof), '.4f'):>8}{r.errors:>7}  "
                    f"{_flags(r.foreign_cores, r.wrapped, r.errors)}"
                )
    latency = [r for r in runs if r.connections == args.latency_connections != args.connections]
    if latency:
        roof = roofs.get(("HomeFeed", "distinct", args.latency_connections))
        print(f"\nHomeFeed at {args.latency_connections} concurrent clients, distinct listeners")
        line = f"{'backends':<11}{'engine':<9}{'req/s':>9}{'CPU ms':>8}{'p50 ms':>9}{'p99 ms':>9}"
        print(line + f"{'ceiling p99':>13}  flags")
        print("-" * (len(line) + 20))
        for r in latency:
            print(
                f"{r.backends:<11}{r.engine:<9}{r.wrk.rps:>9.1f}{r.cpu_ms:>8.2f}"
                f"{_fmt(r.wrk.p50_ms, '.1f'):>9}{_fmt(r.wrk.p99_ms, '.1f'):>9}"
                f"{_fmt(roof.wrk.p99_ms if roof else None, '.1f'):>13}"
                f"  {_flags(r.foreign_cores, r.wrapped, r.errors)}"
            )
    print("\nbackend calls of single requests (one at a time; robust to load)")
    line = f"{'operation':<11}{'backends':<11}{'engine':<9}{'cold':>6}{'new':>6}{'repeat':>8}"
    print(line + f"{'bytes':>9}  same responses as the first configuration")
    print("-" * (len(line) + 52))
    for p in sorted(probes, key=lambda p: (args.operations.index(p.operation), p.backends)):
        same = {None: "(the reference)", True: "yes", False: "NO"}[p.same_as_reference]
        errors = f"; {len(p.graphql_errors)} GraphQL errors!" if p.graphql_errors else ""
        print(
            f"{p.operation:<11}{p.backends:<11}{p.engine:<9}{calls(p.cold_calls):>6.0f}"
            f"{calls(p.new_listener_calls):>6.0f}{calls(p.repeated_calls):>8.0f}"
            f"{p.response_bytes:>9.0f}  {same}{errors}"
        )
    print("\nceiling: plain Starlette + uvicorn sending the captured bytes, same wrk and requests")
    line = f"{'operation':<11}{'listeners':<10}{'conns':>6}{'req/s':>9}{'CPU ms':>8}{'p50 ms':>8}"
    print(line + f"{'p99 ms':>8}  flags")
    print("-" * (len(line) + 15))
    for c in ceilings:
        print(
            f"{c.operation:<11}{c.listeners:<10}{c.connections:>6}{c.wrk.rps:>9.0f}"
            f"{c.cpu_ms:>8.3f}{c.wrk.p50_ms:>8.2f}{c.wrk.p99_ms:>8.2f}  "
            f"{_flags(c.foreign_cores, errors=c.wrk.non_2xx)}"
        )
    print(
        "\nCPU ms: the gateway process's utime+stime (all threads) per request; be CPU: the four"
        " backend processes' (separate only); calls: backend calls per request under load;"
        " cold/new/repeat: calls of the first request of a fresh process, of one never-seen"
        " listener after the warm-up, of the repeated listener's second request."
    )
    print(
        f"flags: * another process used more than {NOISY_CORES} cores meanwhile (not final);"
        " w the run sent more requests than distinct listeners; ! errors (non-2xx or GraphQL)"
    )
    print()
    for verdict in targets(args, recognised, probes, runs, ceilings):
        print(verdict)


def _find(runs: Iterable[Run], **match: object) -> Run | None:
    return next((r for r in runs if all(getattr(r, k) == v for k, v in match.items())), None)


def targets(
    args: argparse.Namespace,
    recognised: bool,
    probes: Sequence[Probe],
    runs: Sequence[Run],
    ceilings: Sequence[CeilingRun],
) -> list[str]:
    """The issue's targets against this run's figures for the compiled engine."""
    engine = "compiled"
    roofs = _index_ceilings(ceilings)
    lines = [
        "targets of the issue (compiled engine"
        + ("" if recognised else "; not a setting here, so the standard executor")
        + ")"
    ]

    def verdict(name: str, value: float | None, ok: bool | None, shown: str) -> None:
        known = value is not None and not math.isnan(value)
        state = "met" if known and ok else ("MISSED" if known else "n/a")
        lines.append(f"  {name:<66} {shown if known else '-':>12}  {state}")

    c = args.connections
    for mode, limit in (("separate", 4.0), ("in-process", 8.0)):
        r = _find(
            runs,
            backends=mode,
            engine=engine,
            operation="HomeFeed",
            listeners="distinct",
            connections=c,
        )
        verdict(
            f"HomeFeed, {mode} backends, distinct listeners: CPU <= {limit:g} ms/req",
            r.cpu_ms if r else None,
            r is not None and r.cpu_ms <= limit,
            f"{r.cpu_ms:.2f} ms" if r else "",
        )
    for op in ("Search", "Library", "Node"):
        for mode in BACKEND_MODES:
            r = _find(
                runs,
                backends=mode,
                engine=engine,
                operation=op,
                listeners="distinct",
                connections=c,
            )
            ratio = _ratio(r, roofs.get((op, "distinct", c))) if r else None
            verdict(
                f"{op}, {mode}, distinct (uncached): >= 0.25x ceiling",
                ratio,
                ratio is not None and ratio >= 0.25,
                f"{ratio:.3f}x" if ratio is not None else "",
            )
    for op, today in ISSUE_BASELINE_RPS.items():
        r = _find(
            runs,
            backends="in-process",
            engine=engine,
            operation=op,
            listeners="repeated",
            connections=c,
        )
        times = r.wrk.rps / today if r else None
        verdict(
            f"{op}, in-process, one listener: >= 10x the issue's {today:g} req/s",
            times,
            times is not None and times >= 10,
            f"{times:.1f}x" if times is not None else "",
        )
    for mode in BACKEND_MODES:
        r = _find(
            runs, backends=mode, engine=engine, operation="HomeFeed", listeners="distinct",
            connections=args.latency_connections,
        )  # fmt: skip
        verdict(
            f"HomeFeed, {mode}, {args.latency_connections} clients, distinct: p99 < 50 ms",
            r.wrk.p99_ms if r else None,
            r is not None and r.wrk.p99_ms < 50,
            f"{r.wrk.p99_ms:.1f} ms" if r else "",
        )
    for p in probes:
        if p.operation == "HomeFeed" and p.engine == engine:
            n = calls(p.new_listener_calls)
            verdict(
                f"HomeFeed, {p.backends}, a never-seen listener: <= 6 backend calls",
                n,
                n <= 6,
                f"{n:.0f}",
            )
    return lines


def _finite(value: Any) -> Any:
    """NaN (a run too short for one answer) as JSON null."""
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    return value


def write(
    args: argparse.Namespace,
    machine: Mapping[str, Any],
    recognised: bool,
    people: Listeners,
    loads: Mapping[str, Workload],
    probes: Sequence[Probe],
    runs: Sequence[Run],
    ceilings: Sequence[CeilingRun],
) -> list[Path]:
    """bench/results/bench-<time>.json and .png, copied to latest.json and latest.png."""
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    document = {
        "time": stamp,
        "quick": args.quick,
        "machine": dict(machine),
        "executor_setting_recognised": recognised,
        "settings": {k: v if isinstance(v, int | list) else str(v) for k, v in vars(args).items()},
        "listeners": {
            "pool": len(people.pool),
            "warmup": len(people.warmup),
            "repeated": people.repeated,
            "probe": people.probe,
        },
        "variable_sets": {op: w.variable_sets for op, w in loads.items()},
        "runs": [asdict(r) | {"wrapped": r.wrapped} for r in runs],
        "probes": [asdict(p) for p in probes],
        "ceilings": [asdict(c) for c in ceilings],
        "targets": targets(args, recognised, probes, runs, ceilings),
    }
    path = RESULTS_DIR / f"bench-{stamp}.json"
    path.write_text(json.dumps(_finite(document), indent=2, allow_nan=False) + "\n")
    shutil.copyfile(path, RESULTS_DIR / "latest.json")
    written = [path]
    try:
        from bench.chart import draw
    except ImportError as exc:  # matplotlib is a bench extra; the JSON stands without it
        print(f"no chart: {exc} (pip install -e '.[bench]')")
        return written
    png = path.with_suffix(".png")
    draw(args, document["runs"], document["ceilings"], png, quick=args.quick, recognised=recognised)
    shutil.copyfile(png, RESULTS_DIR / "latest.png")
    return [*written, png]
