"""A SageMaker-style training script (seed 003): it only prints the test loss."""

import argparse

parser = argparse.ArgumentParser()
parser.add_argument("--lr", type=float, default=0.01)
parser.add_argument("--batch-size", type=int, default=64)
parser.add_argument("--epochs", type=int, default=1)
args = parser.parse_args()
loss = round(abs(args.lr - 0.01) + args.batch_size / 10000 + 1 / args.epochs / 100, 4)
print(f"Test set: Average loss: {loss:.4f}, Accuracy: 9850/10000 (98%)")
