"""Train the course checkpoints into data/checkpoints/ and print their SHA-256.

Each checkpoint has a trainer in scripts/trainers/<name>.py defining NAME and
train_model() -> nn.Module (seeded, CPU, one thread via scripts/env.sh). Run with
`./course checkpoints [NAME ...]`; after retraining, copy the printed hash into the
registry in course_utils/checkpoints.py. `--check` only verifies the stored files.
"""
from __future__ import annotations

import argparse
import importlib.util
import sys
from pathlib import Path

import torch

from course_utils import checkpoints

TRAINER_DIR = Path(__file__).resolve().parent / "trainers"


def trainers() -> dict[str, Path]:
    return {p.stem: p for p in sorted(TRAINER_DIR.glob("*.py")) if not p.name.startswith("_")}


def load_trainer(path: Path):
    spec = importlib.util.spec_from_file_location(f"trainers.{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("names", nargs="*", help=f"checkpoints to train (default all: {sorted(trainers())})")
    parser.add_argument("--check", action="store_true", help="only verify the stored files")
    args = parser.parse_args()
    available = trainers()
    unknown = [n for n in args.names if n not in available]
    if unknown:
        sys.exit(f"no trainer for {unknown}; available: {sorted(available)}")
    failed = False
    for name in args.names or sorted(available):
        path = checkpoints.checkpoint_path(name)
        if not args.check:
            net = load_trainer(available[name]).train_model()
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
