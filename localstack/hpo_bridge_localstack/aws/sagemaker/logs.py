"""A training job's output, sent to CloudWatch Logs where SageMaker puts it.

Log group `/aws/sagemaker/TrainingJobs`, one stream per job named
`<training-job-name>/algo-1-<epoch seconds>`. Lines are buffered and sent in batches.
"""

from __future__ import annotations

import threading
import time
from typing import Any

LOG_GROUP = "/aws/sagemaker/TrainingJobs"
HOST = "algo-1"
MAX_BATCH = 1000  # well under PutLogEvents' 10,000 events and 1 MB


def stream_name(training_job: str, started: float) -> str:
    return f"{training_job}/{HOST}-{int(started)}"


class LogShipper:
    """Buffers lines per stream and ships them with PutLogEvents (thread-safe)."""

    def __init__(self, logs_client: Any) -> None:
        self._logs = logs_client
        self._lock = threading.Lock()
        self._pending: dict[str, list[dict[str, Any]]] = {}
        self._created: set[str] = set()
        self._group_ready = False

    def _ensure(self, stream: str) -> None:
        from botocore.exceptions import ClientError

        def create(call: Any, **kwargs: Any) -> None:
            try:
                call(**kwargs)
            except ClientError as exc:
                if exc.response["Error"]["Code"] != "ResourceAlreadyExistsException":
                    raise

        if not self._group_ready:
            create(self._logs.create_log_group, logGroupName=LOG_GROUP)
            self._group_ready = True
        if stream not in self._created:
            create(self._logs.create_log_stream, logGroupName=LOG_GROUP, logStreamName=stream)
            self._created.add(stream)

    def add(self, stream: str, line: str, when: float | None = None) -> None:
        stamp = int((when if when is not None else time.time()) * 1000)
        with self._lock:
            self._pending.setdefault(stream, []).append({"timestamp": stamp, "message": line})

    def flush(self) -> None:
        with self._lock:
            pending, self._pending = self._pending, {}
        for stream, events in pending.items():
            self._ensure(stream)
            events.sort(key=lambda e: e["timestamp"])  # PutLogEvents wants time order
            for i in range(0, len(events), MAX_BATCH):
                self._logs.put_log_events(
                    logGroupName=LOG_GROUP,
                    logStreamName=stream,
                    logEvents=events[i : i + MAX_BATCH],
                )
