"""HTTPS for a front end whose clients refuse plain http (Azure ML's SDK does).

`local_tls(folder)` makes a certificate authority and a server certificate for 127.0.0.1 and
localhost at start (trustme), writes the authority's PEM into `folder` and returns the server
context. A front end returns `tls.context` from `FrontEnd.ssl_context()` and tells its users
to trust `tls.ca_file` (e.g. `REQUESTS_CA_BUNDLE`) in `env()`.
"""

from __future__ import annotations

import ssl
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

CA_FILE = "emulator-ca.pem"


@dataclass(frozen=True)
class LocalTls:
    context: ssl.SSLContext  # the server side, holding the certificate and its key
    ca_file: Path  # PEM of the authority that signed it: what clients must trust

    def client_context(self) -> ssl.SSLContext:
        """A client context that trusts this emulator (for urllib, http.client...)."""
        return ssl.create_default_context(cafile=str(self.ca_file))


def local_tls(folder: str | Path, hosts: Sequence[str] = ("127.0.0.1", "localhost")) -> LocalTls:
    import trustme

    authority = trustme.CA(organization_name="hpo-bridge emulator")
    certificate = authority.issue_cert(*hosts)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    certificate.configure_cert(context)
    path = Path(folder)
    path.mkdir(parents=True, exist_ok=True)
    ca_file = path / CA_FILE
    authority.cert_pem.write_to_path(str(ca_file))
    return LocalTls(context, ca_file)
