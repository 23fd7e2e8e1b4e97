"""Counters read from a gateway's /metrics, before and after a run: operations executed (per
operation name), backend calls (per backend) and GraphQL errors (per code), so a run reports
CPU and calls per operation the gateway ran and whether anything failed behind an HTTP 200."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from prometheus_client.parser import text_string_to_metric_families

from bench.servers import http_get

BACKEND_CALLS = "crossfade_backend_requests_total"
GRAPHQL_ERRORS = "crossfade_graphql_errors_total"
OPERATIONS = "crossfade_graphql_request_seconds_count"


@dataclass(frozen=True)
class Counters:
    backend_calls: dict[str, float]  # per backend, over methods and statuses
    graphql_errors: dict[str, float]  # per error code
    operations: dict[str, float]  # operations executed, per operation name

    def minus(self, before: Counters) -> Counters:
        return Counters(
            _delta(self.backend_calls, before.backend_calls),
            _delta(self.graphql_errors, before.graphql_errors),
            _delta(self.operations, before.operations),
        )

    @property
    def total_calls(self) -> float:
        return sum(self.backend_calls.values())

    @property
    def total_errors(self) -> float:
        return sum(self.graphql_errors.values())


def _delta(after: Mapping[str, float], before: Mapping[str, float]) -> dict[str, float]:
    return {k: v - before.get(k, 0.0) for k, v in sorted(after.items()) if v != before.get(k)}


def parse(metrics_text: str) -> Counters:
    calls: dict[str, float] = {}
    errors: dict[str, float] = {}
    operations: dict[str, float] = {}
    for family in text_string_to_metric_families(metrics_text):
        for sample in family.samples:
            if sample.name == BACKEND_CALLS:
                key = sample.labels.get("backend", "?")
                calls[key] = calls.get(key, 0.0) + sample.value
            elif sample.name == GRAPHQL_ERRORS:
                key = sample.labels.get("code", "?")
                errors[key] = errors.get(key, 0.0) + sample.value
            elif sample.name == OPERATIONS:
                key = sample.labels.get("operation", "?")
                operations[key] = operations.get(key, 0.0) + sample.value
    return Counters(calls, errors, operations)


def scrape(gateway_url: str) -> Counters:
    return parse(http_get(f"{gateway_url}/metrics").decode())
