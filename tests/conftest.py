"""Shared test fixtures: a non-interactive backend, closed figures and fixed seeds.

Kept minimal on purpose: every test file in ``tests/`` (and the notebooks' own tests)
runs under it.
"""
from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures_and_seed():
    """Seed NumPy (and PyTorch when imported) before each test; close all figures after."""
    import random
    import sys

    random.seed(0)
    np.random.seed(0)
    if "torch" in sys.modules:
        sys.modules["torch"].manual_seed(0)
    yield
    plt.close("all")
