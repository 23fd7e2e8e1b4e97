"""Ranking experiments declared: variants with traffic shares, deterministic per-listener buckets.

Declared in settings (``CROSSFADE_EXPERIMENTS``, a JSON list)::

    [{"name": "home-model", "surface": "recommendations",
      "variants": [{"name": "control", "share": 0.5},
                   {"name": "svd", "share": 0.5, "model": "pure_svd", "diversity": false}]},
     {"name": "search-blend", "surface": "search",
      "variants": [{"name": "control", "share": 0.8},
                   {"name": "personal", "share": 0.2, "search_weights": [0.5, 0.4, 0.1]}]}]

A listener's bucket is ``sha256(experiment NUL listener)`` read as a number in [0, 1): the same
in every process and on every deploy, independent across experiments, and moving a share only
moves the listeners at the edge of it. Each surface runs at most one experiment, so variants
never fight over a knob. The plan is pure data: the gateway's settings validate it at
start-up, ``crossfade eval --experiment`` reads it, and ``resolvers/experiments.py`` serves it.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

Surface = Literal["recommendations", "search"]
SURFACES: tuple[Surface, ...] = ("recommendations", "search")
# The scorers a served artifact carries (ranking.core.RankingCore.alternates) plus "default".
MODELS = ("default", "ease", "ease_debiased", "pure_svd", "popularity")


@dataclass(frozen=True, slots=True)
class Variant:
    """What a bucket of listeners gets; unset knobs keep the production behaviour."""

    name: str
    share: float
    model: str = "default"
    diversity: bool = True  # at most 2 tracks per artist on the Recommended shelf
    search_weights: tuple[float, float, float] | None = None  # relevance, affinity, popularity

    @property
    def model_override(self) -> str | None:
        return None if self.model == "default" else self.model


CONTROL = Variant("control", 1.0)


@dataclass(frozen=True, slots=True)
class Experiment:
    name: str
    surface: Surface
    variants: tuple[Variant, ...]

    def assign(self, listener: str) -> Variant:
        """The listener's variant: stable, and spread by the declared shares."""
        digest = hashlib.sha256(f"{self.name}\x00{listener}".encode()).digest()
        point = int.from_bytes(digest[:8], "big") / 2.0**64
        edge = 0.0
        for variant in self.variants:
            edge += variant.share
            if point < edge:
                return variant
        return self.variants[-1]  # float rounding at the top edge


@dataclass(frozen=True, slots=True)
class ExperimentPlan:
    """Every declared experiment, at most one per surface."""

    experiments: tuple[Experiment, ...] = ()

    def on(self, surface: Surface) -> Experiment | None:
        return next((e for e in self.experiments if e.surface == surface), None)

    def model_variants(self, name: str) -> dict[str, str]:
        """Variant name → model, for ``crossfade eval --experiment NAME``."""
        for e in self.experiments:
            if e.name == name:
                return {v.name: v.model for v in e.variants}
        known = ", ".join(e.name for e in self.experiments) or "none declared"
        raise LookupError(f"no experiment named {name!r} in CROSSFADE_EXPERIMENTS ({known})")


def parse_plan(raw: Sequence[Mapping[str, Any]]) -> ExperimentPlan:
    """Validate the settings' JSON; raises ``ValueError`` saying what is wrong where."""
    experiments: list[Experiment] = []
    for n, spec in enumerate(raw):
        name = _text(spec, "name", f"experiment {n}")
        where = f"experiment {name!r}"
        surface = spec.get("surface", "recommendations")
        if surface not in SURFACES:
            raise ValueError(f"{where}: surface must be one of {SURFACES}, got {surface!r}")
        if any(e.name == name for e in experiments):
            raise ValueError(f"{where}: declared twice")
        if any(e.surface == surface for e in experiments):
            raise ValueError(f"{where}: another experiment already runs on {surface!r}")
        raw_variants = spec.get("variants")
        if not isinstance(raw_variants, list) or not raw_variants:
            raise ValueError(f"{where}: needs a non-empty list of variants")
        variants = tuple(_variant(v, where) for v in raw_variants)
        if len({v.name for v in variants}) != len(variants):
            raise ValueError(f"{where}: variant names must be unique")
        total = sum(v.share for v in variants)
        if not math.isclose(total, 1.0, abs_tol=1e-6):
            raise ValueError(f"{where}: variant shares must add up to 1, not {total:g}")
        experiments.append(Experiment(name, surface, variants))
    return ExperimentPlan(tuple(experiments))


def _text(spec: Mapping[str, Any], key: str, where: str) -> str:
    value = spec.get(key) if isinstance(spec, Mapping) else None
    if not isinstance(value, str) or not value:
        raise ValueError(f"{where}: {key!r} must be a non-empty string")
    return value


def _variant(spec: Mapping[str, Any], where: str) -> Variant:
    name = _text(spec, "name", f"{where} variant")
    here = f"{where} variant {name!r}"
    unknown = set(spec) - {"name", "share", "model", "diversity", "search_weights"}
    if unknown:
        raise ValueError(f"{here}: unknown keys {sorted(unknown)}")
    share = spec.get("share")
    if isinstance(share, bool) or not isinstance(share, int | float) or not 0 <= share <= 1:
        raise ValueError(f"{here}: share must be a number in [0, 1]")
    model = spec.get("model", "default")
    if model not in MODELS:
        raise ValueError(f"{here}: model must be one of {MODELS}, got {model!r}")
    diversity = spec.get("diversity", True)
    if not isinstance(diversity, bool):
        raise ValueError(f"{here}: diversity must be true or false")
    weights = spec.get("search_weights")
    if weights is not None:
        ok = isinstance(weights, list) and len(weights) == 3
        ok = ok and all(isinstance(w, int | float) and w >= 0 for w in weights)
        if not ok:
            raise ValueError(f"{here}: search_weights must be [relevance, affinity, popularity]")
        weights = (float(weights[0]), float(weights[1]), float(weights[2]))
    return Variant(name, float(share), model, diversity, weights)
