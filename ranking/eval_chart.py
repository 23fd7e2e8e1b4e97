"""The PNG chart of ``crossfade eval --out DIR``: NDCG@10 and Coverage@10 per model.

matplotlib is an optional extra (``pip install 'crossfade[charts]'``, part of the dev
install), imported only here and only when a chart is drawn; the figure is built without
pyplot, so no global state or display backend is involved.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

# The two things a model choice trades: accuracy of the top 10, and how much of the catalog
# the top 10s reach across listeners.
PANELS = (("ndcg@10", "NDCG@10"), ("coverage@10", "Coverage@10"))
DEFAULT_COLOUR = "#d95f02"
OTHER_COLOUR = "#7570b3"


class ChartsUnavailable(RuntimeError):
    """matplotlib is not installed (the ``charts`` extra)."""


def write_eval_chart(report: Mapping[str, Any], path: Path, *, title: str = "") -> Path:
    """Draw ``report`` (``crossfade eval --json``'s shape) as a PNG at ``path``."""
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError as exc:
        raise ChartsUnavailable("charts need matplotlib: pip install 'crossfade[charts]'") from exc
    models: Mapping[str, Mapping[str, float]] = report["models"]
    names = list(models)
    colours = [DEFAULT_COLOUR if n == report["default"] else OTHER_COLOUR for n in names]
    figure = Figure(figsize=(10, 0.45 * len(names) + 1.8), layout="constrained")
    FigureCanvasAgg(figure)
    axes = figure.subplots(1, len(PANELS), sharey=True)
    for ax, (key, label) in zip(axes, PANELS, strict=True):
        values = [float(models[n][key]) for n in names]
        bars = ax.barh(names, values, color=colours)
        ax.bar_label(bars, labels=[f"{v:.3f}" for v in values], padding=3, fontsize=8)
        ax.set_xlabel(label)
        ax.set_xlim(0, max([*values, 1e-9]) * 1.25)
        ax.grid(axis="x", alpha=0.3)
    axes[0].invert_yaxis()  # the report's order, top to bottom (the panels share the axis)
    figure.suptitle(
        (title + "\n" if title else "") + f"default (highlighted): {report['default']}",
        fontsize=10,
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, format="png", dpi=100)
    return path
