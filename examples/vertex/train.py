"""A Vertex AI training script that reports its metric with cloudml-hypertune.

Runs unchanged on Vertex AI and under hpo-bridge's vertex contract:
hyperparameters arrive as `--name=value`, the metric goes to the file named by
CLOUD_ML_HP_METRIC_FILE, the model to AIP_MODEL_DIR. The "training" is a
deterministic stand-in: accuracy rises each epoch, highest near
learning_rate=0.01 with 2 layers.
"""

import argparse
import json
import math
import os

import hypertune


def accuracy(learning_rate: float, num_layers: int, epoch: int) -> float:
    distance = (math.log10(learning_rate) + 2) ** 2 + 0.05 * (num_layers - 2) ** 2
    return round(0.98 - 0.1 * distance - 0.3 / (epoch + 1), 6)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--learning_rate", type=float, default=0.01)
    parser.add_argument("--num_layers", type=int, default=1)
    parser.add_argument("--epochs", type=int, default=3)
    args = parser.parse_args()

    tuner = hypertune.HyperTune()
    for epoch in range(1, args.epochs + 1):
        value = accuracy(args.learning_rate, args.num_layers, epoch)
        print(f"epoch {epoch}: accuracy {value}")
        tuner.report_hyperparameter_tuning_metric(
            hyperparameter_metric_tag="accuracy", metric_value=value, global_step=epoch
        )
    model_dir = os.environ.get("AIP_MODEL_DIR", "model")
    os.makedirs(model_dir, exist_ok=True)
    with open(os.path.join(model_dir, "model.json"), "w") as fh:
        json.dump(vars(args), fh)


if __name__ == "__main__":
    main()
