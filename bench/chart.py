"""The PNG of a bench run: gateway CPU per request and the ratio to the ceiling per operation
(one panel per backend mode, a bar per engine and listener mode), above the table itself."""

from __future__ import annotations

import argparse
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # files only: no display on a server

import matplotlib.pyplot as plt
from matplotlib.transforms import Bbox

SERIES = (
    ("compiled", "distinct", "#1f77b4", ""),
    ("standard", "distinct", "#ff7f0e", ""),
    ("compiled", "repeated", "#1f77b4", "//"),
    ("standard", "repeated", "#ff7f0e", "//"),
)
Row = Mapping[str, Any]


def _cell(value: float, spec: str) -> str:
    return "-" if math.isnan(value) else format(value, spec)


def _ceiling_rps(ceilings: Sequence[Row], operation: str, listeners: str, conns: int) -> float:
    for c in ceilings:
        if (c["operation"], c["listeners"], c["connections"]) == (operation, listeners, conns):
            return float(c["wrk"]["rps"])
    return 0.0


def _panel(
    axis: Any,
    runs: Sequence[Row],
    operations: Sequence[str],
    value: Any,
    title: str,
    ylabel: str,
) -> None:
    width = 0.8 / len(SERIES)
    for i, (engine, listeners, color, hatch) in enumerate(SERIES):
        heights = []
        for op in operations:
            run = next(
                (
                    r
                    for r in runs
                    if (r["operation"], r["engine"], r["listeners"]) == (op, engine, listeners)
                ),
                None,
            )
            heights.append(value(run) if run else 0.0)
        axis.bar(
            [x + (i - 1.5) * width for x in range(len(operations))],
            heights,
            width,
            color=color,
            hatch=hatch,
            edgecolor="white" if not hatch else "black",
            label=f"{engine}, {listeners}",
        )
    axis.set_xticks(range(len(operations)), operations)
    axis.set_yscale("log")
    axis.set_title(title)
    axis.set_ylabel(ylabel)
    axis.grid(axis="y", which="both", alpha=0.3)


def draw(
    args: argparse.Namespace,
    runs: Sequence[Row],
    ceilings: Sequence[Row],
    path: Path,
    *,
    quick: bool,
    recognised: bool,
) -> None:
    modes = [m for m in args.backends if any(r["backends"] == m for r in runs)]
    main = [r for r in runs if r["connections"] == args.connections]
    # The table needs about a quarter of an inch per row under the two rows of panels.
    table_height = 0.6 + 0.25 * len(main)
    figure = plt.figure(figsize=(max(12, 7 * len(modes)), 9 + table_height), layout="constrained")
    grid = figure.add_gridspec(3, max(len(modes), 1), height_ratios=[4.5, 4.5, table_height])
    for column, mode in enumerate(modes):
        rows = [r for r in main if r["backends"] == mode]
        _panel(
            figure.add_subplot(grid[0, column]),
            rows,
            args.operations,
            lambda r: r["cpu_ms"],
            f"gateway CPU per request, backends {mode}",
            "ms (log)",
        )
        ratio_axis = figure.add_subplot(grid[1, column])
        _panel(
            ratio_axis,
            rows,
            args.operations,
            lambda r: (
                r["wrk"]["rps"]
                / (_ceiling_rps(ceilings, r["operation"], r["listeners"], r["connections"]) or 1)
            ),
            f"req/s over the ceiling's, backends {mode}",
            "ratio (log)",
        )
        ratio_axis.legend(fontsize=8)
    table_axis = figure.add_subplot(grid[2, :])
    table_axis.axis("off")
    header = ["operation", "backends", "engine", "listeners", "req/s", "CPU ms", "p50 ms"]
    header += ["p99 ms", "calls", "ceiling", "ratio"]
    cells = []
    for r in sorted(
        main, key=lambda r: (args.operations.index(r["operation"]), r["backends"], r["listeners"])
    ):
        roof = _ceiling_rps(ceilings, r["operation"], r["listeners"], r["connections"])
        cells.append(
            [
                r["operation"],
                r["backends"],
                r["engine"],
                r["listeners"],
                f"{r['wrk']['rps']:.1f}",
                f"{r['cpu_ms']:.2f}",
                _cell(r["wrk"]["p50_ms"], ".1f"),
                _cell(r["wrk"]["p99_ms"], ".1f"),
                f"{r['calls_per_request']:.2f}",
                f"{roof:.0f}",
                f"{r['wrk']['rps'] / roof:.4f}" if roof else "-",
            ]
        )
    if cells:
        table = table_axis.table(
            cellText=cells, colLabels=header, loc="center", bbox=Bbox.from_bounds(0, 0, 1, 1)
        )
        table.auto_set_font_size(False)
        table.set_fontsize(8)
    notes = [f"{args.connections} connections, {args.duration} s runs"]
    if quick:
        notes.append("QUICK MODE: smoke test, not figures to report")
    if not recognised:
        notes.append("no CROSSFADE_EXECUTOR setting: both engines are the standard executor")
    figure.suptitle("\n".join(["Crossfade bench", *notes]))
    figure.savefig(path, dpi=100)
    plt.close(figure)
