"""Device selection, seeding and the course's folders (introduced in 00_start_here)."""
from __future__ import annotations

import os
import random
import sys
from pathlib import Path

import numpy as np

from ._validate import check_relative_parts

REPO_ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = REPO_ROOT / "data"
_VALID_DEVICES = ("cpu", "cuda", "mps")


def get_device(prefer: str | None = None):
    """Return the ``torch.device`` the course computes on: CUDA, then Apple MPS, then CPU.

    ``prefer`` (or the environment variable ``COURSE_DEVICE``) forces one of
    ``"cpu"``, ``"cuda"``, ``"mps"``; the test command sets ``COURSE_DEVICE=cpu`` so
    stored outputs are reproduced on any machine.
    """
    import torch

    if prefer is not None and not isinstance(prefer, str):
        raise TypeError(f"prefer must be a device name {_VALID_DEVICES} or None, got {prefer!r}")
    source = "prefer" if prefer else "COURSE_DEVICE"
    choice = prefer or os.environ.get("COURSE_DEVICE") or None
    if choice is not None:
        if choice not in _VALID_DEVICES:
            raise ValueError(f"{source}: device must be one of {_VALID_DEVICES}, got {choice!r}")
        available = {"cpu": True, "cuda": torch.cuda.is_available(),
                     "mps": torch.backends.mps.is_available()}
        if not available[choice]:
            raise RuntimeError(f"device {choice!r} was requested but is not available here")
        return torch.device(choice)
    if torch.cuda.is_available():
        return torch.device("cuda")
    if torch.backends.mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def seed_everything(seed: int = 0) -> None:
    """Seed Python's ``random``, NumPy and (when it is imported) PyTorch.

    Notebooks that train import torch before calling this in their setup cell;
    plotting notebooks never import torch and do not pay for it.
    """
    if not isinstance(seed, int) or seed < 0:
        raise ValueError(f"seed must be a non-negative int, got {seed!r}")
    random.seed(seed)
    np.random.seed(seed)
    if "torch" in sys.modules:
        import torch

        torch.manual_seed(seed)  # also seeds CUDA and MPS generators


def scratch_dir(*parts: str) -> Path:
    """Return (and create) a folder under the git-ignored ``scratch/`` folder.

    Everything a notebook writes (TensorBoard logs, submissions) goes here, never into
    ``data/``. ``COURSE_SCRATCH`` moves the whole folder elsewhere. ``parts`` are relative
    folder names: an absolute path or ``..`` would leave ``scratch/`` and is an error.
    """
    check_relative_parts("parts", parts)
    root = Path(os.environ.get("COURSE_SCRATCH", REPO_ROOT / "scratch"))
    path = root.joinpath(*parts)
    path.mkdir(parents=True, exist_ok=True)
    return path


def environment_report() -> dict[str, str]:
    """Versions of the main libraries, the device and the thread count (00_start_here)."""
    import platform

    import matplotlib
    import pandas
    import sklearn
    import torch
    import torchvision

    return {
        "python": platform.python_version(),
        "torch": torch.__version__,
        "torchvision": torchvision.__version__,
        "numpy": np.__version__,
        "pandas": pandas.__version__,
        "matplotlib": matplotlib.__version__,
        "scikit-learn": sklearn.__version__,
        "device": str(get_device()),
        "torch threads": str(torch.get_num_threads()),
    }
