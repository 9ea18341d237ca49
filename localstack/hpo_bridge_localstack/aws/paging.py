"""List operations: filters by time, sorting and NextToken/MaxResults pagination."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from botocore.utils import parse_timestamp

from hpo_bridge_localstack.aws.protocol import ValidationError

T = TypeVar("T")
DEFAULT_MAX_RESULTS = 10  # SageMaker's default page size for its List operations


def timestamp(value: Any) -> float:
    """A request timestamp (epoch seconds, as botocore sends them, or ISO text)."""
    return parse_timestamp(value).timestamp()


def encode_token(offset: int, fingerprint: str) -> str:
    raw = json.dumps({"offset": offset, "query": fingerprint}).encode()
    return base64.urlsafe_b64encode(raw).decode()


def decode_token(token: str, fingerprint: str) -> int:
    try:
        data = json.loads(base64.urlsafe_b64decode(token.encode()))
        offset = int(data["offset"])
        same = data["query"] == fingerprint
    except (ValueError, KeyError, TypeError):
        raise ValidationError("Invalid pagination token") from None
    if not same or offset < 0:
        # A token is only valid for the query that returned it.
        raise ValidationError("Invalid pagination token: it belongs to another query")
    return offset


def page(
    items: Sequence[T], params: dict[str, Any], fingerprint_keys: Sequence[str]
) -> tuple[list[T], str | None]:
    """One page of `items` for the request's NextToken and MaxResults, and the next token."""
    fingerprint = json.dumps({k: params.get(k) for k in fingerprint_keys}, sort_keys=True,
                             default=str)
    token = params.get("NextToken")
    start = decode_token(token, fingerprint) if token else 0
    size = params.get("MaxResults", DEFAULT_MAX_RESULTS)
    chunk = list(items[start : start + size])
    following = start + size
    return chunk, (encode_token(following, fingerprint) if following < len(items) else None)


def within_times(
    created: float, modified: float | None, params: dict[str, Any]
) -> bool:
    """The Creation/LastModified TimeAfter/TimeBefore filters of SageMaker's List calls."""
    checks: list[tuple[str, float | None, Callable[[float, float], bool]]] = [
        ("CreationTimeAfter", created, lambda v, t: v > t),
        ("CreationTimeBefore", created, lambda v, t: v < t),
        ("LastModifiedTimeAfter", modified, lambda v, t: v > t),
        ("LastModifiedTimeBefore", modified, lambda v, t: v < t),
    ]
    for key, value, ok in checks:
        if key in params and (value is None or not ok(value, timestamp(params[key]))):
            return False
    return True
