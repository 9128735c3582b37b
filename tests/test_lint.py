"""Habits of the ecosystem: ruff (lint, import order) and mypy are clean.

ruff covers course_utils, scripts, tests and the notebooks (it reads .ipynb); mypy
covers course_utils. Both are configured in pyproject.toml and run by `./course test`
and by the pre-commit hooks (.pre-commit-config.yaml).
"""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def test_ruff_is_clean():
    proc = subprocess.run([str(BIN / "ruff"), "check", "--no-cache", "course_utils", "scripts", "tests",
                           "notebooks"], cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]


def test_mypy_is_clean(tmp_path):
    proc = subprocess.run([str(BIN / "mypy"), "--cache-dir", str(tmp_path / "mypy"), "--no-error-summary"],
                          cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]


def test_every_module_is_under_400_lines():
    long = {p.name: n for p in sorted((ROOT / "course_utils").glob("*.py"))
            if (n := len(p.read_text(encoding="utf-8").splitlines())) >= 400}
    assert not long, f"split these modules by topic (STYLE.md): {long}"
