"""Student editions and autograding with nbgrader (docs/teaching.md).

The course notebooks are nbgrader *source* notebooks: each exercise's solution cell (the
code between ``# BEGIN SOLUTION`` and ``# END SOLUTION``) is an nbgrader solution cell,
the check cell after it an autograded test worth one point, and the exercise statement
above it a read-only cell. ``apply_metadata`` writes that cell metadata (``./course
execute`` applies it before saving; nbval ignores metadata).

    python scripts/classroom.py generate [--out DIR]   # student editions (nbgrader generate_assignment)
    python scripts/classroom.py autograde [--execute-solutions] [NOTEBOOK ...]
    python scripts/classroom.py check                   # every notebook carries current metadata

Everything is written under ``scratch/classroom/`` (git-ignored): an nbgrader course
directory with ``source/``, ``release/`` (the student editions), ``submitted/``,
``autograded/`` and ``gradebook.db``.
"""
from __future__ import annotations

import argparse
import os
import shutil
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
COURSE_DIR = ROOT / "scratch" / "classroom"
STUB = ('# YOUR CODE HERE\nraise NotImplementedError("Exercise not answered yet: replace these two lines '
        'with your answer, then run the check cell below.")')
SCHEMA = 3
# nbgrader runs the `alembic` command of its own environment to check the gradebook.
os.environ["PATH"] = str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", "")


def exercises(nb: nbformat.NotebookNode) -> list[tuple[int, int, int | None]]:
    """(statement, solution, check) cell indices of every exercise, in order.

    The statement is the markdown cell just above the solution cell (or None... -1 if
    there is none), the check the first later code cell that calls ``checks.`` before
    the next solution cell.
    """
    cells, found = nb.cells, []
    solutions = [i for i, c in enumerate(cells) if c.cell_type == "code" and "# BEGIN SOLUTION" in c.source]
    for k, i in enumerate(solutions):
        stop = solutions[k + 1] if k + 1 < len(solutions) else len(cells)
        check = next((j for j in range(i + 1, stop) if cells[j].cell_type == "code"
                      and "checks." in cells[j].source), None)
        if check is None:
            raise ValueError(f"exercise {k + 1} (cell {i}) has no check cell calling checks.* after it")
        statement = i - 1 if i > 0 and cells[i - 1].cell_type == "markdown" else -1
        found.append((statement, i, check))
    return found


def _meta(grade_id: str, *, solution: bool = False, grade: bool = False, locked: bool = False,
          points: int | None = None) -> dict:
    meta = {"grade": grade, "grade_id": grade_id, "locked": locked, "schema_version": SCHEMA,
            "solution": solution, "task": False}
    if points is not None:
        meta["points"] = points
    return meta


def apply_metadata(nb: nbformat.NotebookNode, stem: str) -> nbformat.NotebookNode:
    """Set nbgrader metadata on exercise cells (and remove stale metadata elsewhere)."""
    for cell in nb.cells:
        cell.metadata.pop("nbgrader", None)
    for k, (statement, solution, check) in enumerate(exercises(nb), start=1):
        ex = f"{stem}-ex{k}"
        if statement >= 0:
            nb.cells[statement].metadata["nbgrader"] = _meta(f"{ex}-statement", locked=True)
        nb.cells[solution].metadata["nbgrader"] = _meta(f"{ex}-solution", solution=True)
        nb.cells[check].metadata["nbgrader"] = _meta(f"{ex}-check", grade=True, locked=True, points=1)
    return nb


def _config(execute: bool = True):
    from traitlets.config import Config

    c = Config()
    c.CourseDirectory.root = str(COURSE_DIR)
    c.CourseDirectory.course_id = "cv-course"
    c.ClearSolutions.code_stub = {"python": STUB}
    c.Execute.timeout = 600
    c.Execute.allow_errors = True
    if not execute:  # grade the stored outputs (nbval proves them current in the same test run)
        from nbgrader.converters.autograde import Autograde

        traits = Autograde.class_traits()
        sanitize = [p for p in traits["sanitize_preprocessors"].default() if p.__name__ != "ClearOutput"]
        grade = [p for p in traits["autograde_preprocessors"].default() if p.__name__ != "Execute"]
        c.Autograde.sanitize_preprocessors = sanitize
        c.Autograde.autograde_preprocessors = grade
    return c


def _api(execute: bool = True):
    from nbgrader.apps import NbGraderAPI

    return NbGraderAPI(config=_config(execute))


def generate(paths: list[Path] | None = None, out: Path | None = None) -> list[Path]:
    """Student editions of ``paths`` (default all) with nbgrader generate_assignment.

    Each notebook is one assignment named after its file stem. Returns the student
    editions' paths (``release/<stem>/<name>.ipynb``), optionally copied to ``out``.
    """
    api, written = _api(), []
    for path in paths or NOTEBOOKS:
        source = COURSE_DIR / "source" / path.stem
        shutil.rmtree(source, ignore_errors=True)
        source.mkdir(parents=True)
        nb = apply_metadata(nbformat.read(path, as_version=4), path.stem)
        for cell in nb.cells:  # prose that names the markers (00 explains them) is not a solution
            if cell.cell_type == "markdown":
                cell.source = cell.source.replace("BEGIN SOLUTION", "BEGIN\u00a0SOLUTION").replace(
                    "END SOLUTION", "END\u00a0SOLUTION")
        nbformat.write(nb, source / path.name)
        result = api.generate_assignment(path.stem, force=True, create=True)
        if not result["success"]:
            raise RuntimeError(f"nbgrader generate_assignment failed for {path.name}:\n{result['log']}"
                               f"\n{result.get('error', '')}")
        release = COURSE_DIR / "release" / path.stem / path.name
        if out is not None:
            out.mkdir(parents=True, exist_ok=True)
            release = Path(shutil.copy(release, out / path.name))
        written.append(release)
    return written


def autograde(path: Path, student: str, notebook: Path, execute: bool) -> dict[str, tuple[float, float]]:
    """Autograde ``notebook`` as ``student``'s submission of ``path``'s assignment.

    Returns {grade_id: (score, max_score)} for every autograded check cell.
    """
    from nbgrader.api import Gradebook

    submitted = COURSE_DIR / "submitted" / student / path.stem
    shutil.rmtree(submitted, ignore_errors=True)
    submitted.mkdir(parents=True)
    shutil.copy(notebook, submitted / path.name)
    result = _api(execute).autograde(path.stem, student, force=True, create=True)
    if not result["success"]:
        raise RuntimeError(f"nbgrader autograde failed for {student}/{path.name}:\n{result['log']}"
                           f"\n{result.get('error', '')}")
    with Gradebook(f"sqlite:///{COURSE_DIR / 'gradebook.db'}") as gb:
        nb = gb.find_submission_notebook(path.stem, path.stem, student)
        return {g.name: (g.score, g.max_score) for g in nb.grades if g.auto_score is not None}


def check_metadata() -> list[str]:
    """Notebooks whose stored nbgrader metadata differs from ``apply_metadata``'s."""
    stale = []
    for path in NOTEBOOKS:
        nb = nbformat.read(path, as_version=4)
        before = [c.metadata.get("nbgrader") for c in nb.cells]
        after = [c.metadata.get("nbgrader") for c in apply_metadata(nb, path.stem).cells]
        if before != after:
            stale.append(path.name)
    return stale


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="cmd", required=True)
    gen = sub.add_parser("generate", help="write the student editions")
    gen.add_argument("--out", type=Path, default=ROOT / "scratch" / "student")
    gen.add_argument("notebooks", nargs="*", type=Path)
    grade = sub.add_parser("autograde", help="autograde solutions and student editions")
    grade.add_argument("--execute-solutions", action="store_true",
                       help="re-execute the solution notebooks instead of grading their stored outputs")
    grade.add_argument("notebooks", nargs="*", type=Path)
    sub.add_parser("check", help="every notebook carries current nbgrader metadata")
    args = parser.parse_args()
    if args.cmd == "check":
        stale = check_metadata()
        print("nbgrader metadata current" if not stale else f"stale nbgrader metadata: {stale} "
              "(re-run ./course execute, or python scripts/classroom.py apply)")
        return 1 if stale else 0
    paths = [p.resolve() for p in args.notebooks] or NOTEBOOKS
    if args.cmd == "generate":
        for path in generate(paths, args.out):
            print(f"wrote {path}")
        return 0
    failed = False
    for path, student in zip(paths, generate(paths)):
        source = COURSE_DIR / "source" / path.stem / path.name   # the notebook with its metadata applied
        solved = autograde(path, "solutions", source, execute=args.execute_solutions)
        blank = autograde(path, "student", student, execute=True)
        got = sum(s for s, _ in solved.values()), sum(s for s, _ in blank.values())
        total = sum(m for _, m in solved.values())
        ok = got[0] == total and got[1] == 0
        failed |= not ok
        print(f"{path.name}: solutions {got[0]:g}/{total:g}, student edition {got[1]:g}/{total:g}"
              f"{'' if ok else '  <-- expected full marks and zero'}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
