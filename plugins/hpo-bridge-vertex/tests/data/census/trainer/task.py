"""A stand-in for the census sample's trainer: reports `metric1` through cloudml-hypertune."""

import argparse

import hypertune

parser = argparse.ArgumentParser()
parser.add_argument("--hidden1", type=int, default=100)
parser.add_argument("--numRnnCells", type=int, default=1)
parser.add_argument("--rnnCellType", default="GRUCell")
args, _ = parser.parse_known_args()
cells = {"BasicLSTMCell": 0.02, "BasicRNNCell": 0.0, "GRUCell": 0.03, "LSTMCell": 0.025,
         "LayerNormBasicLSTMCell": 0.01}
value = 0.7 + cells[args.rnnCellType] + 0.01 * args.numRnnCells - abs(args.hidden1 - 200) / 4000
hypertune.HyperTune().report_hyperparameter_tuning_metric(
    hyperparameter_metric_tag="metric1", metric_value=round(value, 6), global_step=1)
