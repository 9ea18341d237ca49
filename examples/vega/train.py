"""A Vega HPO trainer script: `--name=value` arguments, EPOCHS budget, ./accuracy.json.

Runs unchanged under Vega's HPO pipeline and hpo-bridge's vega contract: the
budget of a multi-fidelity search arrives in EPOCHS (absent in the fullytrain
stage, which trains fully), the stage in PIPESTEP, the accelerator in
DEVICE_ID. After each epoch it rewrites ./accuracy.json. The "training" is a
deterministic stand-in: accuracy rises each epoch, highest near lr=0.01.
"""

import argparse
import json
import math
import os
import time

FULL_EPOCHS = 9


def accuracy(lr: float, batch_size: int, epoch: int, pretrained: bool) -> float:
    distance = (math.log10(lr) + 2) ** 2 + (math.log2(batch_size) - 5) ** 2 / 20
    bonus = 0.02 if pretrained else 0.0
    return round(0.95 + bonus - 0.1 * distance - 0.3 / (epoch + 1), 6)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lr", type=float, default=0.01)
    parser.add_argument("--batch_size", type=int, default=32)
    parser.add_argument("--momentum", type=float, default=0.9)
    parser.add_argument("--pretrained", action="store_true")
    args = parser.parse_args()

    epochs = int(os.environ.get("EPOCHS", FULL_EPOCHS))
    stage = os.environ.get("PIPESTEP", "hpo")
    print(f"stage {stage}, {epochs} epochs, device {os.environ.get('DEVICE_ID', '-')}")
    for epoch in range(1, epochs + 1):
        value = accuracy(args.lr, args.batch_size, epoch, args.pretrained)
        with open("accuracy.json", "w") as fh:
            json.dump({"accuracy": value}, fh)
        print(f"epoch {epoch}: accuracy {value}")
        time.sleep(0.1)  # stands for an epoch of training


if __name__ == "__main__":
    main()
