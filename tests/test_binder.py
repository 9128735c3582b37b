"""Binder: repo2docker accepts the repository and builds the course's conda environment.

`repo2docker --no-build` prints the Dockerfile it would build (no Docker needed). It
comes with requirements-dev.txt; where it is not installed the test skips.
"""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def test_repo2docker_accepts_the_repository():
    exe = shutil.which("repo2docker", path=str(Path(sys.executable).parent)) or shutil.which("repo2docker")
    if exe is None:
        pytest.skip("repo2docker not installed (pip install -r requirements-dev.txt)")
    proc = subprocess.run([exe, "--no-build", "--user-id", "1000", "--user-name", "jovyan", str(ROOT)],
                          capture_output=True, text=True, timeout=120)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-3000:]
    assert "python=3.11" in out, "Binder should build the Python 3.11 environment of environment.yml"
    assert 'environment.yml' in out, "Binder should install environment.yml"
