"""Settings of the reference backends, read from ``CROSSFADE_*`` environment variables.

Kept apart from the gateway's settings because backends never import the gateway; both read
the same ``CROSSFADE_DATA_DIR`` so one variable moves all the data.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from backends.faults import Faults


class FaultSettings(BaseSettings):
    """One backend's own fault settings (``CROSSFADE_<NAME>_INJECT_*``); None: the default."""

    model_config = SettingsConfigDict(extra="ignore")

    inject_latency_ms: float | None = Field(default=None, ge=0, le=600_000)
    inject_error_rate: float | None = Field(default=None, ge=0, le=1)
    inject_malformed_rate: float | None = Field(default=None, ge=0, le=1)


class BackendSettings(BaseSettings):
    """Where the store lives and how the ingest simulates listeners."""

    model_config = SettingsConfigDict(env_prefix="CROSSFADE_", extra="ignore")

    data_dir: Path = Path("data")
    listeners: int = 5000
    seed: int = 20261125
    max_batch: int = 500

    # Fault injection (backends/faults.py) for every backend of this process; off by default.
    inject_latency_ms: float = Field(default=0.0, ge=0, le=600_000)
    inject_error_rate: float = Field(default=0.0, ge=0, le=1)
    inject_malformed_rate: float = Field(default=0.0, ge=0, le=1)
    inject_seed: int | None = None

    # OpenTelemetry: a backend process exports its server spans here when set (the same
    # CROSSFADE_OTEL_ENDPOINT as the gateway's); in-process backends use the gateway's.
    otel_endpoint: str | None = None

    def faults(self, name: str) -> Faults:
        """The faults of backend ``name``: ``CROSSFADE_<NAME>_INJECT_*`` over the defaults."""
        own = FaultSettings(_env_prefix=f"CROSSFADE_{name.upper()}_")

        def pick(value: float | None, default: float) -> float:
            return default if value is None else value

        return Faults(
            latency_ms=pick(own.inject_latency_ms, self.inject_latency_ms),
            error_rate=pick(own.inject_error_rate, self.inject_error_rate),
            malformed_rate=pick(own.inject_malformed_rate, self.inject_malformed_rate),
            seed=self.inject_seed,
        )

    @property
    def db_path(self) -> Path:
        return self.data_dir / "crossfade.db"

    @property
    def downloads_dir(self) -> Path:
        return self.data_dir / "downloads"
