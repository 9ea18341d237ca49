"""Quickstart trial: scikit-learn's SGDClassifier on the bundled digits data, epoch by epoch.

Hyperparameters arrive as `--name=value` arguments (the local contract); after
each epoch the validation accuracy is reported with `hpo_bridge.report`, so the
tuner's median stopping rule can end poor trials early.
"""

from __future__ import annotations

import argparse

import numpy as np
from sklearn.datasets import load_digits
from sklearn.linear_model import SGDClassifier
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

import hpo_bridge


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--alpha", type=float, required=True)
    parser.add_argument("--eta0", type=float, required=True)
    parser.add_argument("--loss", default="hinge")
    parser.add_argument("--learning_rate", default="optimal")
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    x, y = load_digits(return_X_y=True)
    x_train, x_val, y_train, y_val = train_test_split(
        x, y, test_size=0.3, random_state=args.seed, stratify=y
    )
    scaler = StandardScaler().fit(x_train)
    x_train, x_val = scaler.transform(x_train), scaler.transform(x_val)
    classes = np.unique(y)
    model = SGDClassifier(
        loss=args.loss,
        alpha=args.alpha,
        eta0=args.eta0,
        learning_rate=args.learning_rate,
        random_state=args.seed,
    )
    rng = np.random.default_rng(args.seed)
    for epoch in range(1, args.epochs + 1):
        order = rng.permutation(len(x_train))
        model.partial_fit(x_train[order], y_train[order], classes=classes)
        accuracy = float(model.score(x_val, y_val))
        print(f"epoch {epoch}: val_accuracy={accuracy:.4f}", flush=True)
        hpo_bridge.report(val_accuracy=accuracy)


if __name__ == "__main__":
    main()
