"""What an azure-core / azure-ai-ml / MLflow exception means for the kit.

Throttling (429), server errors (5xx) and dropped connections are retried by the kit; a
refused request (400), bad credentials (401), a missing permission (403) or a missing
resource (404) never is. azure-core's own retries are switched off (`retry_total=0` on the
clients), so the kit's policy makes the only ones.
"""

from __future__ import annotations

from typing import Any

from hpo_bridge.backends import CloudError, ErrorKind

RETRYABLE_STATUS = frozenset({408, 429, 500, 502, 503, 504})


def _status(exc: BaseException) -> int:
    status = getattr(exc, "status_code", None)
    if status is None:
        response = getattr(exc, "response", None)
        status = getattr(response, "status_code", None)
    return int(status or 0)


def _code_message(exc: Any) -> tuple[str, str]:
    error = getattr(exc, "error", None)
    code = str(getattr(error, "code", "") or "")
    message = str(getattr(error, "message", "") or getattr(exc, "message", "") or exc)
    return code, " ".join(message.split())


def classify(exc: BaseException) -> CloudError | None:
    from azure.core.exceptions import (
        ClientAuthenticationError,
        HttpResponseError,
        ResourceExistsError,
        ResourceNotFoundError,
        ServiceRequestError,
        ServiceResponseError,
    )

    if _is_credential_error(exc):
        return CloudError(ErrorKind.CREDENTIALS, type(exc).__name__, str(exc))
    if isinstance(exc, ServiceRequestError | ServiceResponseError):
        return CloudError(ErrorKind.RETRYABLE, type(exc).__name__, str(exc).splitlines()[0])
    if isinstance(exc, HttpResponseError):
        status = _status(exc)
        code, message = _code_message(exc)
        code = code or str(status)
        if status in RETRYABLE_STATUS:
            return CloudError(ErrorKind.RETRYABLE, code, message)
        if isinstance(exc, ClientAuthenticationError) or status == 401:
            return CloudError(ErrorKind.CREDENTIALS, code, message)
        if status == 403:
            return CloudError(ErrorKind.ACCESS, code, message)
        if isinstance(exc, ResourceNotFoundError) or status == 404:
            return CloudError(ErrorKind.NOT_FOUND, code, message)
        if isinstance(exc, ResourceExistsError) or status == 409:
            return CloudError(ErrorKind.CONFLICT, code, message)
        if status == 400:
            return CloudError(ErrorKind.INVALID, code, message)
        return CloudError(ErrorKind.OTHER, code, message)
    return _mlflow(exc)


def _is_credential_error(exc: BaseException) -> bool:
    try:
        from azure.identity import CredentialUnavailableError
    except ImportError:  # pragma: no cover - azure-identity is a dependency
        return False
    return isinstance(exc, CredentialUnavailableError)


def _mlflow(exc: BaseException) -> CloudError | None:
    try:
        from mlflow.exceptions import MlflowException, RestException
    except ImportError:  # pragma: no cover - mlflow-skinny is a dependency
        return None
    if not isinstance(exc, MlflowException):
        return None
    status = int(getattr(exc, "get_http_status_code", lambda: 0)() or 0)
    code = str(getattr(exc, "error_code", "") or "")
    message = " ".join(str(exc.message).split())
    if isinstance(exc, RestException) and status in RETRYABLE_STATUS:
        return CloudError(ErrorKind.RETRYABLE, code, message)
    if status == 403:
        return CloudError(ErrorKind.ACCESS, code, message)
    if status == 404 or code == "RESOURCE_DOES_NOT_EXIST":
        return CloudError(ErrorKind.NOT_FOUND, code, message)
    # MLflow's own client retries throttling and 5xx (MLFLOW_HTTP_REQUEST_MAX_RETRIES);
    # what comes back after that is worth one more round of the kit's retries.
    if "Max retries exceeded" in message or "ConnectionError" in message:
        return CloudError(ErrorKind.RETRYABLE, code or "ConnectionError", message)
    return CloudError(ErrorKind.OTHER, code, message)
