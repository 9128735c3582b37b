"""House rules every course notebook follows (see README, 'Writing a notebook')."""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
HANGUL = re.compile(r"[\uac00-\ud7a3]")
ABSOLUTE_PATH = re.compile(r"(?<![\w.])/(?:home|root|work|Users|tmp)/[\w.-]+")
FORBIDDEN = {  # pattern in code -> why it is not allowed
    r"download\s*=\s*True": "nothing downloads at run time",
    r"sns\.load_dataset\(": "seaborn's datasets come from the web; use tables.load_table",
    r"torch\.hub\.": "no hub weights; use course_utils.checkpoints",
    r"weights\s*=\s*['\"]?[A-Za-z_]+\.(DEFAULT|IMAGENET)": "no downloaded torchvision weights",
    r"sys\.path": "install course_utils with pip install -e . instead of path tricks",
    r"from course_utils[.\w]* import \*": "no star imports",
}
ALLOWED_TAGS = {"nbval-ignore-output", "nbval-skip", "raises-exception", "nbval-check-output"}
REASON = re.compile(r"#\s*output not compared:\s*\S", re.I)


def load(path: Path) -> nbformat.NotebookNode:
    return nbformat.read(path, as_version=4)


def code_cells(nb):
    return [c for c in nb.cells if c.cell_type == "code"]


def test_there_are_notebooks():
    assert NOTEBOOKS, "no notebooks found in notebooks/"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
class TestNotebook:
    def test_title_cell(self, path):
        first = load(path).cells[0]
        assert first.cell_type == "markdown" and first.source.startswith("# "), \
            "the first cell must be a markdown title ('# ...')"
        assert HANGUL.search(first.source.splitlines()[0]), "the title names the Korean lecture"
        assert re.search(r"you will learn", first.source, re.I), "title cell has a 'You will learn' list"
        assert re.search(r"run time", first.source, re.I), "title cell states the approximate run time"

    def test_setup_cell(self, path):
        first = code_cells(load(path))[0].source
        assert first.startswith("# Setup"), "the first code cell is the standard setup cell"
        for needed in ("from course_utils import", "viz.set_theme()", "core.seed_everything("):
            assert needed in first, f"setup cell lacks {needed!r}"

    def test_kernelspec(self, path):
        assert load(path).metadata.get("kernelspec", {}).get("name") == "python3"

    def test_executed_in_order_without_errors(self, path):
        nb = load(path)
        counts = [c.execution_count for c in code_cells(nb) if c.source.strip()]
        assert counts == list(range(1, len(counts) + 1)), \
            "re-execute top to bottom with ./course execute (execution counts must be 1..N)"
        for cell in code_cells(nb):
            if "raises-exception" in cell.metadata.get("tags", []):
                continue
            errors = [o for o in cell.outputs if o.output_type == "error"]
            assert not errors, f"stored error in cell: {cell.source[:60]!r}"

    def test_outputs_stored(self, path):
        assert any(c.outputs for c in code_cells(load(path))), "notebook has no stored outputs"

    def test_no_absolute_paths(self, path):
        text = path.read_text(encoding="utf-8")
        assert not ABSOLUTE_PATH.search(text), f"absolute path: {ABSOLUTE_PATH.search(text).group()}"

    def test_no_forbidden_code(self, path):
        for cell in code_cells(load(path)):
            for pattern, why in FORBIDDEN.items():
                assert not re.search(pattern, cell.source), f"{pattern!r} in a code cell: {why}"

    def test_no_trailing_semicolon(self, path):
        # nbval runs cells without history, so ';' does not hide output there.
        for cell in code_cells(load(path)):
            assert not cell.source.rstrip().endswith(";"), \
                f"end plot cells with plt.show(), not ';': {cell.source[-60:]!r}"

    def test_tags_are_known_and_explained(self, path):
        for cell in code_cells(load(path)):
            tags = set(cell.metadata.get("tags", []))
            assert tags <= ALLOWED_TAGS | {"solution", "exercise"}, f"unknown tags {tags - ALLOWED_TAGS}"
            if tags & {"nbval-ignore-output", "nbval-skip"}:
                assert REASON.search(cell.source), \
                    "a cell whose output is not compared says why: '# Output not compared: <reason>'"

    def test_no_widget_state_or_timings(self, path):
        nb = load(path)
        assert "widgets" not in nb.metadata, "strip widget state (./course execute does)"
        assert not any("execution" in c.metadata for c in nb.cells), "cell timings stored"

    def test_solution_markers_balanced(self, path):
        for cell in code_cells(load(path)):
            assert cell.source.count("# BEGIN SOLUTION") == cell.source.count("# END SOLUTION")

    def test_listed_in_course_map_and_readme(self, path):
        start = (ROOT / "notebooks" / "00_start_here.ipynb").read_text(encoding="utf-8")
        readme = (ROOT / "README.md").read_text(encoding="utf-8")
        assert path.name in start, "link the notebook from the course map in 00_start_here"
        assert path.name in readme, "list the notebook in README.md"

    def test_printed_numbers_are_rounded(self, path):
        # Raw float32/float64 reprs (0.30000001192092896) are noise that can change with
        # the CPU; print rounded values (3 decimals) instead.
        long_float = re.compile(r"\d\.\d{7,}")
        for cell in code_cells(load(path)):
            for out in cell.outputs:
                text = out.get("text", "") if out.output_type == "stream" else \
                    out.get("data", {}).get("text/plain", "")
                match = long_float.search(text)
                assert not match, f"unrounded number {match.group()!r} in the output of {cell.source[:60]!r}"

    def test_no_failed_claim_or_floor_stored(self, path):
        # results.claim / expect_* print these markers when a conclusion or floor fails; a
        # stored one means a sentence of the notebook is no longer backed by its numbers.
        failed = re.compile(r"^\[x\] |BELOW FLOOR|ABOVE CEILING|BELOW HALFWAY", re.M)
        for cell in code_cells(load(path)):
            if "except AssertionError" in cell.source:
                continue  # a cell that shows a failing check on purpose, and catches it
            for out in cell.outputs:
                text = out.get("text", "") if out.output_type == "stream" else \
                    out.get("data", {}).get("text/plain", "")
                match = failed.search(text)
                assert not match, f"failed claim or floor {match.group()!r} stored in {cell.source[:60]!r}"

    def test_size(self, path):
        assert path.stat().st_size < 3 * 1024 * 1024, "over 3 MiB: lower figure dpi or trim outputs"


LECTURES = [p for p in NOTEBOOKS if not p.name.startswith("00_")]


@pytest.mark.parametrize("path", LECTURES, ids=lambda p: p.name)
def test_lectures_have_three_checked_exercises(path):
    cells = code_cells(load(path))
    solutions = sum(c.source.count("# BEGIN SOLUTION") for c in cells)
    checked = sum(1 for c in cells if "checks.check_" in c.source)
    assert solutions >= 3, f"{solutions} exercises with reference solutions; at least 3 expected"
    assert checked >= 3, f"{checked} cells call course_utils.checks; at least 3 expected"


def test_glossary_is_current():
    proc = subprocess.run([sys.executable, str(ROOT / "scripts" / "build_glossary.py"), "--check"],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr

