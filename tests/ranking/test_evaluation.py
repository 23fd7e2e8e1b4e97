"""The evaluation protocol on a hand-made log, with every number worked out by hand."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from ranking import Interactions, evaluate, read_interactions_tsv
from ranking.holdout import split
from ranking.metrics import ndcg_at, recall_at
from ranking.popularity import Popularity
from ranking.scorer import Vector, sparse_of

# Users 1, 2, 3, 4, 10 (numeric order; as strings "10" would come second).
# Users 2 and 4 have 4 items each: they only train and draw nothing from the generator.
LOG = [
    *[(1, i) for i in (20, 1, 2, 3, 10)],  # unsorted on purpose
    *[(2, i) for i in (50, 51, 52, 53)],
    *[(3, i) for i in (1, 2, 3, 4, 5, 6)],
    *[(4, i) for i in (54, 55, 56, 57)],
    *[(10, i) for i in (1, 2, 3, 4, 5, 6, 10, 20, 30, 40)],
]


def write_log(path: Path) -> Path:
    rows = ["user\titem\tweight\ttimestamp"] + [f"{u}\t{i}\t1\t0" for u, i in LOG]
    rows.append("1\t20\t2\t5")  # a repeated pair adds up, it is not a new item
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


class ById:
    """A fixed model: the higher the item ID, the better, for every listener."""

    name = "by_id"

    def __init__(self, items: np.ndarray) -> None:
        self.scores = items.astype(np.float32)

    def score(self, history: Vector) -> Vector:
        return self.score_items(*sparse_of(history))

    def score_items(self, indices: np.ndarray, weights: Vector) -> Vector:
        return self.scores.copy()


def test_split_follows_the_protocol(tmp_path: Path) -> None:
    log = read_interactions_tsv(write_log(tmp_path / "log.tsv"))
    assert log.users.tolist() == [1, 2, 3, 4, 10]
    hold = split(log)
    # default_rng(42): permutation(5) = [4 2 3 1 0] for user 1 -> position 4 of
    # [1, 2, 3, 10, 20]; permutation(6) = [0 3 5 1 2 4] for user 3 -> floor(0.2*6)=1 item,
    # position 0 of [1..6]; permutation(10) = [6 8 ...] for user 10 -> 2 items, positions 6 and
    # 8 of [1, 2, 3, 4, 5, 6, 10, 20, 30, 40].
    held = [log.items[t].tolist() for t in hold.test]
    assert [int(log.users[u]) for u in hold.users] == [1, 3, 10]
    assert held == [[20], [1], [10, 30]]
    assert hold.train.nnz == log.nnz - 4
    assert hold.train.n_items == 18  # test-only items stay in the catalog


def test_metrics_of_a_fixed_ranking_match_the_hand_computation(tmp_path: Path) -> None:
    log = read_interactions_tsv(write_log(tmp_path / "log.tsv"))
    result = evaluate(log, {"by_id": lambda t: ById(t.items)}, select_default=False)
    m = result["models"]["by_id"]
    # Catalog: 1-6, 10, 20, 30, 40, 50-57 (18 items); ranking = descending ID minus training.
    # user 1 (test {20}): 57..50, 40, 30 | 20 at rank 11 -> R@10 0, NDCG 0, R@50 1
    # user 3 (test {1}): 57..50, 40, 30 | 20, 10, 1 at rank 13 -> 0, 0, 1
    # user 10 (test {10, 30}): 57..50, 30 (rank 9), 10 (rank 10) -> R@10 2/2 = 1,
    #   NDCG = (1/log2 10 + 1/log2 11) / (1 + 1/log2 3) = (0.30103 + 0.28906) / 1.63093 = 0.36182
    assert m["recall@10"] == pytest.approx(1 / 3)
    assert m["ndcg@10"] == pytest.approx(0.36182 / 3, abs=1e-5)
    assert m["recall@50"] == pytest.approx(1.0)
    # top-10s: {50..57, 40, 30} twice and {50..57, 30, 10}: 11 distinct of 18 items
    assert m["coverage@10"] == pytest.approx(11 / 18)
    assert m["latency_ms"] > 0
    assert result["default"] == "by_id"


def test_default_model_is_chosen_on_validation_not_test(tmp_path: Path) -> None:
    log = read_interactions_tsv(write_log(tmp_path / "log.tsv"))
    result = evaluate(log, {"popularity": Popularity.fit, "by_id": lambda t: ById(t.items)})
    assert set(result["models"]) == {"popularity", "by_id"}
    assert result["default"] in {"popularity", "by_id"}


def test_recall_divides_hits_by_the_test_size() -> None:
    ranked = np.array([5, 1, 7, 2])
    assert recall_at(ranked, np.array([1, 2, 3]), 2) == pytest.approx(1 / 3)  # 1 hit of 3
    assert recall_at(ranked, np.array([1, 2, 3]), 4) == pytest.approx(2 / 3)
    # one hit at rank 2 of 2 relevant: (1/log2 3) / (1 + 1/log2 3) = 0.63093 / 1.63093
    assert ndcg_at(ranked, np.array([1, 9]), 4) == pytest.approx(0.38685, abs=1e-5)


def test_string_ids_sort_as_strings(tmp_path: Path) -> None:
    path = tmp_path / "s.tsv"
    path.write_text("user\titem\tweight\nb\tx10\t1\na\tx2\t2\nb\tx2\t1\n", encoding="utf-8")
    log = read_interactions_tsv(path)
    assert log.users.tolist() == ["a", "b"]
    assert log.items.tolist() == ["x10", "x2"]
    assert isinstance(log, Interactions) and log.row(1)[0].tolist() == [0, 1]
