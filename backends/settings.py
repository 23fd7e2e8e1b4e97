"""Settings of the reference backends, read from ``CROSSFADE_*`` environment variables.

Kept apart from the gateway's settings because backends never import the gateway; both read
the same ``CROSSFADE_DATA_DIR`` so one variable moves all the data.
"""

from __future__ import annotations

from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict


class BackendSettings(BaseSettings):
    """Where the store lives and how the ingest simulates listeners."""

    model_config = SettingsConfigDict(env_prefix="CROSSFADE_", extra="ignore")

    data_dir: Path = Path("data")
    listeners: int = 5000
    seed: int = 20261125
    max_batch: int = 500

    @property
    def db_path(self) -> Path:
        return self.data_dir / "crossfade.db"

    @property
    def downloads_dir(self) -> Path:
        return self.data_dir / "downloads"
