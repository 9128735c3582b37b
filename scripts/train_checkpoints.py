"""Train the course checkpoints into data/checkpoints/ and print their SHA-256.

Run with `./course checkpoints` (one thread, seeded). After retraining, copy the printed
hashes into course_utils/checkpoints.py. `--check` only verifies the stored files.
"""
from __future__ import annotations

import argparse
import sys

import torch

from course_utils import checkpoints, core, data, models, train


def train_digits04() -> torch.nn.Module:
    """DigitsCNN on digits 0-4, train split only (the test split of 5-9 stays unseen)."""
    core.seed_everything(0)
    train_loader, test_loader = data.load_data_digits(batch_size=64, classes=range(5))
    net = models.DigitsCNN(num_classes=5)
    train.fit(net, train_loader, test_loader, num_epochs=12, lr=2e-3, device=torch.device("cpu"))
    acc = train.evaluate(net, test_loader)["acc"]
    if acc < 0.97:
        sys.exit(f"digits04_cnn reached only {acc:.3f} test accuracy on digits 0-4; not saved")
    return net


TRAINERS = {"digits04_cnn": train_digits04}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("names", nargs="*", help=f"checkpoints to train (default all: {sorted(TRAINERS)})")
    parser.add_argument("--check", action="store_true", help="only verify the stored files")
    args = parser.parse_args()
    names = args.names or sorted(TRAINERS)
    failed = False
    for name in names:
        path = checkpoints.checkpoint_path(name)
        if not args.check:
            net = TRAINERS[name]()
            path.parent.mkdir(parents=True, exist_ok=True)
            torch.save(net.state_dict(), path)
        digest = checkpoints.sha256_of(path)
        ok = digest == checkpoints.CHECKPOINTS[name].sha256
        failed |= not ok
        print(f"{name}: {path.name} sha256={digest} "
              f"{'matches the registry' if ok else 'DIFFERS from the registry: update it'}")
    if args.check and failed:
        sys.exit(1)


if __name__ == "__main__":
    main()
