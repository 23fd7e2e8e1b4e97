"""Tiny hand-made interaction logs for ``crossfade eval`` (the worked example is in
tests/test_eval_cli.py's docstring): the same pairs as string and as integer IDs."""

from __future__ import annotations

from pathlib import Path

LETTERS = {"a": 5, "b": 9, "c": 10, "d": 20, "e": 100, "f": 200, "g": 300, "h": 1000}
PAIRS = [("A", "abcde"), ("B", "abcfg"), ("C", "ef"), ("D", "egh")]


def string_log(path: Path) -> Path:
    """String IDs with a timestamp column: "u10" sorts before "u2" as a string."""
    names = {"A": "u1", "B": "u10", "C": "u2", "D": "u3"}
    rows = ["user\titem\tweight\ttimestamp"]
    rows += [
        f"{names[u]}\t{i}\t{n + 1}\t{1700000000 + n}" for u, s in PAIRS for n, i in enumerate(s)
    ]
    rows.append("u1\ta\t3\t1700000099")  # a repeated pair adds up; it is not a new item
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def int_log(path: Path) -> Path:
    """Integer IDs: numerically A=2 comes before B=10 (as strings "10" would come first and
    the split would differ); no timestamp column and free header names."""
    names = {"A": 2, "B": 10, "C": 30, "D": 40}
    rows = ["listener_id\tartist_id\tplays"]
    rows += [f"{names[u]}\t{LETTERS[i]}\t2" for u, s in reversed(PAIRS) for i in s[::-1]]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path
