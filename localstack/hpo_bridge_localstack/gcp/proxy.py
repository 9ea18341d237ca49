"""Cloud Storage on the emulator's own port: a pass-through to the gcp-storage-emulator
child, so storage calls are counted and can be faulted like every other call
(`storage:upload` for object uploads, `storage:<METHOD>` for the JSON API).

Bodies are passed whole (the clients send a Content-Length for the small objects a tuning
job uploads: code packages and outputs).
"""

from __future__ import annotations

import http.client
from collections.abc import Iterable
from typing import Any

from hpo_bridge_localstack.framework.http import Environ, Request, StartResponse, status_line
from hpo_bridge_localstack.framework.routing import Call

PREFIXES = ("/storage/v1/", "/upload/storage/v1/", "/download/storage/v1/")
HOP_BY_HOP = frozenset({"connection", "keep-alive", "proxy-authenticate",
                        "proxy-authorization", "te", "trailers", "transfer-encoding",
                        "upgrade", "host", "content-length"})


def storage_call(request: Request) -> Call:
    if request.path.startswith("/upload/"):
        return Call("storage:upload")
    return Call(f"storage:{request.method}")


def is_storage(request: Request) -> bool:
    return request.path.startswith(PREFIXES)


class StorageProxy:
    """A WSGI application forwarding each request to 127.0.0.1:<port>."""

    def __init__(self, port_of: Any) -> None:
        self.port_of = port_of  # () -> the child's port (known once it started)

    def __call__(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        request = Request(environ)
        body = request.get_data(cache=False)
        path = environ.get("RAW_URI") or environ.get("REQUEST_URI") or (
            request.full_path.rstrip("?") if request.query_string else request.path)
        headers = {k: v for k, v in request.headers.items() if k.lower() not in HOP_BY_HOP}
        connection = http.client.HTTPConnection("127.0.0.1", self.port_of(), timeout=60)
        try:
            connection.request(request.method, path, body=body or None, headers=headers)
            answer = connection.getresponse()
            data = answer.read()
            kept = [(k, v) for k, v in answer.getheaders() if k.lower() not in HOP_BY_HOP]
        finally:
            connection.close()
        start_response(status_line(answer.status), [*kept, ("Content-Length", str(len(data)))])
        return [data]
