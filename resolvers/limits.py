"""Limits that resolvers enforce on arguments (the query-level ones live in the schema)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Limits:
    """Hard caps that protect the backends from one oversized request."""

    max_page_size: int = 100
    max_ids_per_call: int = 100
    max_query_length: int = 200
