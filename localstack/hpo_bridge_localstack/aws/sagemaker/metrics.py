"""Training job metrics, published to CloudWatch where SageMaker puts them.

Every value a MetricDefinitions regex reads from the log becomes a data point in the
namespace `/aws/sagemaker/TrainingJobs`, metric named as the definition, dimension
`TrainingJobName`, at the time the line was read (what `TrainingJobAnalytics` reads back).
Points are buffered and sent in batches, like the log lines.
"""

from __future__ import annotations

import datetime
import threading
from typing import Any

NAMESPACE = "/aws/sagemaker/TrainingJobs"
DIMENSION = "TrainingJobName"
MAX_BATCH = 500  # PutMetricData's limit on MetricData per call (1000); kept well under


class MetricPublisher:
    """Buffers data points and ships them with PutMetricData (thread-safe)."""

    def __init__(self, cloudwatch_client: Any) -> None:
        self._cloudwatch = cloudwatch_client
        self._lock = threading.Lock()
        self._pending: list[dict[str, Any]] = []

    def add(self, training_job: str, metric: str, value: float, when: float) -> None:
        point = {
            "MetricName": metric,
            "Dimensions": [{"Name": DIMENSION, "Value": training_job}],
            "Timestamp": datetime.datetime.fromtimestamp(when, datetime.UTC),
            "Value": value,
        }
        with self._lock:
            self._pending.append(point)

    def flush(self) -> None:
        with self._lock:
            pending, self._pending = self._pending, []
        for i in range(0, len(pending), MAX_BATCH):
            self._cloudwatch.put_metric_data(Namespace=NAMESPACE,
                                             MetricData=pending[i : i + MAX_BATCH])
