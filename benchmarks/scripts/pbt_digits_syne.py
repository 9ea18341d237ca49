"""The digits PBT trial (examples/pbt/train.py) for Syne Tune: the same training, reported
through Syne Tune's Reporter, checkpoints in its `st_checkpoint_dir` (which Syne Tune fills
with the donor's when a trial continues another)."""

from __future__ import annotations

import argparse
import os
import pickle
import sys
from pathlib import Path

import numpy as np
from sklearn.linear_model import SGDClassifier
from syne_tune import Reporter

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "examples" / "pbt"))
from train import CHECKPOINT, digits  # noqa: E402 - the example's own data split


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--alpha", type=float, required=True)
    parser.add_argument("--eta0", type=float, required=True)
    parser.add_argument("--epochs", type=int, required=True)
    parser.add_argument("--st_checkpoint_dir", type=str, required=True)
    parser.add_argument("--seed", type=int, default=0)
    args, _ = parser.parse_known_args()
    folder = Path(args.st_checkpoint_dir)
    folder.mkdir(parents=True, exist_ok=True)
    x_train, x_val, y_train, y_val = digits(args.seed)
    if (folder / CHECKPOINT).exists():
        with open(folder / CHECKPOINT, "rb") as fh:
            state = pickle.load(fh)
        model, rng, epoch = state["model"], state["rng"], state["epoch"]
        model.set_params(alpha=args.alpha, eta0=args.eta0)
    else:
        model = SGDClassifier(alpha=args.alpha, eta0=args.eta0, learning_rate="invscaling",
                              power_t=0.25, random_state=args.seed)
        rng, epoch = np.random.default_rng(args.seed), 0
    report = Reporter()
    classes = np.unique(y_train)
    while epoch < args.epochs:
        order = rng.permutation(len(x_train))
        model.partial_fit(x_train[order], y_train[order], classes=classes)
        epoch += 1
        partial = folder / (CHECKPOINT + ".partial")
        with open(partial, "wb") as fh:
            pickle.dump({"model": model, "rng": rng, "epoch": epoch}, fh)
        os.replace(partial, folder / CHECKPOINT)
        report(epoch=epoch, error=round(1.0 - float(model.score(x_val, y_val)), 6))


if __name__ == "__main__":
    main()
