"""The committed Grafana dashboard imports, and every query in it reads a metric the gateway
actually exports (scraped from /metrics of a gateway that served requests)."""

from __future__ import annotations

import json
import re
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.support.repo import REPO, operation
from tests.support.tokens import bearer

DASHBOARD = REPO / "deploy" / "grafana" / "crossfade.json"
METRIC = re.compile(r"\bcrossfade_[a-z_]+\b")
# What the issue asks the dashboard to answer, each by the metric that answers it.
QUESTIONS = {
    "request rate": "crossfade_graphql_request_seconds_count",
    "errors by code": "crossfade_graphql_errors_total",
    "latency by operation": "crossfade_graphql_request_seconds_bucket",
    "backend calls": "crossfade_backend_requests_total",
    "breaker states": "crossfade_backend_circuit_state",
    "cache hit ratios": "crossfade_cache_hits_total",
    "rate-limit refusals": "crossfade_rate_limit_refusals_total",
}


def panels() -> list[dict[str, Any]]:
    dashboard = json.loads(DASHBOARD.read_text())
    return [p for p in dashboard["panels"] if p["type"] != "row"]


def expressions() -> list[str]:
    return [target["expr"] for panel in panels() for target in panel["targets"]]


async def exported_samples(client: httpx.AsyncClient) -> set[str]:
    # a few requests first, so labelled series (operations, codes, backends) exist
    await client.post("/graphql", json={"query": operation("HomeFeed")}, headers=bearer("user-1"))
    await client.post("/graphql", json={"query": "{ nope }"})
    metrics = await client.get("/metrics")
    assert metrics.status_code == 200
    return {
        sample.name
        for family in text_string_to_metric_families(metrics.text)
        for sample in family.samples
    }


def test_the_dashboard_is_importable_grafana_json() -> None:
    dashboard = json.loads(DASHBOARD.read_text())
    assert dashboard["uid"] == "crossfade-gateway" and dashboard["title"]
    variables = {v["name"]: v for v in dashboard["templating"]["list"]}
    # no hard-wired data source: the importer picks its Prometheus
    assert variables["datasource"]["type"] == "datasource"
    assert variables["datasource"]["query"] == "prometheus"
    ids = [p["id"] for p in dashboard["panels"]]
    assert len(ids) == len(set(ids))
    for panel in panels():
        assert panel["datasource"] == {"type": "prometheus", "uid": "${datasource}"}, panel["title"]
        assert panel["targets"], panel["title"]
        position = panel["gridPos"]
        assert position["x"] + position["w"] <= 24 and position["h"] > 0, panel["title"]
        for target in panel["targets"]:
            assert target["expr"].count("(") == target["expr"].count(")"), target["expr"]
            assert '{instance=~"$instance"}' in target["expr"], target["expr"]


@pytest.mark.anyio
async def test_every_query_reads_a_metric_the_gateway_exports(client: httpx.AsyncClient) -> None:
    exported = await exported_samples(client)
    used = {name for expr in expressions() for name in METRIC.findall(expr)}
    assert all(METRIC.search(expr) for expr in expressions())
    assert used - exported == set(), f"not exported: {sorted(used - exported)}"
    for question, metric in QUESTIONS.items():
        assert metric in used, question
    # and the gateway exports nothing the dashboard leaves out, but the histograms' sums
    families = {re.sub(r"_(bucket|count|sum|total|created)$", "", name) for name in exported}
    shown = {re.sub(r"_(bucket|count|sum|total)$", "", name) for name in used}
    assert {f for f in families if f.startswith("crossfade_")} == shown
