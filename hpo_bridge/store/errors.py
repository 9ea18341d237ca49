"""The store's error: a study directory that cannot be created, opened, read or written."""

from __future__ import annotations


class StoreError(Exception):
    """A study directory that cannot be created, opened, read or written (a user error:
    one line). `exit_code` 2, or 1 for `StudyHalted`."""

    exit_code = 2


class StudyHalted(StoreError):
    """A running study stopped because its journal could not be written (disk full):
    what was recorded stands, and `resume` continues once the cause is fixed."""

    exit_code = 1

    def __init__(self, cause: StoreError, directory: object) -> None:
        super().__init__(f"{cause}; the study stopped, its running trials were ended; once"
                         f" that is fixed: hpo-bridge resume {directory}")
