"""The SQLite store's old home, kept so callers move to `storage.sqlite` at their own pace."""

from .storage.sqlite import SCHEMA_VERSION, SQLiteStore, open_store

__all__ = ["SCHEMA_VERSION", "SQLiteStore", "open_store"]
