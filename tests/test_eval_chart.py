"""``crossfade eval --out DIR`` writes its JSON report and a PNG chart of it side by side."""

from __future__ import annotations

import json
import struct
from pathlib import Path

import pytest

from gateway.cli import main
from tests.support.interaction_logs import string_log

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def png_size(data: bytes) -> tuple[int, int]:
    """Width and height from the PNG's IHDR chunk (always the first)."""
    assert data[:8] == PNG_SIGNATURE
    assert data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    return int(width), int(height)


def test_eval_writes_the_json_and_a_chart_of_ndcg_and_coverage_per_model(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # given a small log
    log = string_log(tmp_path / "log.tsv")
    out = tmp_path / "results" / "eval"
    # when eval runs with --out
    assert main(["eval", "--interactions", str(log), "--json", "--out", str(out)]) == 0
    printed = json.loads(capsys.readouterr().out)
    # then the folder holds the same JSON as printed, and a PNG beside it
    assert sorted(p.name for p in out.iterdir()) == ["eval.json", "eval.png"]
    assert json.loads((out / "eval.json").read_text()) == printed
    chart = (out / "eval.png").read_bytes()
    width, height = png_size(chart)
    # two panels side by side, one bar per model (5 models and more): a real drawing
    assert width == 1000 and height >= 0.45 * len(printed["models"]) * 100
    assert len(chart) > 10_000


def test_eval_without_out_writes_no_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    log = string_log(tmp_path / "log.tsv")
    monkeypatch.chdir(tmp_path)
    assert main(["eval", "--interactions", str(log)]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["log.tsv"]
