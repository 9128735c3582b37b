"""Root pytest configuration: the figure text guard fails notebooks under test.

Kernels that nbval starts inherit this process's environment, and scripts/env.sh points
their IPYTHONDIR at scripts/ipython, whose startup file checks every figure a cell
shows (scripts/ipython/README.md). Here the guard is switched from reporting on stderr
(as in ./course execute) to failing the cell, and each notebook's kernel is told which
notebook it runs, so a failure names the notebook, the cell and the texts.
"""
from __future__ import annotations

import os

import pytest


def pytest_configure(config) -> None:
    os.environ.setdefault("COURSE_FIGURE_GUARD", "raise")


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item) -> None:
    # Runs before nbval's notebook node starts its kernel for the first cell.
    if str(item.fspath).endswith(".ipynb"):
        os.environ["COURSE_GUARD_NOTEBOOK"] = os.path.basename(str(item.fspath))
