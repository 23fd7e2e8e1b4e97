"""``crossfade train``: fit the served models on the store and publish a new version."""

from __future__ import annotations

import hashlib
import json
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from numpy.typing import NDArray

from ranking import artifact
from ranking.als import fit_als, tune_als
from ranking.dataset import load_catalog, load_interactions, read_build_key
from ranking.debias import NDCG_FLOOR, item_counts
from ranking.ease import fit_ease
from ranking.factors import fit_pure_svd
from ranking.popularity import Popularity
from ranking.tuning import tune_ease

EMBEDDING_RANK = 64


# Bump when training writes something new (e.g. β and item counts): `train --if-stale`
# then retrains artifacts made by older code.
TRAINER_VERSION = "2"


def new_version(build_key: str | None, models_dir: Path) -> str:
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    tag = hashlib.blake2b((build_key or "").encode(), digest_size=4).hexdigest()
    version, n = f"{stamp}-{tag}", 1
    while (models_dir / version).exists():
        n += 1
        version = f"{stamp}-{tag}-{n}"
    return version


def train(db_path: Path, models_dir: Path, *, max_ease_items: int, progress: bool = True) -> Path:
    """Train on the store at ``db_path``, write ``models_dir/<version>/``, point CURRENT at it.

    EASE is fitted and served up to ``max_ease_items`` items (``Settings.max_ease_items``,
    where its memory rule is); past that, ALS factors (tuned on validation) are served.
    Returns the new version directory.
    """
    started = time.perf_counter()
    build_key = read_build_key(db_path)
    catalog = load_catalog(db_path)
    plays = load_interactions(db_path, catalog.track_ids)
    if progress:
        print(f"train: {plays.n_users} users, {plays.n_items} tracks, {plays.nnz} pairs")
    dense = plays.to_dense()
    arrays: dict[str, NDArray[Any]] = {}
    hyper: dict[str, Any] = {"embedding_rank": EMBEDDING_RANK}
    factors = fit_pure_svd(dense, EMBEDDING_RANK)
    arrays["item_factors"] = factors.factors
    arrays["factor_scale"] = factors.scale
    if plays.n_items <= max_ease_items and plays.nnz > 0:
        tuning = tune_ease(plays, progress=progress)
        model = fit_ease(dense, tuning.transform, tuning.lam)
        arrays["ease_weights"] = model.weights
        # Serving divides scores by count^β (ranking.debias); the counts are stored so the
        # core applies exactly the β chosen here, and β = 0 serves plain EASE.
        beta = tuning.beta.beta if tuning.beta is not None else 0.0
        arrays["ease_item_counts"] = item_counts(plays)
        name = "ease_debiased" if beta > 0 else model.name
        hyper |= {
            "transform": tuning.transform,
            "lambda": tuning.lam,
            "validation_ndcg@10": tuning.ndcg,
            "trials": tuning.trials,
            "beta": beta,
            "beta_rule": (
                f"max validation coverage@10 s.t. validation ndcg@10 >= {NDCG_FLOOR} x beta=0"
            ),
            "beta_trials": tuning.beta.trials if tuning.beta is not None else [],
        }
    elif plays.nnz > 0:
        chosen = tune_als(plays)
        als = fit_als(plays, alpha=chosen.alpha, regularization=chosen.regularization)
        arrays["als_factors"] = als.factors
        name = als.name
        hyper |= {
            "transform": factors.transform,
            "als_alpha": als.alpha,
            "als_regularization": als.regularization,
            "als_transform": als.transform,
            "validation_ndcg@10": chosen.ndcg,
            "trials": chosen.trials,
        }
    else:
        name = factors.name
        hyper |= {"transform": factors.transform}
    del dense
    pop = Popularity.fit(plays, prior=catalog.popularity / 100.0)
    arrays["popularity_scores"] = pop.scores
    models_dir = Path(models_dir)
    version = new_version(build_key, models_dir)
    metadata = {
        "model": name,
        "hyperparameters": hyper,
        "trained_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "build_key": build_key,
        "trainer_version": TRAINER_VERSION,
        "engine": "numpy",
        "counts": {
            "users": plays.n_users,
            "items": plays.n_items,
            "user_item_pairs": plays.nnz,
            "plays": int(plays.data.sum()),
        },
        "training_seconds": round(time.perf_counter() - started, 3),
    }
    path = artifact.save(models_dir, version, metadata, catalog, arrays)
    artifact.write_current(models_dir, version)
    if progress:
        print(f"train: wrote {path} in {metadata['training_seconds']} s")
    return path


def is_stale(db_path: Path, models_dir: Path) -> bool:
    """True when no complete model is published or it was built from different data."""
    try:
        version = artifact.read_current(models_dir)
        meta = json.loads((Path(models_dir) / version / artifact.METADATA).read_text("utf-8"))
    except (artifact.ModelNotFoundError, OSError, ValueError):
        return True
    if meta.get("trainer_version") != TRAINER_VERSION:
        return True  # trained by older code: its artifact may lack what serving now uses
    return bool(meta.get("build_key") != read_build_key(db_path))


__all__ = ["is_stale", "train"]
