"""Where Google's auth library gets credentials offline: the GCE metadata server's routes
(`GCE_METADATA_HOST` / `GCE_METADATA_IP`) and the STS token exchange of an external-account
ADC file (`token_url`). Either way `google.auth.default()` works unchanged.

The metadata routes answer with `Metadata-Flavor: Google` (google-auth checks it when it
pings the server); tokens are opaque strings the emulator never checks.
"""

from __future__ import annotations

import json
import secrets
from pathlib import Path
from typing import Any

from hpo_bridge_localstack.framework.http import Request, Response, json_response
from hpo_bridge_localstack.framework.routing import Call, Router

FLAVOR = {"Metadata-Flavor": "Google"}
SERVICE_ACCOUNT = "emulated@{project}.iam.gserviceaccount.com"
SCOPES = ["https://www.googleapis.com/auth/cloud-platform"]
TOKEN_SECONDS = 3600
STS_PATH = "/v1/token"
# An external-account ("workload identity federation") ADC file: google-auth exchanges the
# subject token at `token_url`, which may be any URL.
AUDIENCE = ("//iam.googleapis.com/projects/0/locations/global/workloadIdentityPools/"
            "hpo-bridge/providers/emulator")


def _text(value: str) -> Response:
    return Response(value, content_type="application/text", headers=FLAVOR)


def _token() -> dict[str, Any]:
    return {"access_token": f"emulated-{secrets.token_hex(8)}", "expires_in": TOKEN_SECONDS,
            "token_type": "Bearer"}


class MetadataRoutes:
    """`/computeMetadata/v1/...` and the STS token route, for one project."""

    def __init__(self, project: str) -> None:
        self.project = project

    def mount(self, router: Router) -> None:
        internal = Call("metadata", internal=True)  # auth plumbing: not an API call
        root = "/computeMetadata/v1"
        router.route("/", self.ping, operation=lambda r: internal)
        router.route(f"{root}/project/project-id", self.project_id, operation=lambda r: internal)
        router.route(f"{root}/project/numeric-project-id", self.project_number,
                     operation=lambda r: internal)
        router.route(f"{root}/universe/universe-domain", self.universe,
                     operation=lambda r: internal)
        router.route(f"{root}/instance/service-accounts/<account>/", self.account,
                     operation=lambda r: internal)
        router.route(f"{root}/instance/service-accounts/<account>/token", self.token,
                     operation=lambda r: internal)
        router.route(f"{root}/instance/service-accounts/<account>/email", self.email,
                     operation=lambda r: internal)
        router.route(STS_PATH, self.exchange, methods=["POST"], operation=lambda r: internal)

    # -- the metadata server -----------------------------------------------------------------
    def ping(self, request: Request) -> Response:
        return _text("computeMetadata/")

    def project_id(self, request: Request) -> Response:
        return _text(self.project)

    def project_number(self, request: Request) -> Response:
        return _text("1234")

    def universe(self, request: Request) -> Response:
        return _text("googleapis.com")

    def email(self, request: Request, account: str) -> Response:
        return _text(SERVICE_ACCOUNT.format(project=self.project))

    def account(self, request: Request, account: str) -> Response:
        email = SERVICE_ACCOUNT.format(project=self.project)
        return json_response({"aliases": ["default"], "email": email, "scopes": SCOPES},
                             headers=FLAVOR)

    def token(self, request: Request, account: str) -> Response:
        return json_response(_token(), headers=FLAVOR)

    # -- STS ---------------------------------------------------------------------------------
    def exchange(self, request: Request) -> Response:
        return json_response({**_token(),
                              "issued_token_type": "urn:ietf:params:oauth:token-type:access_token"})


def write_adc_file(folder: Path, url: str) -> Path:
    """An external-account credentials file whose token exchange is this emulator's (set
    GOOGLE_APPLICATION_CREDENTIALS to it): for processes that imported google-auth before
    the metadata variables could be set, which it reads once."""
    folder.mkdir(parents=True, exist_ok=True)
    subject = folder / "subject-token"
    subject.write_text("emulated-subject-token")
    path = folder / "adc.json"
    path.write_text(json.dumps({
        "type": "external_account",
        "audience": AUDIENCE,
        "subject_token_type": "urn:ietf:params:oauth:token-type:jwt",
        "token_url": f"{url}{STS_PATH}",
        "credential_source": {"file": str(subject)},
    }, indent=1))
    return path
