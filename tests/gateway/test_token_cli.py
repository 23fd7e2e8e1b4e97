"""`crossfade token` signs one token per listener, so a load generator can be many listeners."""

from __future__ import annotations

import httpx
import jwt
import pytest

from gateway.cli import main
from gateway.config import Settings
from resolvers.global_id import to_global_id


def claims(token: str) -> dict[str, object]:
    settings = Settings()
    decoded: dict[str, object] = jwt.decode(
        token,
        settings.jwt_secret,
        algorithms=["HS256"],
        audience=settings.jwt_audience,
        issuer=settings.jwt_issuer,
    )
    return decoded


def printed_subjects(capsys: pytest.CaptureFixture[str], *argv: str) -> list[object]:
    assert main(["token", *argv]) == 0
    out = capsys.readouterr().out
    assert out.endswith("\n")
    return [claims(line)["sub"] for line in out.splitlines()]


def test_one_listener_prints_one_token(capsys: pytest.CaptureFixture[str]) -> None:
    assert printed_subjects(capsys, "user-7") == ["user-7"]


def test_several_listeners_print_one_token_each_in_order(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert printed_subjects(capsys, "user-3", "user-1", "user-2") == ["user-3", "user-1", "user-2"]


def test_count_signs_the_first_n_listeners_after_the_named_ones(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert printed_subjects(capsys, "--count", "3") == ["user-1", "user-2", "user-3"]
    assert printed_subjects(capsys, "user-9", "--count", "2") == ["user-9", "user-1", "user-2"]


def test_a_thousand_listeners_get_a_thousand_distinct_tokens(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["token", "--count", "1000"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(set(lines)) == 1000
    assert claims(lines[-1])["sub"] == "user-1000"


def test_a_bad_handle_anywhere_prints_no_token(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["token", "user-1", "alice", "user-2"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == "error: 'alice' is not a listener handle like 'user-1'.\n"


def test_no_listener_at_all_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["token"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == "error: name at least one listener (user-1 ...) or pass --count N\n"


@pytest.mark.parametrize("count", ["0", "-1", "many"])
def test_a_count_that_is_not_a_positive_whole_number_is_a_usage_error(
    count: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["token", "--count", count])
    assert exit_.value.code == 2
    assert capsys.readouterr().out == ""


@pytest.mark.anyio
async def test_each_printed_token_signs_in_as_its_own_listener(
    client: httpx.AsyncClient, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["token", "user-3", "user-1", "user-2"]) == 0
    tokens = capsys.readouterr().out.splitlines()
    answers = []
    for token in tokens:
        response = await client.post(
            "/graphql",
            json={"query": "{ me { id handle } }"},
            headers={"authorization": f"Bearer {token}"},
        )
        assert response.status_code == 200
        answers.append(response.json())
    assert answers == [
        {
            "data": {"me": {"id": to_global_id("User", n), "handle": f"user-{n}"}},
            "extensions": {"cost": {"requested": 7, "limit": 10_000}},
        }
        for n in (3, 1, 2)
    ]
