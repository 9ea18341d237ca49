"""The study's MLflow tracking store (a file store in the study folder), for the azure contract.

Like an Azure sweep, the study is a parent run and each trial a child run
(tag mlflow.parentRunId) that the training script attaches to through
MLFLOW_RUN_ID. mlflow is imported here only, when the azure contract is used.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from hpo_bridge.contracts.base import ContractError, format_value
from hpo_bridge.core.trial import TrialStatus

INSTALL_HINT = "pip install 'hpo-bridge[azure]'"
STORE_DIR = "mlruns"
_PARENT_FILE = "hpo-bridge-parent-run"
_END_STATUS = {TrialStatus.COMPLETED: "FINISHED", TrialStatus.FAILED: "FAILED",
               TrialStatus.TIMEOUT: "FAILED"}  # every other end is KILLED


def require_mlflow() -> None:
    try:
        import mlflow.tracking  # noqa: F401 - the orchestrator needs it to create runs
    except ImportError:
        raise ContractError(
            f"trial.contract: azure reads metrics through MLflow, which is not installed:"
            f" {INSTALL_HINT}"
        ) from None


class MlflowTracking:
    def __init__(self, study_dir: Path, experiment: str) -> None:
        require_mlflow()
        # mlflow 3 refuses file stores unless told; the trials inherit the setting.
        os.environ.setdefault("MLFLOW_ALLOW_FILE_STORE", "true")
        from mlflow.tracking import MlflowClient

        self.root = (Path(study_dir) / STORE_DIR).resolve()
        self.root.mkdir(parents=True, exist_ok=True)
        self.uri = self.root.as_uri()
        self.client = MlflowClient(self.uri)
        found = self.client.get_experiment_by_name(experiment)
        self.experiment_id = (
            found.experiment_id if found else self.client.create_experiment(experiment)
        )
        self.parent_run_id = self._parent_run(experiment)

    def _parent_run(self, experiment: str) -> str:
        marker = self.root / _PARENT_FILE
        if marker.exists():  # a resumed study keeps its parent run
            return marker.read_text(encoding="utf-8").strip()
        run = self.client.create_run(self.experiment_id, run_name=experiment,
                                     tags={"hpo_bridge.role": "sweep"})
        marker.write_text(run.info.run_id, encoding="utf-8")
        return run.info.run_id

    def create_trial_run(self, trial_id: int, name: str, params: dict[str, Any]) -> str:
        from mlflow.entities import Param

        run = self.client.create_run(
            self.experiment_id,
            run_name=f"{name}_{trial_id}",
            tags={"mlflow.parentRunId": self.parent_run_id, "hpo_bridge.trial": str(trial_id)},
        )
        run_id = run.info.run_id
        if params:
            self.client.log_batch(
                run_id, params=[Param(k, format_value(v)) for k, v in params.items()]
            )
        return run_id

    def metrics_dir(self, run_id: str) -> Path:
        """Where the file store keeps the run's metric history (one file per metric)."""
        return self.root / self.experiment_id / run_id / "metrics"

    def finish(self, run_id: str, status: TrialStatus) -> None:
        """End a run the script left open (killed, crashed); one it ended keeps its status."""
        if self.client.get_run(run_id).info.status == "RUNNING":
            self.client.set_terminated(run_id, status=_END_STATUS.get(status, "KILLED"))
