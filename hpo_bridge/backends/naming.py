"""Job names that identify their request: the same spec and code give the same name.

Creating a job is then idempotent: a create retried after a lost answer, or the same spec
submitted twice, finds "a job of that name exists" and attaches to it when its request is
the same (`is_subset`: the service adds defaults), instead of starting a second job.
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

PLACEHOLDER = "{job-name}"  # where the name goes in a request while its hash is computed


def request_digest(request: Any, *extra: str, length: int = 8) -> str:
    """A short hex digest of a request (canonical JSON) and extra content (e.g. the code's)."""
    canonical = json.dumps(request, sort_keys=True, default=str) + "".join(extra)
    return hashlib.sha256(canonical.encode()).hexdigest()[:length]


def derive_name(base: str, suffix: str, *, max_length: int, allowed: str = r"A-Za-z0-9-",
                separator: str = "-", fallback: str = "hpo") -> str:
    """`base` cleaned to the characters a cloud allows and shortened (never the suffix: it
    keeps names unique) so that `<base><separator><suffix>` fits `max_length`."""
    tail = f"{separator}{suffix}" if suffix else ""
    room = max_length - len(tail)
    cleaned = re.sub(f"[^{allowed}]+", separator, base).strip(separator + "_")
    cleaned = cleaned[:room].rstrip(separator + "_") or fallback[:room]
    return cleaned + tail


def fill_name(request: Any, name: str, placeholder: str = PLACEHOLDER) -> Any:
    """`request` with every `placeholder` replaced by `name` (in keys and values)."""
    return json.loads(json.dumps(request).replace(placeholder, name))


def is_subset(wanted: Any, actual: Any) -> bool:
    """True when every value of `wanted` is in `actual` (a service adds defaults)."""
    if isinstance(wanted, dict):
        return isinstance(actual, dict) and all(
            k in actual and is_subset(v, actual[k]) for k, v in wanted.items()
        )
    if isinstance(wanted, list):
        return (isinstance(actual, list) and len(wanted) == len(actual)
                and all(is_subset(w, a) for w, a in zip(wanted, actual, strict=True)))
    if isinstance(wanted, int | float) and isinstance(actual, int | float):
        return float(wanted) == float(actual)
    return bool(wanted == actual)
