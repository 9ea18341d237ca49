"""Who is calling, read from the SigV4 Authorization header (signatures are not checked)."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass

_CREDENTIAL = re.compile(r"Credential=([^/,\s]+)/\d{8}/([^/]+)/([^/]+)/aws4_request")
DEFAULT_REGION = "us-east-1"
INTERNAL_AGENT = "hpo-bridge-emulator-internal"


@dataclass(frozen=True)
class Caller:
    access_key: str
    region: str
    service: str | None
    account: str
    internal: bool = False


def _account_for(access_key: str, header_account: str | None) -> str:
    # moto's own order: MOTO_ACCOUNT_ID, the x-moto-account-id header, the access key.
    if "MOTO_ACCOUNT_ID" in os.environ:
        return os.environ["MOTO_ACCOUNT_ID"]
    if header_account:
        return header_account
    from moto.iam.models import get_account_id_from

    return get_account_id_from(access_key)


def caller_from(environ: dict) -> Caller:
    match = _CREDENTIAL.search(environ.get("HTTP_AUTHORIZATION", ""))
    access_key, region, service = (
        match.groups() if match else ("AKIAEXAMPLE", DEFAULT_REGION, None)
    )
    return Caller(
        access_key=access_key,
        region=region,
        service=service,
        account=_account_for(access_key, environ.get("HTTP_X_MOTO_ACCOUNT_ID")),
        internal=INTERNAL_AGENT in environ.get("HTTP_USER_AGENT", ""),
    )
