"""boto3 clients the emulator uses on itself (moto's S3 and Logs, through the same endpoint).

They act in the caller's account and region, so the caller finds the logs and artifacts
where it looks for them; their user agent marks them internal, so they are neither counted
in the call statistics nor hit by injected faults.
"""

from __future__ import annotations

from typing import Any

import boto3
from botocore.config import Config

from hpo_bridge_localstack.aws.identity import INTERNAL_AGENT


def internal_client(service: str, endpoint_url: str, region: str, account: str) -> Any:
    client = boto3.session.Session().client(
        service,
        endpoint_url=endpoint_url,
        region_name=region,
        aws_access_key_id="hpo-bridge-emulator",
        aws_secret_access_key="hpo-bridge-emulator",
        config=Config(
            user_agent_extra=INTERNAL_AGENT,
            retries={"mode": "standard", "max_attempts": 3},
            s3={"addressing_style": "path"},
        ),
    )

    def add_account(request: Any, **_: Any) -> None:
        request.headers["x-moto-account-id"] = account

    client.meta.events.register("before-sign", add_account)
    return client
