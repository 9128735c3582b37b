"""Student editions and autograding with nbgrader (scripts/classroom.py, docs/teaching.md).

Every notebook is covered (the list comes from the notebooks folder). The solution
notebooks are graded from their stored outputs, which nbval re-runs and compares in the
same test session; a student edition is executed for real (the cheapest lecture here,
every notebook in CI through `./course autograde`).
"""
from __future__ import annotations

import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
import classroom  # noqa: E402

NOTEBOOKS = classroom.NOTEBOOKS
LECTURES = [p for p in NOTEBOOKS if not p.name.startswith("00_")]


@pytest.fixture(scope="module")
def course_dir(tmp_path_factory):
    """An nbgrader course directory of its own, so tests never touch scratch/classroom."""
    old = classroom.COURSE_DIR
    classroom.COURSE_DIR = tmp_path_factory.mktemp("classroom")
    yield classroom.COURSE_DIR
    classroom.COURSE_DIR = old


@pytest.fixture(scope="module")
def editions(course_dir):
    return dict(zip(NOTEBOOKS, classroom.generate(NOTEBOOKS)))


def test_every_notebook_carries_current_nbgrader_metadata():
    assert not classroom.check_metadata(), "re-execute with ./course execute (it writes the metadata)"


@pytest.mark.parametrize("path", LECTURES, ids=lambda p: p.name)
def test_exercises_are_graded_cells(path):
    nb = nbformat.read(path, as_version=4)
    found = classroom.exercises(nb)
    assert len(found) >= 3, f"{len(found)} exercises; at least 3 expected"
    for _, solution, check in found:
        assert "checks." not in nb.cells[solution].source, "keep the check in its own cell, after the solution"
        assert check == solution + 1 or "checks." in nb.cells[check].source


def test_student_editions_have_stubs_and_no_solutions(editions):
    for path, student in editions.items():
        solution_nb = nbformat.read(path, as_version=4)
        nb = nbformat.read(student, as_version=4)
        assert len(nb.cells) == len(solution_nb.cells), path.name
        n_ex = len(classroom.exercises(solution_nb))
        stubs = sum("Exercise not answered yet" in c.source for c in nb.cells if c.cell_type == "code")
        assert stubs == n_ex, f"{path.name}: {stubs} stubs for {n_ex} exercises"
        for cell in nb.cells:
            if cell.cell_type == "code":
                assert "BEGIN SOLUTION" not in cell.source, path.name
            assert not cell.get("outputs"), f"{path.name}: outputs are cleared in the student edition"


def test_solutions_get_full_marks(editions):
    for path in NOTEBOOKS:
        source = classroom.COURSE_DIR / "source" / path.stem / path.name
        grades = classroom.autograde(path, "solutions", source, execute=False)
        assert grades, f"{path.name}: no autograded cells"
        assert all(score == top for score, top in grades.values()), f"{path.name}: {grades}"


def _cheapest_lecture() -> Path:
    return next(p for p in LECTURES if p.name.startswith("12_"))


@pytest.mark.parametrize("path", [_cheapest_lecture()], ids=lambda p: p.name)
def test_student_edition_scores_zero_and_does_not_crash(editions, path):
    grades = classroom.autograde(path, "student", editions[path], execute=True)
    assert len(grades) == len(classroom.exercises(nbformat.read(path, as_version=4)))
    assert all(score == 0 for score, _ in grades.values()), grades


def test_student_edition_stops_at_first_exercise_with_a_hint(editions, tmp_path):
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    path = _cheapest_lecture()
    nb = nbformat.read(editions[path], as_version=4)
    first = classroom.exercises(nbformat.read(path, as_version=4))[0]
    with pytest.raises(CellExecutionError) as info:
        NotebookClient(nb, timeout=300, kernel_name="python3",
                       resources={"metadata": {"path": str(path.parent)}}).execute()
    assert info.value.ename == "NotImplementedError"
    assert "Exercise not answered yet" in info.value.evalue
    failed = [i for i, c in enumerate(nb.cells) if c.cell_type == "code"
              and any(o.output_type == "error" for o in c.get("outputs", []))]
    assert failed == [first[1]] or failed == [first[2]], f"stopped at cell {failed}, expected exercise 1"
    tb = "\n".join(o.traceback[-1] for o in nb.cells[failed[0]].outputs if o.output_type == "error")
    assert "Exercise not answered yet" in tb

