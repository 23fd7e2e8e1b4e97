"""The gateway's settings: one object, read once at start-up from ``CROSSFADE_*`` variables.

Every limit (page size, query depth, timeouts, cache sizes) is a setting so operators can tune
it without a release; a bad value fails start-up with pydantic's message naming the variable.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from backends.names import BACKENDS
from ranking.experiments import parse_plan

DEV_SECRET = "crossfade-development-secret-change-me-in-production"
# The stakeholders' operations, kept verbatim next to the SDL they are written against (the
# contract); packaged with `schema`, so an installed gateway has them too.
OPERATIONS_DIR = Path(__file__).resolve().parent.parent / "schema" / "operations"


class Settings(BaseSettings):
    """Gateway settings; ``CROSSFADE_<FIELD>`` overrides each field."""

    model_config = SettingsConfigDict(env_prefix="CROSSFADE_", extra="ignore")

    environment: Literal["development", "production"] = "development"
    data_dir: Path = Path("data")
    log_level: str = "INFO"

    # Backends: unset means in-process (httpx.ASGITransport), a URL means real HTTP.
    catalog_url: str | None = None
    library_url: str | None = None
    playlists_url: str | None = None
    search_url: str | None = None
    backend_timeout_s: float = Field(default=2.0, gt=0)
    backend_max_connections: int = Field(default=100, ge=1)
    # What carries real HTTP under the httpx clients: aiohttp (a fraction of httpcore's CPU
    # per call, bench/transport_bench.py) or httpx's own httpcore.
    backend_transport: Literal["aiohttp", "httpx"] = "aiohttp"
    # Resilience (resolvers/clients/{policy,retry,breaker}.py). Per-backend timeouts override
    # backend_timeout_s, as JSON: CROSSFADE_BACKEND_TIMEOUTS='{"search": 0.5}'.
    backend_timeouts: dict[str, float] = Field(default_factory=dict)
    # Every request's overall budget; each backend call gets min(its timeout, what is left).
    request_deadline_s: float = Field(default=5.0, gt=0, le=300)
    backend_max_attempts: int = Field(default=3, ge=1, le=10)  # reads only; 1: no retries
    backend_backoff_base_s: float = Field(default=0.025, ge=0)
    backend_backoff_cap_s: float = Field(default=0.25, ge=0)
    backend_retry_ratio: float = Field(default=0.1, ge=0, le=1)
    backend_retry_burst: float = Field(default=10.0, ge=0)
    breaker_failures: int = Field(default=10, ge=1)
    breaker_reset_s: float = Field(default=5.0, gt=0)

    # Authentication (HS256 for development).
    jwt_secret: str = DEV_SECRET
    jwt_issuer: str = "crossfade"
    jwt_audience: str = "crossfade-gateway"
    token_ttl_s: int = Field(default=7 * 24 * 3600, ge=60)
    # Production: RS256/ES256 tokens signed by an identity provider's keys (JWKS).
    jwks_url: str | None = None
    jwks_algorithms: Annotated[list[str], NoDecode] = Field(default=["RS256", "ES256"])
    jwks_ttl_s: float = Field(default=600.0, gt=0)
    # An unknown `kid` refetches the JWKS at most this often, so forged kids cannot make
    # every request hit the identity provider.
    jwks_min_refresh_s: float = Field(default=30.0, ge=0)
    jwks_timeout_s: float = Field(default=2.0, gt=0)
    jwks_max_bytes: int = Field(default=256 * 1024, ge=1024)
    jwt_leeway_s: float = Field(default=30.0, ge=0, le=300)  # clock skew tolerated on exp/nbf

    # Browsers: origins allowed to call the API cross-origin (comma-separated; empty: none).
    cors_origins: Annotated[list[str], NoDecode] = Field(default=[])
    cors_max_age_s: int = Field(default=600, ge=0, le=86_400)

    # GraphQL limits.
    max_page_size: int = Field(default=100, ge=1, le=1000)
    max_nodes: int = Field(default=100, ge=1, le=1000)  # IDs per `nodes(ids:)` call
    max_search_query_length: int = Field(default=200, ge=1)  # characters
    max_playlist_name: int = Field(default=100, ge=1)  # characters
    max_playlist_description: int = Field(default=300, ge=0)  # characters
    max_tracks_per_edit: int = Field(default=100, ge=1)
    # Parsed, validated and costed documents kept per process (LRU, by document text).
    document_cache_size: int = Field(default=1024, ge=1)
    # The execution engine: compiled plans (gateway/execution/), or graphql-core's executor.
    executor: Literal["compiled", "standard"] = "compiled"
    # Operations whose execution plans are kept (LRU, by document text and operation name).
    plan_cache_size: int = Field(default=1024, ge=1)
    max_query_depth: int = Field(default=12, ge=2)
    max_aliases: int = Field(default=30, ge=1)
    max_tokens: int = Field(default=2000, ge=50)
    # Batching: a POST body may be a JSON array of up to this many operations (Apollo's
    # BatchHttpLink, Relay's batching layers), answered by an array; 1 turns batching off.
    batch_max: int = Field(default=10, ge=1, le=1000)
    # Request bodies above this are refused with 413 while they stream in (never buffered).
    max_body_bytes: int = Field(default=1024 * 1024, ge=1024)
    # How much more of a refused body is read and dropped so the client, still sending, gets
    # to read the 413 instead of a connection reset; a bigger upload is cut off.
    body_drain_bytes: int = Field(default=4 * 1024 * 1024, ge=0)
    introspection: bool | None = None  # None: on in development, off in production
    graphiql: bool | None = None
    operations_dir: Path | None = OPERATIONS_DIR  # GraphiQL's preloaded tabs

    # Governance (gateway/governance/: persisted documents, query cost, rate limits).
    # Shared state (APQ documents, rate-limit buckets) lives in Redis when this is set, so
    # every replica sees the same; unset: in process.
    redis_url: str | None = None
    redis_timeout_s: float = Field(default=0.5, gt=0)
    redis_max_connections: int = Field(default=50, ge=1)
    # Automatic persisted queries (Apollo protocol) and the documents' cache.
    apq: bool = True
    apq_cache_size: int = Field(default=10_000, ge=1)  # in process, or local LRU over Redis
    apq_ttl_s: int = Field(default=7 * 24 * 3600, ge=1)  # in Redis, refreshed on use
    apq_max_document_size: int = Field(default=64 * 1024, ge=1)  # characters; larger: not kept
    # Cache-Control max-age of successful GET query responses (0: no-store).
    get_cache_max_age_s: int = Field(default=60, ge=0)
    # Persisted-only mode: an apollo-persisted-query-manifest JSON; ad-hoc queries refused.
    trusted_documents: Path | None = None
    # Static query cost (stakeholder operations cost 11 to ~3,400; governance/query_cost.py).
    query_cost: bool = True
    max_query_cost: int = Field(default=10_000, ge=1)
    # Rate limits (GCRA): sustained units per second and burst, per listener (guests: per
    # client IP) and per client application name; units are requests or query cost.
    rate_limit: bool = True
    rate_limit_listener_rps: float = Field(default=20.0, gt=0)
    rate_limit_listener_burst: int = Field(default=200, ge=1)
    rate_limit_client_rps: float = Field(default=2_000.0, gt=0)
    rate_limit_client_burst: int = Field(default=20_000, ge=1)
    rate_limit_listener_cost_ps: float = Field(default=20_000.0, gt=0)
    rate_limit_listener_cost_burst: int = Field(default=200_000, ge=1)
    rate_limit_client_cost_ps: float = Field(default=2_000_000.0, gt=0)
    rate_limit_client_cost_burst: int = Field(default=20_000_000, ge=1)
    rate_limit_max_keys: int = Field(default=100_000, ge=1)  # in-process buckets kept (LRU)
    # With Redis, buckets are decided locally and synchronised this often (the error bound
    # across replicas grows with it; see gateway/governance/bucket_sync.py).
    rate_limit_sync_s: float = Field(default=0.05, gt=0, le=5)

    # Response cache (gateway/cache/): encoded answers in process, in front of execution,
    # with @cacheControl policies from the schema; invalidation across replicas over Redis.
    response_cache: bool = True
    response_cache_bytes: int = Field(default=128 * 1024 * 1024, ge=0)
    response_cache_max_entry_bytes: int = Field(default=2 * 1024 * 1024, ge=1024)
    response_cache_versions: int = Field(default=200_000, ge=1_000)  # entities with a version
    # The subscription to other replicas' bumps is declared lost after one PING unanswered
    # this long (a reset or a closed socket is noticed at once).
    response_cache_ping_s: float = Field(default=1.0, gt=0, le=60)
    # Hits of apps' repeats answered ahead of the middleware stack (gateway/cache/front.py);
    # false: every request goes through the stack (the same bytes, more CPU per hit).
    response_cache_front: bool = True

    # Verified bearer tokens remembered (by SHA-256) until their exp; 0: verify every time.
    auth_cache_size: int = Field(default=50_000, ge=0)

    # Overload: concurrent executions (cache hits and health checks never count). 0 adapts
    # the limit to keep executions near admission_target_s; past the limit a request waits
    # (admission_wait_s in a burst, admission_overload_wait_s in overload), then gets 503
    # OVERLOADED with Retry-After.
    max_concurrent_executions: int = Field(default=0, ge=0)
    admission_target_s: float = Field(default=0.01, gt=0)
    # A burst (the queue emptied within the last 0.1 s) may wait this long to drain.
    admission_wait_s: float = Field(default=0.5, ge=0)
    # A queue standing longer than that is overload: a request waits at most this, so the
    # admitted stay fast (the newest waiters go first) and the refused learn it quickly.
    admission_overload_wait_s: float = Field(default=0.05, ge=0)
    admission_max_waiting: int = Field(default=256, ge=0)

    # Field usage per client (gateway/usage/): counted per document in memory, flushed in
    # hourly buckets to usage_db (default data_dir/usage.db), or to Redis when redis_url is set.
    usage: bool = True
    usage_flush_s: float = Field(default=10.0, gt=0)
    usage_db: Path | None = None
    usage_retention_days: int = Field(default=90, ge=1)
    # Distinct (client, version, operation) counters between two flushes; client names are
    # free text, so past this the rest is counted under one overflow client.
    usage_max_keys: int = Field(default=10_000, ge=1)
    # `crossfade schema check`: a breaking change blocks if used within this many days.
    schema_check_days: int = Field(default=30, ge=1)
    # OpenTelemetry traces (gateway/tracing.py): on only when set, to a collector's OTLP/HTTP
    # base URL (spans go to <endpoint>/v1/traces); unset, no tracing code is even imported.
    otel_endpoint: str | None = None
    otel_service_name: str = "crossfade-gateway"
    # Share of new traces recorded (a caller's traceparent decides for its own trace).
    otel_sample_ratio: float = Field(default=1.0, ge=0, le=1)
    # Backend-call, cache and ranking spans (leaves) go straight to the span processor
    # (resolvers/clients/leaf_span.py); false: through the SDK's Tracer, the slower reference.
    otel_lean_spans: bool = True

    # Caches (entries / seconds).
    entity_cache_size: int = Field(default=50_000, ge=0)
    entity_cache_ttl_s: float = Field(default=300.0, ge=0)
    shared_cache_size: int = Field(default=2_000, ge=0)
    shared_cache_ttl_s: float = Field(default=60.0, ge=0)
    # Per listener (what their history decides for the day: picks, mixes, Discover Weekly,
    # and their history itself), ~4 entries a listener. Keys hold the history version, model
    # version and day, so an entry never goes stale: the lifetime only bounds memory.
    viewer_cache_size: int = Field(default=40_000, ge=0)
    viewer_cache_ttl_s: float = Field(default=86_400.0, ge=0)
    # The most popular tracks (at most 500, one charts call), with their albums and artists,
    # read into the entity caches at start-up with the charts, genres and editorial lists.
    warm_popular_tracks: int = Field(default=500, ge=0, le=500)
    # Stale copies served only while the backend behind them fails (flagged extensions.stale).
    stale_cache_size: int = Field(default=5_000, ge=0)
    stale_cache_ttl_s: float = Field(default=3600.0, ge=0)

    # Search blend: relevance first, then personal affinity and popularity.
    search_weight_relevance: float = 0.7
    search_weight_affinity: float = 0.2
    search_weight_popularity: float = 0.1

    @field_validator("jwks_algorithms", "cors_origins", mode="before")
    @classmethod
    def _comma_separated(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("jwks_algorithms")
    @classmethod
    def _asymmetric_only(cls, value: list[str]) -> list[str]:
        # HS* from a JWKS would let anyone holding the public key set sign tokens.
        allowed = {"RS256", "RS384", "RS512", "ES256", "ES384", "ES512", "PS256", "EdDSA"}
        if not value or not set(value) <= allowed:
            raise ValueError(f"CROSSFADE_JWKS_ALGORITHMS must be among {sorted(allowed)}")
        return value

    # Ranking model. EASE serves an items x items float32 matrix from every gateway process
    # (items² x 4 B: 1.6 GB at 20,000 items, 8 GB at 45,000) and `crossfade train` peaks at
    # about four of them (the Gram matrix, its inverse Cholesky factor, P and B: ~16 B x
    # items², 6.4 GB at 20,000). Past this many items training serves ALS factors instead
    # (items x 64 float32: 13 MB at 50,000), as every `--engine spark` artifact does.
    max_ease_items: int = Field(default=20_000, ge=0)

    # Batch jobs on Spark (`crossfade train|mixes build|eval --engine spark`); the gateway
    # never starts Spark. The master is a local one (`local[N]`, `local[*]`) or a cluster URL.
    spark_master: str = "local[*]"
    # The driver's JVM heap; in local mode the executors run inside it too.
    spark_driver_memory: str = "4g"
    # Shuffle partitions: Spark's 200 suit a cluster; a laptop's few cores want fewer.
    spark_shuffle_partitions: int = Field(default=8, ge=1)
    # Where `crossfade train --engine spark` exports the store as Parquet when given no log.
    export_dir: Path | None = None  # None: <data_dir>/export

    # Ranking experiments (JSON list, see ranking/experiments.py); [] runs none.
    experiments: list[dict[str, Any]] = Field(default_factory=list)

    @field_validator("experiments")
    @classmethod
    def _experiments_are_valid(cls, value: list[dict[str, Any]]) -> list[dict[str, Any]]:
        parse_plan(value)  # fail start-up with the reason, not the first request
        return value

    @model_validator(mode="after")
    def _production_needs_a_secret(self) -> Settings:
        if (
            self.environment == "production"
            and self.jwt_secret == DEV_SECRET
            and self.jwks_url is None
        ):
            raise ValueError("CROSSFADE_JWT_SECRET or CROSSFADE_JWKS_URL must be set in production")
        return self

    @model_validator(mode="after")
    def _usage_kept_for_the_check_window(self) -> Settings:
        if self.usage_retention_days < self.schema_check_days:
            raise ValueError(
                "CROSSFADE_USAGE_RETENTION_DAYS must be >= CROSSFADE_SCHEMA_CHECK_DAYS"
            )
        return self

    @property
    def hs256_enabled(self) -> bool:
        """HS256 needs a secret; the published development one is never trusted in production."""
        return self.environment == "development" or self.jwt_secret != DEV_SECRET

    @model_validator(mode="after")
    def _cost_bursts_fit_one_query(self) -> Settings:
        # A cost bucket smaller than the largest allowed query would refuse it forever.
        for name in ("rate_limit_listener_cost_burst", "rate_limit_client_cost_burst"):
            if getattr(self, name) < self.max_query_cost:
                raise ValueError(f"CROSSFADE_{name.upper()} must be >= CROSSFADE_MAX_QUERY_COST")
        return self

    @property
    def db_path(self) -> Path:
        return self.data_dir / "crossfade.db"

    @property
    def models_dir(self) -> Path:
        return self.data_dir / "models"

    @property
    def usage_db_path(self) -> Path:
        """The gateway's own usage database, never the backends' store."""
        return self.usage_db or self.data_dir / "usage.db"

    @property
    def log_export_dir(self) -> Path:
        return self.export_dir or self.data_dir / "export"

    @property
    def introspection_enabled(self) -> bool:
        if self.introspection is None:
            return self.environment == "development"
        return self.introspection

    @property
    def graphiql_enabled(self) -> bool:
        return self.introspection_enabled if self.graphiql is None else self.graphiql

    @field_validator("backend_timeouts")
    @classmethod
    def _known_backends(cls, value: dict[str, float]) -> dict[str, float]:
        known = set(BACKENDS)
        if not set(value) <= known or any(t <= 0 for t in value.values()):
            raise ValueError(
                f"CROSSFADE_BACKEND_TIMEOUTS maps backends among {sorted(known)} to seconds > 0"
            )
        return value

    def backend_timeout(self, name: str) -> float:
        return self.backend_timeouts.get(name, self.backend_timeout_s)

    def backend_url(self, name: str) -> str | None:
        url: str | None = getattr(self, f"{name}_url")
        return url
