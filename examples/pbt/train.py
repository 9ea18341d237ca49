"""A PBT trial: scikit-learn's SGDClassifier on the bundled digits, epoch by epoch, from a
pickled checkpoint.

Hyperparameters arrive as `--name=value` (the local contract) and the budget as
`--epochs`: the epoch to train up to. The checkpoint (the model, the shuffling
generator and the epoch reached) is saved in HPO_BRIDGE_CHECKPOINT_DIR after every
epoch, before the epoch's validation error is reported; a trial that continues
another's training (HPO_BRIDGE_RESTORE_FROM) loads it and goes on with its own
alpha and eta0 - that is how population-based training changes hyperparameters
during training (eta0 scales SGD's inverse-scaling step size).
"""

from __future__ import annotations

import argparse
import os
import pickle
from pathlib import Path

import numpy as np
from sklearn.datasets import load_digits
from sklearn.linear_model import SGDClassifier
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

import hpo_bridge

CHECKPOINT = "model.pkl"


def digits(seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    x, y = load_digits(return_X_y=True)
    x_train, x_val, y_train, y_val = train_test_split(
        x, y, test_size=0.3, random_state=seed, stratify=y)
    scaler = StandardScaler().fit(x_train)
    return scaler.transform(x_train), scaler.transform(x_val), y_train, y_val


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--alpha", type=float, required=True)
    parser.add_argument("--eta0", type=float, required=True)
    parser.add_argument("--epochs", type=int, default=27)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    save_dir = Path(os.environ.get("HPO_BRIDGE_CHECKPOINT_DIR", "checkpoints"))
    save_dir.mkdir(parents=True, exist_ok=True)
    restore = os.environ.get("HPO_BRIDGE_RESTORE_FROM")
    x_train, x_val, y_train, y_val = digits(args.seed)
    if restore and (Path(restore) / CHECKPOINT).exists():
        with open(Path(restore) / CHECKPOINT, "rb") as fh:
            state = pickle.load(fh)
        model, rng, epoch = state["model"], state["rng"], state["epoch"]
        model.set_params(alpha=args.alpha, eta0=args.eta0)  # this trial's values from now on
        print(f"resumed at epoch {epoch}", flush=True)
    else:
        model = SGDClassifier(alpha=args.alpha, eta0=args.eta0, learning_rate="invscaling",
                              power_t=0.25, random_state=args.seed)
        rng, epoch = np.random.default_rng(args.seed), 0
    classes = np.unique(y_train)
    while epoch < args.epochs:
        order = rng.permutation(len(x_train))
        model.partial_fit(x_train[order], y_train[order], classes=classes)
        epoch += 1
        partial = save_dir / (CHECKPOINT + ".partial")
        with open(partial, "wb") as fh:
            pickle.dump({"model": model, "rng": rng, "epoch": epoch}, fh)
        os.replace(partial, save_dir / CHECKPOINT)  # never a half-written checkpoint
        hpo_bridge.report(error=round(1.0 - float(model.score(x_val, y_val)), 6))


if __name__ == "__main__":
    main()
