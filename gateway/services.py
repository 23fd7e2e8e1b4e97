"""Builds the resolvers' process-wide collaborators from the settings, once, at start-up.

Every config object below the gateway (call policies, cache sizes, limits, search weights,
the experiment plan) is made here from ``Settings``, which holds every default; the layers
below declare their shapes and no values.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

import httpx

from backends.names import BACKENDS
from gateway.config import Settings
from ranking.experiments import parse_plan
from resolvers.clients import build_clients
from resolvers.clients.cache import CacheConfig
from resolvers.clients.policy import CallPolicy
from resolvers.context import RankingHolder, Services
from resolvers.limits import Limits
from resolvers.search_weights import SearchWeights

if TYPE_CHECKING:
    from resolvers.clients.spans import Spans


def call_policy(settings: Settings, name: str) -> CallPolicy:
    """Timeout, retry and breaker settings of one backend's calls."""
    return CallPolicy(
        timeout_s=settings.backend_timeout(name),
        max_attempts=settings.backend_max_attempts,
        backoff_base_s=settings.backend_backoff_base_s,
        backoff_cap_s=settings.backend_backoff_cap_s,
        retry_ratio=settings.backend_retry_ratio,
        retry_burst=settings.backend_retry_burst,
        breaker_failures=settings.breaker_failures,
        breaker_reset_s=settings.breaker_reset_s,
    )


def cache_config(settings: Settings) -> CacheConfig:
    return CacheConfig(
        entity_size=settings.entity_cache_size,
        entity_ttl=settings.entity_cache_ttl_s,
        shared_size=settings.shared_cache_size,
        shared_ttl=settings.shared_cache_ttl_s,
        viewer_size=settings.viewer_cache_size,
        viewer_ttl=settings.viewer_cache_ttl_s,
        stale_size=settings.stale_cache_size,
        stale_ttl=settings.stale_cache_ttl_s,
    )


def limits(settings: Settings) -> Limits:
    return Limits(
        max_page_size=settings.max_page_size,
        max_query_length=settings.max_search_query_length,
        max_nodes=settings.max_nodes,
        max_playlist_name=settings.max_playlist_name,
        max_playlist_description=settings.max_playlist_description,
        max_tracks_per_edit=settings.max_tracks_per_edit,
    )


def search_weights(settings: Settings) -> SearchWeights:
    return SearchWeights(
        relevance=settings.search_weight_relevance,
        affinity=settings.search_weight_affinity,
        popularity=settings.search_weight_popularity,
    )


def build_services(
    settings: Settings, http: Mapping[str, httpx.AsyncClient], spans: Spans | None = None
) -> Services:
    """``spans``: the tracing of backend calls, cache lookups and ranking calls (None: off)."""
    return Services(
        clients=build_clients(
            http,
            cache_config(settings),
            {name: call_policy(settings, name) for name in BACKENDS},
            spans,
        ),
        ranking=RankingHolder(settings.models_dir, spans),
        limits=limits(settings),
        search_weights=search_weights(settings),
        experiments=parse_plan(settings.experiments),
    )
