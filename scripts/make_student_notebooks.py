"""Write learner copies of the notebooks, with reference solutions removed, to scratch/student/.

Code between ``# BEGIN SOLUTION`` and ``# END SOLUTION`` is replaced by a placeholder
that raises ``NotImplementedError``; all outputs are cleared. Run `./course student`.
"""
from __future__ import annotations

import argparse
import re
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
SOLUTION = re.compile(r"^([ \t]*)# BEGIN SOLUTION\n.*?^[ \t]*# END SOLUTION[ \t]*$", re.S | re.M)


def strip_solutions(source: str) -> str:
    """Replace every solution block by an indented placeholder."""
    if source.count("# BEGIN SOLUTION") != source.count("# END SOLUTION"):
        raise ValueError("unbalanced # BEGIN SOLUTION / # END SOLUTION markers")
    return SOLUTION.sub(lambda m: f"{m.group(1)}# YOUR CODE HERE\n"
                                  f"{m.group(1)}raise NotImplementedError(\"your code here\")", source)


def make_student(path: Path, out_dir: Path) -> Path:
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.source = strip_solutions(cell.source)
            cell.outputs, cell.execution_count = [], None
    out = out_dir / path.name
    nbformat.write(nb, out)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=ROOT / "scratch" / "student")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    for path in sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")):
        print(f"wrote {make_student(path, args.out)}")


if __name__ == "__main__":
    main()
