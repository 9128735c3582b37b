"""Tests for course_utils.textlayout and the figure text guard that runs in every kernel
started by ./course execute and ./course test (scripts/ipython, scripts/env.sh)."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import matplotlib.pyplot as plt
import nbformat
import numpy as np
import pytest

from course_utils import textlayout

ROOT = Path(__file__).resolve().parent.parent


def test_clean_figure_has_no_problems():
    fig, ax = plt.subplots(figsize=(4, 3), layout="constrained")
    ax.plot([1, 2, 3])
    ax.set_title("clean")
    ax.set_xlabel("x")
    assert textlayout.text_problems(fig) == []


def test_overlapping_texts_are_named():
    fig, ax = plt.subplots(figsize=(4, 3), layout="constrained")
    ax.text(0.5, 0.5, "first label")
    ax.text(0.52, 0.5, "second label")
    problems = textlayout.text_problems(fig)
    assert problems == ["'first label' overlaps 'second label'"]


def test_text_outside_the_figure_is_reported():
    fig, ax = plt.subplots(figsize=(3, 2), layout="constrained")
    fig.text(0.9, 0.5, "sticks out on the right")
    assert any("runs outside the figure" in p for p in textlayout.text_problems(fig))


def test_rotated_neighbours_are_compared_as_rotated_boxes():
    # Slanted labels whose axis-aligned boxes overlap but whose glyphs do not. Matplotlib's
    # default style, so that a theme set by another test cannot change the font size.
    with plt.style.context("default"):
        fig, ax = plt.subplots(figsize=(4, 3), layout="constrained")
        ax.bar([f"category {i}" for i in range(8)], range(8))
        ax.tick_params(axis="x", rotation=45)
        assert textlayout.text_problems(fig) == []
        ax.tick_params(axis="x", rotation=0)                            # flat: they collide
        assert any("overlaps" in p for p in textlayout.text_problems(fig))


def test_invisible_and_empty_texts_are_ignored():
    fig, ax = plt.subplots(figsize=(4, 3), layout="constrained")
    ax.text(0.5, 0.5, "shown")
    ax.text(0.5, 0.5, "hidden").set_visible(False)
    ax.text(0.5, 0.5, "   ")
    assert textlayout.text_problems(fig) == []


def test_limit_counts_the_rest():
    fig, ax = plt.subplots(figsize=(4, 3), layout="constrained")
    for i in range(6):
        ax.text(0.5, 0.5 + i * 0.001, f"t{i}")
    problems = textlayout.text_problems(fig, limit=3)
    assert len(problems) == 4 and problems[-1].startswith("... and ")


BAD_INPUTS = [
    (textlayout.text_problems, ("not a figure",), {}, TypeError, "fig"),
    (textlayout.text_problems, (plt.figure,), {}, TypeError, "fig"),
    (textlayout.placed_texts, (None,), {}, TypeError, "fig"),
    (textlayout.PlacedText, ("label", "label", np.zeros((4, 2))), {}, TypeError, "artist"),
    (textlayout.PlacedText, (plt.text(0, 0, "a"), "a", np.zeros((2, 2))), {}, ValueError, "corners"),
]


@pytest.mark.parametrize("case", BAD_INPUTS, ids=lambda c: c[0].__name__)
def test_bad_inputs(case):
    fn, args, kwargs, exc, text = case
    with pytest.raises(exc, match=text):
        fn(*args, **kwargs)


def test_tol_and_limit_are_checked():
    fig = plt.figure()
    with pytest.raises(ValueError, match="tol"):
        textlayout.text_problems(fig, tol=-1)
    with pytest.raises(ValueError, match="limit"):
        textlayout.text_problems(fig, limit=0)


# ------------------------------------------------------------ the guard inside real kernels
SETUP = "import matplotlib.pyplot as plt\nfrom course_utils import viz\nviz.set_theme()"
CLEAN = "fig, ax = plt.subplots(figsize=(3, 2))\nax.plot([1, 2, 3])\nax.set_title('clean')\nplt.show()"
BAD = ("fig, ax = plt.subplots(figsize=(3, 2))\nax.text(0.5, 0.5, 'first label')\n"
       "ax.text(0.52, 0.5, 'second label')\nplt.show()")


def _notebook(path: Path, cells: list[str]) -> None:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(c) for c in cells]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, path)


def _env(mode: str) -> dict[str, str]:
    env = dict(os.environ, IPYTHONDIR=str(ROOT / "scripts" / "ipython"), COURSE_FIGURE_GUARD=mode,
               MPLBACKEND="", PYTHONPATH=str(ROOT))
    env.pop("MPLBACKEND")
    return env


def _execute(path: Path, mode: str) -> nbformat.NotebookNode:
    code = ("import sys, nbformat; from nbclient import NotebookClient\n"
            "nb = nbformat.read(sys.argv[1], 4)\n"
            "NotebookClient(nb, kernel_name='python3', resources={'metadata': {'path': sys.argv[2]}}).execute()\n"
            "nbformat.write(nb, sys.argv[1])\n")
    env = _env(mode) | {"COURSE_NOTEBOOK": path.name}
    subprocess.run([sys.executable, "-c", code, str(path), str(path.parent)], env=env, check=True,
                   capture_output=True, timeout=240)
    return nbformat.read(path, 4)


def _texts(nb) -> list[list[str]]:
    return [[o.get("text", "") + json.dumps(sorted(o.get("data", {}))) for o in c.outputs] for c in nb.cells]


def test_guard_reports_on_stderr_and_changes_nothing_in_a_clean_notebook(tmp_path):
    _notebook(tmp_path / "guarded.ipynb", [SETUP, CLEAN, BAD])
    warned = _execute(tmp_path / "guarded.ipynb", "warn")
    _notebook(tmp_path / "plain.ipynb", [SETUP, CLEAN, BAD])
    plain = _execute(tmp_path / "plain.ipynb", "off")
    assert _texts(warned)[:2] == _texts(plain)[:2]                  # clean cells: identical outputs
    report = [o for o in warned.cells[2].outputs if o.get("name") == "stderr"]
    assert len(report) == 1
    assert report[0]["text"].startswith("figure text guard: guarded.ipynb cell 2 ('fig, ax = plt.subplots")
    assert "'first label' overlaps 'second label'" in report[0]["text"]
    assert not any(o.get("name") == "stderr" for o in plain.cells[2].outputs)


def test_guard_fails_nbval_under_pytest_naming_notebook_cell_and_texts(tmp_path):
    for name, cells in [("clean.ipynb", [SETUP, CLEAN]), ("overlap.ipynb", [SETUP, CLEAN, BAD])]:
        _notebook(tmp_path / name, cells)
        _execute(tmp_path / name, "off")                            # stored outputs, no report
    env = _env("raise")
    shutil.copy(Path(__file__).resolve().parent.parent / "conftest.py", tmp_path)  # names the notebook
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-n", "2", "--dist", "loadfile", "--nbval", "--nbval-current-env",
         "-p", "no:cacheprovider", "--rootdir", str(tmp_path), "-c", os.devnull, "clean.ipynb",
         "overlap.ipynb"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    out = result.stdout + result.stderr
    assert result.returncode == 1, out[-3000:]
    assert "FigureTextError" in out and "'first label' overlaps 'second label'" in out
    assert "overlap.ipynb cell 2" in out
    assert "1 failed, 4 passed" in out, "only the overlapping figure's cell fails"
