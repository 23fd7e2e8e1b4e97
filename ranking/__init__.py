"""Crossfade's in-process ranking core (pure numpy; reads the store only to train).

Resolvers use :class:`RankingCore` (``RankingCore.load(models_dir)`` once per process);
``crossfade train`` uses :func:`train` / :func:`is_stale`; ``crossfade eval`` uses
:func:`read_interactions_tsv`, :func:`evaluate` and :func:`standard_models`.
Importing this package loads no model and touches no file.
"""

from ranking.artifact import ModelNotFoundError
from ranking.core import RankingCore, ScoredTrack
from ranking.dataset import Interactions, read_interactions_tsv, write_interactions_tsv
from ranking.evaluation import evaluate, standard_models
from ranking.mixes import DailyMix
from ranking.train import is_stale, train

__all__ = [
    "DailyMix",
    "Interactions",
    "ModelNotFoundError",
    "RankingCore",
    "ScoredTrack",
    "evaluate",
    "is_stale",
    "read_interactions_tsv",
    "standard_models",
    "train",
    "write_interactions_tsv",
]
