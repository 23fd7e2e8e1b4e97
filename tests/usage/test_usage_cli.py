"""``crossfade usage``: who uses what, filtered by client and field, as a table or JSON; and
``--deprecated``: the deprecated fields still in use, with their clients and last use."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from gateway.cli import main
from gateway.usage.usage_report import parse_since, since_hour
from gateway.usage.usage_store import hour_label, hour_of
from tests.support.usage import crossfade, sdl_with

# A test schema: today's SDL with one field in use and one unused field deprecated.
DEPRECATING = {
    "  genres: [String!]!": '  genres: [String!]! @deprecated(reason: "Use Track.genre.")',
    "  trackCount: Int!": '  trackCount: Int! @deprecated(reason: "Count the tracks.")',
}


def now() -> str:
    return hour_label(hour_of(time.time()))


def since(days: int) -> str:
    return hour_label(since_hour(days * 86_400))


@pytest.mark.anyio
async def test_usage_of_one_client_and_type_as_a_table(
    recorded: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["usage", "--client", "ios", "--field", "Artist"]) == 0
    assert capsys.readouterr().out.splitlines() == [
        f"Field usage over the last 7 days (since {since(7)} UTC), from {recorded}",
        "coordinate     client     requests  last used (UTC)   operations",
        f"Artist.genres  ios 3.2.0         4  {now()}  ArtistPage",
        f"Artist.name    ios 3.2.0         4  {now()}  ArtistPage",
    ]


@pytest.mark.anyio
async def test_a_field_filter_takes_the_field_and_its_arguments_across_clients(
    recorded: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["usage", "--field", "Query.node", "--since", "24h", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    entry = {
        "client": "ios",
        "clientVersion": "3.2.0",
        "requests": 4,
        "lastUsed": f"{now()} UTC",
        "operations": {"ArtistPage": 4},
    }
    assert report == {
        "since": f"{since(1)} UTC",
        "source": str(recorded),
        "usage": [
            {"coordinate": "Query.node", **entry},
            {"coordinate": "Query.node(id:)", **entry},
        ],
    }


@pytest.mark.anyio
async def test_deprecated_fields_in_use_name_their_clients_and_last_use(
    recorded: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    schema = tmp_path / "deprecating.graphql"
    schema.write_text(sdl_with(DEPRECATING))
    assert main(["usage", "--deprecated", "--schema", str(schema), "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == {
        "since": f"{since(30)} UTC",
        "source": str(recorded),
        "inUse": [
            {
                "coordinate": "Artist.genres",
                "reason": "Use Track.genre.",
                "clients": [
                    {
                        "coordinate": "Artist.genres",
                        "client": "ios",
                        "clientVersion": "3.2.0",
                        "requests": 4,
                        "lastUsed": f"{now()} UTC",
                        "operations": {"ArtistPage": 4},
                    }
                ],
            }
        ],
        "unused": [{"coordinate": "Album.trackCount", "reason": "Count the tracks."}],
    }
    # the live schema deprecates nothing, and says so
    assert main(["usage", "--deprecated"]) == 0
    assert capsys.readouterr().out.splitlines()[1:] == [
        "  the schema deprecates no field or argument"
    ]


def test_nothing_recorded_yet(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("CROSSFADE_USAGE_DB", str(tmp_path / "usage.db"))
    assert main(["usage"]) == 0
    assert capsys.readouterr().out.splitlines()[1:] == ["  nothing recorded (no usage store yet)"]
    assert not (tmp_path / "usage.db").exists()  # reading creates nothing


def test_a_window_is_hours_days_or_weeks(capsys: pytest.CaptureFixture[str]) -> None:
    assert [parse_since(t) for t in ("36h", "7d", "2w")] == [36 * 3600, 7 * 86_400, 14 * 86_400]
    assert main(["usage", "--since", "7 years"]) == 2
    assert capsys.readouterr().err == ("error: '7 years' is not a duration such as 24h, 7d or 2w\n")


@pytest.mark.slow
@pytest.mark.anyio
async def test_the_deprecated_report_from_the_command_line(recorded: Path, tmp_path: Path) -> None:
    schema = tmp_path / "deprecating.graphql"
    schema.write_text(sdl_with(DEPRECATING))
    done = crossfade(
        "usage", "--deprecated", "--schema", str(schema), env={"CROSSFADE_USAGE_DB": str(recorded)}
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        f"Deprecated fields in use over the last 30 days (since {since(30)} UTC), from {recorded}",
        "Artist.genres  (deprecated: Use Track.genre.)",
        "  client     operations  requests  last used (UTC)",
        f"  ios 3.2.0  ArtistPage         4  {now()}",
        "Deprecated and unused over the last 30 days: Album.trackCount",
    ]
