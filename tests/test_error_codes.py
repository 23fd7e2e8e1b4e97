"""The error vocabulary: one enum, one refusal shape, and a README that lists every code."""

from __future__ import annotations

import re
from pathlib import Path

import orjson
import pytest

from gateway.refusal import refusal
from resolvers.clients.errors import ErrorCode

README = Path(__file__).resolve().parent.parent / "README.md"
ROW = re.compile(r"^\| `([A-Z_]+)` \| (\d{3}|—) \| (.+) \|$")


def readme_codes() -> dict[str, int | None]:
    section = README.read_text().split("## Error codes", 1)[1].split("\n## ", 1)[0]
    rows = (ROW.match(line) for line in section.splitlines())
    return {m[1]: None if m[2] == "—" else int(m[2]) for m in rows if m}


def test_the_readme_lists_every_code_with_its_status() -> None:
    assert readme_codes() == {code.value: code.http_status for code in ErrorCode}


@pytest.mark.parametrize("code", [c for c in ErrorCode if c.http_status is not None])
def test_every_http_refusal_has_one_shape(code: ErrorCode) -> None:
    response = refusal(code, "why", headers={"retry-after": "1"}, service="search")
    assert response.status_code == code.http_status
    assert response.headers["content-type"] == "application/json"
    assert response.headers["retry-after"] == "1"
    assert orjson.loads(response.body) == {
        "errors": [{"message": "why", "extensions": {"code": code.value, "service": "search"}}]
    }


def test_codes_sent_only_inside_graphql_responses_have_no_refusal() -> None:
    with pytest.raises(ValueError, match="only ever sent inside"):
        refusal(ErrorCode.BAD_USER_INPUT, "why")


def test_ours_and_theirs() -> None:
    ours = {c for c in ErrorCode if not c.client_error}
    assert ours == {
        ErrorCode.BACKEND_UNAVAILABLE,
        ErrorCode.OVERLOADED,
        ErrorCode.BACKEND_TIMEOUT,
        ErrorCode.INTERNAL_SERVER_ERROR,
    }
