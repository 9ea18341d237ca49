"""A sweep trial: logs accuracy three times with mlflow; the values encode the arguments, so
a test can say exactly what each trial logged."""

import argparse
import time

import mlflow

parser = argparse.ArgumentParser()
parser.add_argument("--lr", type=float)
parser.add_argument("--bs", type=int)
parser.add_argument("--slow", type=int, default=0)
args = parser.parse_args()
with mlflow.start_run():
    for step in range(3):
        mlflow.log_metric("accuracy", round(args.lr * 100 + args.bs / 1000 + step / 10, 9),
                          step=step)
print(f"trained lr={args.lr} bs={args.bs}", flush=True)
time.sleep(300 if args.slow else 0)
