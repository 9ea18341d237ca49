"""An Azure ML sweep trial script: arguments from ${{search_space.*}}, metrics with MLflow.

Runs unchanged in an Azure ML sweep and under hpo-bridge's azure contract: the
command line references the sampled values, and `mlflow.log_metric` reaches the
run named by MLFLOW_RUN_ID. The "training" is a deterministic stand-in:
accuracy rises each epoch, highest near learning_rate=0.01 and batch_size=32.
"""

import argparse
import math
import os

import mlflow


def accuracy(learning_rate: float, batch_size: int, epoch: int) -> float:
    distance = (math.log10(learning_rate) + 2) ** 2 + (math.log2(batch_size) - 5) ** 2 / 10
    return round(0.97 - 0.1 * distance - 0.2 / epoch, 6)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--learning-rate", type=float, required=True)
    parser.add_argument("--batch-size", type=int, required=True)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--data", required=True)
    args = parser.parse_args()

    with open(os.path.join(args.data, "train.csv")) as fh:
        samples = sum(1 for line in fh if line.strip())
    # flush: the line reaches the run's log even when the sweep's policy ends the run early
    print(f"{samples} samples; sweep value {os.environ.get('AZUREML_SWEEP_learning_rate')}",  # noqa: SIM112 - Azure's own name
          flush=True)
    for epoch in range(1, args.epochs + 1):
        value = accuracy(args.learning_rate, args.batch_size, epoch)
        mlflow.log_metric("accuracy", value, step=epoch)
        mlflow.log_metric("loss", round(1 - value, 6), step=epoch)


if __name__ == "__main__":
    main()
