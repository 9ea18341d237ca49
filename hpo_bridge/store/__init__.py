"""The durable study journal (SQLite in the study directory)."""

from hpo_bridge.store.errors import StoreError, StudyHalted
from hpo_bridge.store.sqlite import DB_NAME, Store, StudyStatus

__all__ = ["DB_NAME", "Store", "StoreError", "StudyHalted", "StudyStatus"]
