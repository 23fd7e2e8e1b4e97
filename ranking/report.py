"""What ``crossfade eval`` prints: the JSON contract or a plain-text table."""

from __future__ import annotations

from typing import Any

from ranking.evaluation import Report

# The keys of ``--json``, in order; the table shows the extras (fit time, users) too.
METRICS = ("recall@10", "ndcg@10", "recall@50", "coverage@10", "latency_ms")


def as_json(report: Report) -> dict[str, Any]:
    """``{"default": NAME, "models": {NAME: {recall@10, ndcg@10, recall@50, coverage@10,
    latency_ms}}}`` and nothing else."""
    return {
        "default": report["default"],
        "models": {name: {k: float(m[k]) for k in METRICS} for name, m in report["models"].items()},
    }


def as_table(report: Report, *, title: str = "") -> str:
    models = report["models"]
    width = max([len("model"), *(len(n) + 2 for n in models)])
    cols = (*METRICS, "fit_s")
    lines = [title] if title else []
    lines.append(f"{'model':<{width}}" + "".join(f"{c:>13}" for c in cols))
    pop = models.get("popularity", {}).get("ndcg@10", 0.0)
    for name, m in models.items():
        mark = "*" if name == report["default"] else " "
        cells = [f"{m[k]:13.4f}" for k in METRICS] + [f"{m.get('fit_seconds', 0.0):13.1f}"]
        lines.append(f"{mark} {name:<{width - 2}}" + "".join(cells))
    default = models[report["default"]]
    users = int(default.get("users", 0))
    lines.append(f"* default: {report['default']} ({users} evaluated users)")
    if pop > 0 and report["default"] != "popularity":
        lines.append(f"  default NDCG@10 / popularity NDCG@10 = {default['ndcg@10'] / pop:.2f}x")
    return "\n".join(lines)
