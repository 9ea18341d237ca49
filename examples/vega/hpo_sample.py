"""A training script prepared for Vega's HPO tool the way its hpo_sample.py is.

modification 1 and 4: the objective goes to ./accuracy.json (dump_objective);
modification 3: the budget comes from EPOCHS in the hpo stage (PIPESTEP), the device from
DEVICE_ID. Runs unchanged under Vega and under hpo-bridge's vega contract.
"""

import argparse
import json
import os
import stat
import time

import yaml
from toy_model import accuracy  # from pkg_path, which the tool puts on PYTHONPATH


def dump_objective(objective_key, objective_value):
    json_path = f"./{objective_key}.json"
    if os.path.exists(json_path):
        os.remove(json_path)
    flags, mode = os.O_WRONLY | os.O_CREAT, stat.S_IWUSR | stat.S_IRUSR
    with os.fdopen(os.open(json_path, flags, mode), "w") as fout:
        json.dump({objective_key: objective_value}, fout)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--lr", type=float, default=0.01)
    parser.add_argument("--momentum", type=float, default=0.0)
    parser.add_argument("--pretrained", action="store_true")
    parser.add_argument("--config_file", default=None)
    opt = parser.parse_args()
    with open(opt.config_file) as fh:
        opt.epochs = yaml.safe_load(fh)["epochs"]

    pipestep_env = os.getenv("PIPESTEP")
    epochs = opt.epochs
    if pipestep_env == "hpo":  # the search stage: the budget the algorithm assigns
        epochs = int(os.getenv("EPOCHS", opt.epochs))
    opt.device = "npu:{}".format(os.getenv("DEVICE_ID", "0"))
    print(f"{pipestep_env}: {epochs} epochs on {opt.device}, lr {opt.lr}")

    for epoch in range(1, epochs + 1):
        time.sleep(0.05)  # stands for an epoch of training
        print(f"epoch {epoch}: accuracy {accuracy(opt.lr, opt.momentum, epoch, opt.pretrained)}")
    dump_objective("accuracy", accuracy(opt.lr, opt.momentum, epochs, opt.pretrained))


if __name__ == "__main__":
    main()
