"""The popularity-debiasing β rule on a tiny hand-made score matrix."""

from __future__ import annotations

import numpy as np
import pytest

from ranking.dataset import Interactions
from ranking.debias import choose_beta, column_scale, item_counts

# 12 items: 0 and 1 are head items (100 training users each), 2..11 the tail (1 user each).
COUNTS = np.array([100, 100] + [1] * 10)


def _scores() -> np.ndarray:
    # Both users score the head items 2.0 and 1.9, the tail 1.0 down to 0.55 (item 2 highest).
    # User A has items 10 and 11 in their history (-inf), so A's top-10 is always 0..9;
    # user B has no masked item, so B's top-10 is 0..9 at β = 0 and 2..11 once the head
    # items are divided by 100^β below the tail (β = 0.5: 0.2 and 0.19 < 0.55).
    row = np.array([2.0, 1.9, *np.linspace(1.0, 0.55, 10)], dtype=np.float32)
    a, b = row.copy(), row.copy()
    a[[10, 11]] = -np.inf
    return np.stack([a, b])


def test_column_scale_is_count_to_minus_beta_and_ones_at_zero() -> None:
    counts = np.array([0, 1, 4, 16])
    assert column_scale(counts, 0.0).tolist() == [1.0, 1.0, 1.0, 1.0]
    assert column_scale(counts, 0.5) == pytest.approx([1.0, 1.0, 0.5, 0.25])


def test_item_counts_are_users_per_item() -> None:
    log = Interactions.from_triples(
        np.array([0, 0, 1, 2]),
        np.array([0, 1, 0, 0]),
        np.array([5.0, 1.0, 1.0, 2.0]),
        np.array([1, 2, 3]),
        np.array([10, 20, 30]),
    )
    assert item_counts(log).tolist() == [3, 1, 0]


def test_takes_the_beta_that_widens_coverage_when_ndcg_holds() -> None:
    # Tests: A {2}, B {11}. β = 0: A hits at rank 3 (1/log2 4 = 0.5), B misses -> NDCG 0.25,
    # coverage {0..9} = 10/12. β = 0.5: A hits at rank 1 (1.0), B at rank 10 (1/log2 11 =
    # 0.28906) -> NDCG 0.64453, coverage {0..11} = 12/12.
    choice = choose_beta(_scores(), [np.array([2]), np.array([11])], COUNTS, betas=(0.0, 0.5))
    base, wide = choice.trials
    assert (base["ndcg@10"], base["coverage@10"]) == pytest.approx((0.25, 10 / 12))
    assert (wide["ndcg@10"], wide["coverage@10"]) == pytest.approx((0.64453, 1.0), abs=1e-5)
    assert choice.beta == 0.5


def test_keeps_beta_zero_when_the_wider_coverage_breaks_the_ndcg_floor() -> None:
    # Tests: A {0}, B {0}. β = 0: both hit at rank 1 -> NDCG 1. β = 0.5: A's item 0 (0.2)
    # falls to rank 9 (1/log2 10 = 0.30103), B's leaves the top 10 -> NDCG 0.15051 < 0.97.
    choice = choose_beta(_scores(), [np.array([0]), np.array([0])], COUNTS, betas=(0.0, 0.5))
    assert choice.trials[1]["ndcg@10"] == pytest.approx(0.30103 / 2, abs=1e-5)
    assert choice.trials[1]["coverage@10"] > choice.trials[0]["coverage@10"]
    assert choice.beta == 0.0


def test_a_beta_that_changes_nothing_does_not_displace_a_smaller_one() -> None:
    # β = 0.01 leaves every ranking as it is (2.0 / 100^0.01 = 1.91 > 1.0): equal coverage,
    # so the tie goes to β = 0.
    choice = choose_beta(_scores(), [np.array([2]), np.array([11])], COUNTS, betas=(0.0, 0.01))
    assert choice.trials[0]["coverage@10"] == choice.trials[1]["coverage@10"]
    assert choice.beta == 0.0
