"""A SageMaker script-mode training script: it only logs, SageMaker reads the metrics by regex.

Runs unchanged on SageMaker and under hpo-bridge's sagemaker contract:
hyperparameters arrive as `--name value`, data in SM_CHANNEL_TRAINING, the model
goes to SM_MODEL_DIR. The "training" is a deterministic stand-in (no framework
needed): the loss falls each epoch, fastest near lr=0.01 and momentum=0.9.
"""

import argparse
import json
import logging
import math
import os
import sys

logger = logging.getLogger(__name__)
logger.setLevel(logging.INFO)
logger.addHandler(logging.StreamHandler(sys.stdout))


def test_loss(lr: float, momentum: float, epoch: int) -> float:
    distance = (math.log10(lr) + 2) ** 2 + 4 * (momentum - 0.9) ** 2
    return 0.03 + 0.1 * distance + 0.5 / (epoch + 1)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lr", type=float, default=0.01)
    parser.add_argument("--momentum", type=float, default=0.5)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--model-dir", default=os.environ.get("SM_MODEL_DIR", "model"))
    parser.add_argument("--train", default=os.environ.get("SM_CHANNEL_TRAINING", "data"))
    args = parser.parse_args()

    with open(os.path.join(args.train, "train.csv")) as fh:
        samples = sum(1 for line in fh if line.strip())
    logger.info("Training on %d samples, lr=%s momentum=%s", samples, args.lr, args.momentum)
    for epoch in range(1, args.epochs + 1):
        loss = test_loss(args.lr, args.momentum, epoch)
        correct = round(10000 * max(0.0, 1 - loss))
        logger.info(
            "Test set: Average loss: %.4f, Accuracy: %d/10000 (%d%%)",
            loss, correct, 100 * correct // 10000,
        )
    os.makedirs(args.model_dir, exist_ok=True)
    with open(os.path.join(args.model_dir, "model.json"), "w") as fh:
        json.dump({"lr": args.lr, "momentum": args.momentum}, fh)


if __name__ == "__main__":
    main()
