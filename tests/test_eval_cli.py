"""``crossfade eval`` end to end on tiny hand-made logs, popularity's metrics worked by hand.

The log (letters stand for items; the int version maps a..h to 5, 9, 10, 20, 100, 200, 300,
1000 so numeric and string order differ):

    listener A: a b c d e      listener B: a b c f g      C: e f      D: e g h

In ID order A comes before B, so one ``default_rng(42)`` gives A ``permutation(5)[0] = 4`` →
test {e} and B ``permutation(5)[0] = 3`` → test {f}; C and D (< 5 items) draw nothing.
Popularity counts training listeners: a b c e g → 2, d f h → 1, ties to the lower item.
A (train a-d) ranks e g f h: e at rank 1 → R@10 1, NDCG 1.
B (train a b c g) ranks e d f h: f at rank 3 → R@10 1, NDCG 1/log2(4) = 0.5.
Coverage: top-10s {e g f h} ∪ {e d f h} = 5 of the log's 8 items.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from gateway.cli import main
from tests.support.interaction_logs import int_log, string_log

EXPECTED_POPULARITY = {
    "recall@10": 1.0,
    "ndcg@10": 0.75,
    "recall@50": 1.0,
    "coverage@10": 5 / 8,
}
KEYS = {"recall@10", "ndcg@10", "recall@50", "coverage@10", "latency_ms"}


@pytest.mark.parametrize("make_log", [string_log, int_log])
def test_eval_json_follows_the_protocol(
    make_log: Callable[[Path], Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    log = make_log(tmp_path / "log.tsv")
    assert main(["eval", "--interactions", str(log), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert set(report) == {"default", "models"}
    assert {"popularity", "ease", "ease_debiased", "als", "pure_svd"} <= set(report["models"])
    assert report["default"] in report["models"]
    for metrics in report["models"].values():
        assert set(metrics) == KEYS
    pop = report["models"]["popularity"]
    for key, value in EXPECTED_POPULARITY.items():
        assert pop[key] == pytest.approx(value), key
    assert pop["latency_ms"] > 0


def test_eval_prints_a_table_by_default(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["eval", "--interactions", str(string_log(tmp_path / "log.tsv"))]) == 0
    out = capsys.readouterr().out
    assert "4 users, 8 items" in out
    header = next(line for line in out.splitlines() if line.startswith("model"))
    assert header.split() == [
        "model",
        "recall@10",
        "ndcg@10",
        "recall@50",
        "coverage@10",
        "latency_ms",
        "fit_s",
    ]
    assert "popularity" in out and "* default:" in out


def test_eval_rejects_unreadable_logs_with_a_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["eval", "--interactions", str(tmp_path / "missing.tsv")]) == 2
    assert "error:" in capsys.readouterr().err
    bad = tmp_path / "bad.tsv"
    bad.write_text("user\titem\tweight\nu1\ta\tlots\n", encoding="utf-8")
    assert main(["eval", "--interactions", str(bad), "--json"]) == 2
    assert "bad.tsv:2: bad row" in capsys.readouterr().err
    empty = tmp_path / "empty.tsv"
    empty.write_text("", encoding="utf-8")
    assert main(["eval", "--interactions", str(empty)]) == 2
    assert "empty file" in capsys.readouterr().err


def test_eval_compares_the_model_variants_of_an_experiment(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(
        "CROSSFADE_EXPERIMENTS",
        json.dumps(
            [
                {
                    "name": "home-model",
                    "variants": [
                        {"name": "control", "share": 0.5},
                        {"name": "pop", "share": 0.5, "model": "popularity"},
                    ],
                }
            ]
        ),
    )
    log = str(string_log(tmp_path / "log.tsv"))
    assert main(["eval", "--interactions", log, "--json", "--experiment", "home-model"]) == 0
    models = json.loads(capsys.readouterr().out)["models"]
    assert models["variant:pop"] == models["popularity"]
    # the served default: tuned EASE with the validation-chosen popularity β
    assert models["variant:control"] == models["ease_debiased"]
    assert main(["eval", "--interactions", log, "--experiment", "nope"]) == 2
    assert "no experiment named 'nope'" in capsys.readouterr().err
