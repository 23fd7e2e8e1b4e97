"""The search blend's weights: relevance first, then personal affinity and popularity."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class SearchWeights:
    """score = relevance · w_rel + affinity · w_aff + popularity · w_pop (settings)."""

    relevance: float
    affinity: float
    popularity: float
