"""``crossfade schema check``: a breaking change in use fails naming its clients and operations,
an unused one that was deprecated first passes, operations and trusted documents are
re-validated, and a base from git history works, or is skipped where history lacks it."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import orjson
import pytest

from gateway.cli import main
from gateway.governance.manifest import build_manifest
from gateway.usage.usage_store import hour_label, hour_of
from tests.support.repo import SDL
from tests.support.usage import ARTIST_PAGE, crossfade, sdl_with

GENRES = '  """Genres the artist\'s tracks belong to."""\n  genres: [String!]!\n'
TRACK_COUNT = '  """How many of its tracks the catalog holds."""\n  trackCount: Int!\n'
DURATION = '  """Length in milliseconds."""\n  durationMs: Int!\n'


def deprecate(field: str, reason: str = "Going away.") -> dict[str, str]:
    line = field.splitlines()[-1]
    return {line: f'{line} @deprecated(reason: "{reason}")'}


def remove(*fields: str) -> dict[str, str]:
    return dict.fromkeys(fields, "")


def write(path: Path, replacements: dict[str, str]) -> Path:
    path.write_text(sdl_with(replacements))
    return path


def now() -> str:
    return hour_label(hour_of(time.time()))


@pytest.fixture
def no_usage(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CROSSFADE_USAGE_DB", str(tmp_path / "no-usage.db"))


def empty_sections() -> list[str]:
    return ["", "Dangerous changes (0):", "", "Safe changes (0):", ""]


@pytest.mark.anyio
async def test_a_breaking_change_in_use_fails_naming_the_client_and_operation(
    recorded: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # given a base that deprecated Artist.genres, which ios 3.2.0 still reads in ArtistPage
    base = write(tmp_path / "base.graphql", deprecate(GENRES))
    new = write(tmp_path / "new.graphql", remove(GENRES))
    # when the change removes it
    code = main(["schema", "check", "--base", str(base), "--schema", str(new)])
    # then the check fails and says who would break
    assert code == 1
    assert capsys.readouterr().out.splitlines() == [
        f"Schema check: {new} against {base}",
        f"Usage: the last 30 days, from {recorded}",
        "",
        "Breaking changes (1):",
        "  BLOCKS  FIELD_REMOVED: Field Artist.genres was removed.",
        "      in use within the last 30 days by:",
        "        client     operation   requests  last used (UTC)",
        f"        ios 3.2.0  ArtistPage         4  {now()}",
        *empty_sections(),
        "Operations: 10 checked (stakeholder operations), 0 no longer valid",
        "FAIL: 1 breaking change(s) blocked, 0 operation(s) invalid",
    ]


@pytest.mark.anyio
async def test_an_unused_deprecated_field_may_go(
    recorded: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    base = write(tmp_path / "base.graphql", deprecate(TRACK_COUNT))
    new = write(tmp_path / "new.graphql", remove(TRACK_COUNT))
    assert main(["schema", "check", "--base", str(base), "--schema", str(new)]) == 0
    assert capsys.readouterr().out.splitlines() == [
        f"Schema check: {new} against {base}",
        f"Usage: the last 30 days, from {recorded}",
        "",
        "Breaking changes (1):",
        "  passes  FIELD_REMOVED: Field Album.trackCount was removed.",
        "      deprecated in the base, unused within the last 30 days",
        *empty_sections(),
        "Operations: 10 checked (stakeholder operations), 0 no longer valid",
        "OK: no breaking change in use, every operation valid",
    ]


@pytest.mark.usefixtures("no_usage")
def test_an_unused_field_goes_only_after_a_deprecation(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    new = write(tmp_path / "new.graphql", remove(TRACK_COUNT))
    assert main(["schema", "check", "--base", str(SDL), "--schema", str(new)]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[1] == (
        f"Usage: none recorded here ({tmp_path / 'no-usage.db'}); "
        "breaking changes are judged on deprecation alone"
    )
    assert out[4:7] == [
        "  BLOCKS  FIELD_REMOVED: Field Album.trackCount was removed.",
        "      not @deprecated in the base: deprecate it first, remove it once unused for 30 days",
        "",
    ]


@pytest.mark.usefixtures("no_usage")
def test_an_operation_that_no_longer_validates_fails_the_check(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # given a deprecated field no usage was recorded for, but the stakeholders' screens read
    base = write(tmp_path / "base.graphql", deprecate(DURATION))
    new = write(tmp_path / "new.graphql", remove(DURATION))
    assert main(["schema", "check", "--base", str(base), "--schema", str(new)]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[-4:] == [
        "Operations: 10 checked (stakeholder operations), 2 no longer valid",
        "  HomeFeed.graphql: HomeFeed: Cannot query field 'durationMs' on type 'Track'.",
        "  Playlist.graphql: Playlist: Cannot query field 'durationMs' on type 'Track'.",
        "FAIL: 0 breaking change(s) blocked, 2 operation(s) invalid",
    ]


@pytest.mark.usefixtures("no_usage")
def test_the_trusted_documents_are_validated_too(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    document = tmp_path / "ArtistPage.graphql"
    document.write_text(ARTIST_PAGE)
    manifest = tmp_path / "manifest.json"
    manifest.write_bytes(orjson.dumps(build_manifest([document])))
    monkeypatch.setenv("CROSSFADE_TRUSTED_DOCUMENTS", str(manifest))
    base = write(tmp_path / "base.graphql", deprecate(GENRES))
    new = write(tmp_path / "new.graphql", remove(GENRES))
    assert main(["schema", "check", "--base", str(base), "--schema", str(new)]) == 1
    assert capsys.readouterr().out.splitlines()[-3:] == [
        f"Operations: 11 checked (stakeholder operations and {manifest}), 1 no longer valid",
        "  manifest.json: ArtistPage: Cannot query field 'genres' on type 'Artist'.",
        "FAIL: 0 breaking change(s) blocked, 1 operation(s) invalid",
    ]


def git(repo: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-c", "user.name=Test", "-c", "user.email=test@example.com", *args],
        cwd=repo,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip()


def commit_sdl(repo: Path, replacements: dict[str, str], message: str) -> None:
    (repo / "schema").mkdir(parents=True, exist_ok=True)
    write(repo / "schema" / "schema.graphql", replacements)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", message)


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A git repository whose history deprecates Album.trackCount, then removes it."""
    root = tmp_path / "repo"
    root.mkdir()
    git(root, "init", "-q")
    (root / "README").write_text("before the SDL was committed\n")
    git(root, "add", "README")
    git(root, "commit", "-q", "-m", "start")
    commit_sdl(root, {}, "the SDL")
    commit_sdl(root, deprecate(TRACK_COUNT), "deprecate Album.trackCount")
    commit_sdl(root, remove(TRACK_COUNT), "remove Album.trackCount")
    monkeypatch.setenv("CROSSFADE_USAGE_DB", str(tmp_path / "no-usage.db"))
    monkeypatch.chdir(root)
    return root


def test_a_git_revision_is_a_base(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    sdl = "schema/schema.graphql"
    # removing what the previous commit deprecated passes ...
    assert main(["schema", "check", "--base", "HEAD~1", "--schema", sdl]) == 0
    out = capsys.readouterr().out.splitlines()
    parent = git(repo, "rev-parse", "--short=7", "HEAD~1")
    assert out[0] == f"Schema check: {sdl} against HEAD~1 ({sdl} at {parent})"
    assert out[4] == "  passes  FIELD_REMOVED: Field Album.trackCount was removed."
    # ... removing it straight from the committed SDL does not
    assert main(["schema", "check", "--base", "HEAD~2", "--schema", sdl]) == 1
    assert "not @deprecated in the base" in capsys.readouterr().out
    # and the live code's schema is the default
    assert main(["schema", "check", "--base", "HEAD~2"]) == 0
    assert capsys.readouterr().out.splitlines()[0].startswith("Schema check: the live schema")


def test_history_that_lacks_the_base_skips_the_check_with_a_notice(
    repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # before the SDL was committed
    assert main(["schema", "check", "--base", "HEAD~3"]) == 0
    start = git(repo, "rev-parse", "--short=7", "HEAD~3")
    assert capsys.readouterr().out == (
        f"schema check skipped: HEAD~3 ({start}) has no schema/schema.graphql\n"
    )
    # beyond the first commit
    assert main(["schema", "check", "--base", "HEAD~9"]) == 0
    assert capsys.readouterr().out == (
        "schema check skipped: HEAD~9 does not exist: HEAD has 4 commit(s)\n"
    )
    # a shallow clone, as CI checkouts often are
    shallow = tmp_path / "shallow"
    git(tmp_path, "clone", "-q", "--depth", "1", f"file://{repo}", str(shallow))
    monkeypatch.chdir(shallow)
    assert main(["schema", "check", "--base", "HEAD~1"]) == 0
    assert capsys.readouterr().out == (
        "schema check skipped: HEAD~1 is not in this shallow clone "
        "(`git fetch --deepen=1` brings it)\n"
    )
    # outside any repository
    monkeypatch.chdir(tmp_path)
    assert main(["schema", "check", "--base", "HEAD~1"]) == 0
    assert "is not inside a git repository" in capsys.readouterr().out


def test_a_base_that_names_nothing_is_an_error(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["schema", "check", "--base", "v9.9"]) == 2
    assert capsys.readouterr().err == "error: 'v9.9' is neither a file nor a git revision\n"
    assert main(["schema", "check", "--base", "old.graphql"]) == 2
    assert capsys.readouterr().err == "error: old.graphql: no such file\n"


def test_schema_with_no_subcommand_or_print_still_prints_the_sdl(
    capsys: pytest.CaptureFixture[str],
) -> None:
    for argv in (["schema"], ["schema", "print"]):
        assert main(argv) == 0
        assert capsys.readouterr().out.strip() == SDL.read_text().strip()


@pytest.mark.slow
@pytest.mark.anyio
async def test_the_check_from_the_command_line(recorded: Path, tmp_path: Path) -> None:
    base = write(tmp_path / "base.graphql", {**deprecate(GENRES), **deprecate(TRACK_COUNT)})
    env = {"CROSSFADE_USAGE_DB": str(recorded)}
    in_use = write(tmp_path / "in_use.graphql", remove(GENRES))
    unused = write(tmp_path / "unused.graphql", remove(TRACK_COUNT))
    failed = crossfade("schema", "check", "--base", str(base), "--schema", str(in_use), env=env)
    passed = crossfade("schema", "check", "--base", str(base), "--schema", str(unused), env=env)
    assert (failed.returncode, passed.returncode) == (1, 0), failed.stderr + passed.stderr
    assert f"        ios 3.2.0  ArtistPage         4  {now()}" in failed.stdout.splitlines()
    assert passed.stdout.splitlines()[-1] == (
        "OK: no breaking change in use, every operation valid"
    )


def test_a_configured_usage_store_that_is_down_gives_no_verdict(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from tests.support.loopback import free_port

    monkeypatch.setenv("CROSSFADE_REDIS_URL", f"redis://127.0.0.1:{free_port()}/0")
    assert main(["schema", "check", "--base", str(SDL)]) == 2
    assert capsys.readouterr().err.startswith("error: usage unavailable: ")
    assert main(["usage"]) == 2
    assert capsys.readouterr().err.startswith("error: usage unavailable: ")
