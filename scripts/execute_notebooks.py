"""Re-execute course notebooks top to bottom and save their outputs in place.

Run through `./course execute [NOTEBOOK ...]` so scripts/env.sh fixes threads, hash seed
and plotly renderer exactly as the test command does. Without arguments every notebook
in notebooks/ is executed. Each kernel runs in notebooks/ (as under nbval) with
COURSE_NOTEBOOK naming the notebook for course_utils.results.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time
from pathlib import Path

import nbformat
from classroom import apply_metadata
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
KERNELSPEC = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}


def course_notebooks() -> list[Path]:
    return sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))


def clean(nb: nbformat.NotebookNode) -> None:
    """Drop what churns between runs and is not compared: widget state, timings."""
    nb.metadata.pop("widgets", None)
    nb.metadata["kernelspec"] = dict(KERNELSPEC)
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
        cell.metadata.pop("ExecuteTime", None)


def _setup_seconds(nb: nbformat.NotebookNode) -> float:
    """Seconds the first code cell (the setup cell: imports) took, from nbclient's timing."""
    from datetime import datetime

    first = next(c for c in nb.cells if c.cell_type == "code")
    timing = first.metadata.get("execution", {})
    try:
        start = datetime.fromisoformat(timing["iopub.execute_input"].replace("Z", "+00:00"))
        end = datetime.fromisoformat(timing["shell.execute_reply"].replace("Z", "+00:00"))
    except (KeyError, ValueError):
        return float("nan")
    return (end - start).total_seconds()


def execute(path: Path, save: bool = True, timeout: int = 600, stats: dict | None = None) -> float:
    nb = nbformat.read(path, as_version=4)
    os.environ["COURSE_NOTEBOOK"] = path.name
    start = time.perf_counter()
    NotebookClient(nb, timeout=timeout, kernel_name="python3", record_timing=stats is not None,
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    wall = time.perf_counter() - start
    if stats is not None:
        stats["setup_s"] = round(_setup_seconds(nb), 1)
    clean(nb)
    try:  # nbgrader cell metadata of the exercises (scripts/classroom.py; nbval ignores it)
        apply_metadata(nb, path.stem)
    except ValueError as err:
        print(f"{path.name}: no nbgrader metadata written: {err}", file=sys.stderr)
    if save:
        nbformat.write(nb, path)
    return wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("notebooks", nargs="*", type=Path)
    parser.add_argument("--no-save", action="store_true", help="execute without writing outputs")
    parser.add_argument("--report", action="store_true",
                        help="print one JSON line per notebook: wall time and kernel peak memory")
    args = parser.parse_args()
    paths = [p.resolve() for p in args.notebooks] or course_notebooks()
    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        sys.exit(f"no such notebook: {', '.join(missing)}")
    for path in paths:
        stats: dict = {}
        wall = execute(path, save=not args.no_save, stats=stats if args.report else None)
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        if args.report:   # one notebook per process (./course benchmark), so these are its kernel's
            print(json.dumps({"notebook": path.name, "wall_s": round(wall, 1), **stats,
                              "cpu_s": round(usage.ru_utime + usage.ru_stime, 1),
                              "peak_mb": round(usage.ru_maxrss / 1024)}))
        else:
            print(f"{path.name}: executed in {wall:.1f} s{'' if args.no_save else ', saved'}")


if __name__ == "__main__":
    main()
