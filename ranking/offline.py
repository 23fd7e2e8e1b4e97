"""``crossfade eval``: read a log, evaluate the standard models (and experiment variants)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ranking.dataset import read_interactions_tsv
from ranking.evaluation import ModelFactory, Report, evaluate, standard_models
from ranking.report import as_json, as_table

# What an experiment's ``model`` means offline: the served default is tuned EASE with the
# popularity debiasing β chosen on validation (β = 0 is plain EASE) whenever the catalog fits
# it (``Settings.max_ease_items``), as it does for every log this reads.
SERVED_DEFAULT = "ease_debiased"


class EvalError(Exception):
    """A log ``crossfade eval`` cannot read, or an unknown experiment or model."""


def run_eval(
    path: Path,
    *,
    variants: Mapping[str, str] | None = None,
    extra_models: Mapping[str, ModelFactory] | None = None,
    progress: bool = False,
) -> tuple[dict[str, Any], str]:
    """The ``--json`` report and the table for the log at ``path``.

    ``variants`` maps an experiment's variant names to the model each serves ("default" for
    the served default); each becomes a ``variant:NAME`` row carrying its model's metrics,
    so variants are compared on exactly the same split and fits as the models.
    ``extra_models`` are evaluated after the standard ones (e.g. ``spark_als``).
    """
    try:
        log = read_interactions_tsv(path)
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise EvalError(str(exc)) from None
    models = standard_models() | dict(extra_models or {})
    wanted = {name: SERVED_DEFAULT if m == "default" else m for name, m in (variants or {}).items()}
    unknown = sorted(set(wanted.values()) - set(models))
    if unknown:
        raise EvalError(f"unknown model(s) {unknown}; known: {sorted(models)}")
    report = evaluate(log, models, progress=progress)
    for name, model in wanted.items():
        report["models"][f"variant:{name}"] = dict(report["models"][model])
    title = f"{path}: {log.n_users} users, {log.n_items} items, {log.nnz} user-item pairs"
    return as_json(report), as_table(_ordered(report), title=title)


def _ordered(report: Report) -> Report:
    return {"default": report["default"], "models": dict(report["models"])}
