from __future__ import annotations

import json
import shutil
import sqlite3
import time
from pathlib import Path

import numpy as np
import pytest

from ranking import Interactions, ModelNotFoundError, RankingCore, is_stale
from ranking.als import ALSFactors, fit_als
from ranking.ease import ease_predictor, ease_weights
from ranking.factors import ItemFactors
from ranking.linalg import spd_inverse
from ranking.metrics import top_k


def test_block_inverse_matches_lapack() -> None:
    rng = np.random.default_rng(1)
    x = rng.random((300, 1100)).astype(np.float32)
    g = x.T @ x + 10 * np.eye(1100, dtype=np.float32)
    expected = np.linalg.inv(g.astype(np.float64))
    assert np.abs(spd_inverse(g) - expected).max() < 1e-4 * np.abs(expected).max()


def test_ease_dual_form_equals_primal() -> None:
    rng = np.random.default_rng(2)
    x = (rng.random((40, 90)) < 0.2).astype(np.float32)  # fewer users than items: dual
    b = ease_weights(x, 5.0)
    p = np.linalg.inv(x.T.astype(np.float64) @ x + 5.0 * np.eye(90))
    expected = -p / np.diag(p)
    np.fill_diagonal(expected, 0.0)
    assert np.allclose(b, expected, atol=1e-4)
    assert np.allclose(ease_predictor(x, 5.0)(x[:3]), x[:3] @ expected, atol=1e-3)


def test_item_factors_score_is_factors_times_user_vector() -> None:
    q = np.arange(12, dtype=np.float32).reshape(6, 2)
    model = ItemFactors(q, np.ones(2, dtype=np.float32), transform="binary")
    scores = model.score_items(np.array([1, 4]), np.array([3.0, 1.0], dtype=np.float32))
    assert np.allclose(scores, q @ (q[1] + q[4]))


def test_training_writes_a_versioned_artifact(trained: tuple[Path, Path]) -> None:
    db, models = trained
    version = (models / "CURRENT").read_text().strip()
    meta = json.loads((models / version / "metadata.json").read_text())
    assert meta["version"] == version and meta["model"] == "ease"
    assert meta["build_key"] == "test-build-1"
    assert meta["counts"]["items"] == 120 and meta["counts"]["users"] == 240
    assert {"transform", "lambda"} <= meta["hyperparameters"].keys()
    assert meta["training_seconds"] > 0
    assert not is_stale(db, models)


def test_a_new_data_build_makes_the_model_stale(trained: tuple[Path, Path], tmp_path: Path) -> None:
    db, models = trained
    copy = tmp_path / "store.db"
    copy.write_bytes(db.read_bytes())
    with sqlite3.connect(copy) as conn:
        conn.execute("UPDATE meta SET value = 'test-build-2' WHERE key = 'build_key'")
    assert is_stale(copy, models)
    assert is_stale(db, tmp_path / "no-models")


def test_a_model_from_older_training_code_is_stale(
    trained: tuple[Path, Path], tmp_path: Path
) -> None:
    db, models = trained
    copy = tmp_path / "models"
    shutil.copytree(models, copy)
    version = (copy / "CURRENT").read_text().strip()
    meta_path = copy / version / "metadata.json"
    meta = json.loads(meta_path.read_text())
    meta["trainer_version"] = "1"
    meta_path.write_text(json.dumps(meta))
    assert not is_stale(db, models)
    assert is_stale(db, copy)


def test_loading_without_a_model_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ModelNotFoundError, match="crossfade train"):
        RankingCore.load(tmp_path)


def test_serving_is_sub_millisecond(core: RankingCore) -> None:
    history = {t: 2.0 for t in range(1, 40)}
    core.recommend(history, 20)
    start = time.perf_counter()
    for _ in range(50):
        core.recommend(history, 20, max_per_artist=2)
    assert (time.perf_counter() - start) / 50 < 0.005  # generous bound for loaded CI boxes


def test_top_k_is_exact_on_large_catalogs_with_ties_and_exclusions() -> None:
    rng = np.random.default_rng(3)
    scores = rng.standard_normal(200_000).astype(np.float32)
    scores[rng.choice(200_000, 5_000, replace=False)] = -np.inf
    scores[[10, 20, 30]] = 9.0  # a three-way tie at the top goes to the lower index
    expected = np.lexsort((np.arange(len(scores)), -scores))[:50]
    assert top_k(scores, 50).tolist() == expected.tolist()
    assert top_k(scores, 3).tolist() == [10, 20, 30]
    # Nearly everything excluded: the sampled bound is -inf and the full path answers.
    sparse = np.full(200_000, -np.inf, dtype=np.float32)
    sparse[[7, 199_999]] = [1.0, 2.0]
    assert top_k(sparse, 2).tolist() == [199_999, 7]


def test_als_fold_in_solves_the_users_normal_equations() -> None:
    rng = np.random.default_rng(4)
    y = rng.standard_normal((40, 6)).astype(np.float32)
    model = ALSFactors(y, y.T @ y, alpha=3.0, regularization=0.5, transform="log1p")
    idx = np.array([2, 5, 11])
    plays = np.array([1.0, 4.0, 9.0], dtype=np.float32)
    # Dense form: confidence 1 + (c - 1) on played items, preference 1 on them only.
    c = np.ones(40)
    c[idx] = 3.0 * np.log1p(plays)
    p = np.zeros(40)
    p[idx] = 1.0
    a = y.T.astype(np.float64) @ (c[:, None] * y) + 0.5 * np.eye(6)
    x = np.linalg.solve(a, y.T @ (c * p))
    assert np.allclose(model.user_vector(idx, plays), x, atol=1e-4)
    assert np.allclose(model.score_items(idx, plays), y @ x, atol=1e-3)


def test_als_learns_two_tastes_apart() -> None:
    # 60 listeners of items 0-9 and 60 of items 10-19, each playing 6 of their 10.
    rng = np.random.default_rng(5)
    users, items = [], []
    for u in range(120):
        base = 0 if u < 60 else 10
        for i in rng.choice(10, 6, replace=False):
            users.append(u)
            items.append(base + int(i))
    log = Interactions.from_triples(
        np.array(users), np.array(items), np.ones(len(users)), np.arange(120), np.arange(20)
    )
    model = fit_als(log, factors=4, iterations=10)
    scores = model.score_items(np.array([0, 1, 2], dtype=np.intp), np.ones(3, np.float32))
    scores[[0, 1, 2]] = -np.inf
    assert set(top_k(scores, 5).tolist()) <= set(range(3, 10))
