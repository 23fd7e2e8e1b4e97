"""The cheap parse the response cache does before Strawberry: which document, which
operation, which variables (canonical: sorted-key JSON), from a POST body or a GET's query
string. Anything unusual (a batch, a non-object, wrong types) is left to the GraphQL view,
which answers it properly; the cache just steps aside.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

import orjson

_SHA256 = re.compile(r"^[0-9a-fA-F]{64}$")


@dataclass(frozen=True, slots=True)
class CacheRequest:
    query: str | None
    # extensions.persistedQuery's hash (lower case), when the request names one.
    sha256: str | None
    operation_name: str | None
    variables: bytes


def _canonical(variables: Any) -> bytes | None:
    if variables is None or variables == {}:
        return b""
    if not isinstance(variables, dict):
        return None
    try:
        return orjson.dumps(variables, option=orjson.OPT_SORT_KEYS)
    except TypeError:
        return None


def _persisted_hash(extensions: Any) -> tuple[bool, str | None]:
    """(well formed, hash): extensions without persistedQuery are fine and name none."""
    if extensions is None:
        return True, None
    if not isinstance(extensions, dict):
        return False, None
    persisted = extensions.get("persistedQuery")
    if persisted is None:
        return True, None
    if not isinstance(persisted, dict) or persisted.get("version") != 1:
        return False, None
    sha = persisted.get("sha256Hash")
    if not isinstance(sha, str) or not _SHA256.match(sha):
        return False, None
    return True, sha.lower()


def _request(
    query: Any, operation_name: Any, variables: Any, extensions: Any
) -> CacheRequest | None:
    if not (query is None or isinstance(query, str)):
        return None
    if not (operation_name is None or isinstance(operation_name, str)):
        return None
    canonical = _canonical(variables)
    ok, sha = _persisted_hash(extensions)
    if canonical is None or not ok or (query is None and sha is None):
        return None
    return CacheRequest(query, sha, operation_name, canonical)


def from_body(body: bytes) -> CacheRequest | None:
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError:
        return None
    if not isinstance(data, dict):
        return None  # batches and bare values: the view's to answer
    return _request(
        data.get("query"), data.get("operationName"), data.get("variables"), data.get("extensions")
    )


def _json_param(params: dict[str, str], name: str) -> tuple[bool, Any]:
    raw = params.get(name)
    if raw is None:
        return True, None
    try:
        return True, orjson.loads(raw)
    except orjson.JSONDecodeError:
        return False, None


def from_query_string(query_string: bytes) -> CacheRequest | None:
    params = dict(parse_qsl(query_string.decode("latin-1"), keep_blank_values=True))
    ok_variables, variables = _json_param(params, "variables")
    ok_extensions, extensions = _json_param(params, "extensions")
    if not (ok_variables and ok_extensions):
        return None
    return _request(params.get("query"), params.get("operationName"), variables, extensions)
