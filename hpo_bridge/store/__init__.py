"""The durable study journal (SQLite in the study directory)."""

from hpo_bridge.store.sqlite import DB_NAME, Store, StoreError, StudyStatus

__all__ = ["DB_NAME", "Store", "StoreError", "StudyStatus"]
