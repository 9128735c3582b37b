"""Helpers shared by the course notebooks.

Import the module you need with its prefix, as the notebooks do::

    from course_utils import core, data, viz, train, results, checks

Submodules load lazily, so a plotting notebook that never touches ``train`` does not
pay for importing PyTorch.
"""
from __future__ import annotations

import importlib
import os
from typing import Any

# The course runs offline: Albumentations would otherwise ask PyPI for a newer version
# on import (and print a warning when there is no network).
os.environ.setdefault("NO_ALBUMENTATIONS_UPDATE", "1")

__all__ = ["attribution", "autoencoders", "cam", "centernet", "charts", "checkpoints", "checks",
           "competition", "core", "data", "detection", "detection_metrics", "figchecks", "figdata",
           "figmarks", "gans", "models", "results", "segmentation", "selfsup", "shapes", "tables",
           "textlayout", "train", "viz"]
__version__ = "0.1.0"


def __getattr__(name: str) -> Any:
    if name in __all__:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module 'course_utils' has no attribute '{name}'")


def __dir__() -> list[str]:
    return sorted(list(globals()) + __all__)
