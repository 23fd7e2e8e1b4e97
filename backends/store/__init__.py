"""The reference backends' SQLite store: schema, connections and the data file's location."""

from backends.store.database import SCHEMA_VERSION, apply_schema, connect

__all__ = ["SCHEMA_VERSION", "apply_schema", "connect"]
