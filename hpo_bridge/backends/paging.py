"""Reading a listing that comes in pages, whatever the cloud calls its page token."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, TypeVar

T = TypeVar("T")


def paginate(fetch: Callable[[str | None], tuple[list[T], str | None]],
             max_pages: int = 100_000) -> Iterator[T]:
    """Items of every page: `fetch(token)` returns (items, next token or None); None starts.

    A service that hands back the token it was given (CloudWatch Logs at a stream's end)
    ends the listing too.
    """
    token: str | None = None
    for _ in range(max_pages):
        items, following = fetch(token)
        yield from items
        if not following or following == token:
            return
        token = following


def collect(fetch: Callable[[str | None], tuple[list[Any], str | None]]) -> list[Any]:
    return list(paginate(fetch))
