"""Seed 000's bandit example: a trial of quality q logs q at every one of 12 intervals (it
pauses after interval 10, where the policy decides, so a cancelled trial logs exactly 10)."""

import argparse
import time

import mlflow

parser = argparse.ArgumentParser()
parser.add_argument("--q", type=float)
args = parser.parse_args()
with mlflow.start_run():
    for step in range(1, 13):
        mlflow.log_metric("accuracy", args.q, step=step)
        if step == 10:
            time.sleep(3)
