"""The gateway's settings: one object, read once at start-up from ``CROSSFADE_*`` variables.

Every limit (page size, query depth, timeouts, cache sizes) is a setting so operators can tune
it without a release; a bad value fails start-up with pydantic's message naming the variable.
"""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from resolvers.limits import Limits
from resolvers.search import SearchWeights

DEV_SECRET = "crossfade-development-secret-change-me-in-production"
_REPO_ROOT = Path(__file__).resolve().parent.parent


def _default_operations_dir() -> Path | None:
    # The stakeholders' operations live beside the work tree (../shared/operations); an
    # installed gateway without them simply shows no examples in GraphiQL.
    candidate = _REPO_ROOT.parent / "shared" / "operations"
    return candidate if candidate.is_dir() else None


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

    # Authentication (HS256 for development).
    jwt_secret: str = DEV_SECRET
    jwt_issuer: str = "crossfade"
    jwt_audience: str = "crossfade-gateway"
    token_ttl_s: int = Field(default=7 * 24 * 3600, ge=60)

    # GraphQL limits.
    max_page_size: int = Field(default=100, ge=1, le=1000)
    max_query_depth: int = Field(default=12, ge=2)
    max_aliases: int = Field(default=30, ge=1)
    max_tokens: int = Field(default=2000, ge=50)
    introspection: bool | None = None  # None: on in development, off in production
    graphiql: bool | None = None
    operations_dir: Path | None = Field(default_factory=_default_operations_dir)

    # Caches (entries / seconds).
    entity_cache_size: int = Field(default=50_000, ge=0)
    entity_cache_ttl_s: float = Field(default=300.0, ge=0)
    shared_cache_size: int = Field(default=2_000, ge=0)
    shared_cache_ttl_s: float = Field(default=60.0, ge=0)
    viewer_cache_size: int = Field(default=10_000, ge=0)
    viewer_cache_ttl_s: float = Field(default=30.0, ge=0)

    # Search blend: relevance first, then personal affinity and popularity.
    search_weight_relevance: float = 0.7
    search_weight_affinity: float = 0.2
    search_weight_popularity: float = 0.1

    @model_validator(mode="after")
    def _production_needs_a_secret(self) -> Settings:
        if self.environment == "production" and self.jwt_secret == DEV_SECRET:
            raise ValueError("CROSSFADE_JWT_SECRET must be set in production")
        return self

    @property
    def db_path(self) -> Path:
        return self.data_dir / "crossfade.db"

    @property
    def models_dir(self) -> Path:
        return self.data_dir / "models"

    @property
    def introspection_enabled(self) -> bool:
        if self.introspection is None:
            return self.environment == "development"
        return self.introspection

    @property
    def graphiql_enabled(self) -> bool:
        return self.introspection_enabled if self.graphiql is None else self.graphiql

    def backend_url(self, name: str) -> str | None:
        url: str | None = getattr(self, f"{name}_url")
        return url

    @cached_property
    def limits(self) -> Limits:
        return Limits(max_page_size=self.max_page_size)

    @cached_property
    def search_weights(self) -> SearchWeights:
        return SearchWeights(
            relevance=self.search_weight_relevance,
            affinity=self.search_weight_affinity,
            popularity=self.search_weight_popularity,
        )
