"""Measured results beside their floors: print, record, and fail when below.

``expect_at_least("test accuracy", acc, 0.95)`` prints one line and raises an
``AssertionError`` when the value is under the floor. When the environment variable
``COURSE_RESULTS_FILE`` names a file, each result is appended to it as a JSON line
(notebook, name, value, floor, ok) so ``./course benchmark`` can collect them.
Introduced in 00_start_here.
"""
from __future__ import annotations

import json
import math
import os
from pathlib import Path


def _notebook_name() -> str:
    name = os.environ.get("COURSE_NOTEBOOK") or os.environ.get("JPY_SESSION_NAME") or "unknown"
    return Path(name).name


def _as_float(name: str, value, arg: str = "value") -> float:
    """``value`` as a finite float; errors say which result (``name``) and argument (``arg``)."""
    shape = f" of shape {tuple(value.shape)}" if hasattr(value, "shape") else ""
    if hasattr(value, "item"):
        try:
            value = value.item()
        except (ValueError, RuntimeError):
            pass                                  # several numbers: refused just below
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{name}: expected a number, got {type(value).__name__}{shape} (argument {arg})")
    if math.isnan(value):
        what = "the measured value" if arg == "value" else arg
        raise ValueError(f"{name}: {what} is NaN (argument {arg})")
    if math.isinf(value):
        raise ValueError(f"{name}: {arg} must be a finite number, got {value}")
    return float(value)


def _check_name(name, digits: int) -> None:
    if not isinstance(name, str) or not name.strip():
        raise TypeError(f"name must be a non-empty str naming the result, got {name!r}")
    if isinstance(digits, bool) or not isinstance(digits, int) or not 0 <= digits <= 10:
        raise ValueError(f"digits must be an int in 0..10, got {digits!r}")


def _record(name: str, value: float, floor: float, kind: str, ok: bool) -> None:
    path = os.environ.get("COURSE_RESULTS_FILE")
    if not path:
        return
    row = {"notebook": _notebook_name(), "name": name, "value": value, kind: floor, "ok": ok}
    with open(path, "a", encoding="utf-8") as fh:
        fh.write(json.dumps(row) + "\n")


def expect_at_least(name: str, value, floor: float, digits: int = 3) -> None:
    """Print ``name: value (floor >= floor)`` and raise ``AssertionError`` if value < floor."""
    _check_name(name, digits)
    value, floor = _as_float(name, value), _as_float(f"{name} floor", floor, "floor")
    ok = value >= floor
    print(f"{name}: {value:.{digits}f} (floor {floor:.{digits}f}) {'ok' if ok else 'BELOW FLOOR'}")
    _record(name, value, floor, "floor", ok)
    if not ok:
        raise AssertionError(f"{name} = {value:.{digits}f} is below its floor {floor:.{digits}f}")



def expect_at_most(name: str, value, ceiling: float, digits: int = 3) -> None:
    """Like ``expect_at_least`` for values that must stay at or under ``ceiling`` (losses, errors)."""
    _check_name(name, digits)
    value, ceiling = _as_float(name, value), _as_float(f"{name} ceiling", ceiling, "ceiling")
    ok = value <= ceiling
    print(f"{name}: {value:.{digits}f} (ceiling {ceiling:.{digits}f}) {'ok' if ok else 'ABOVE CEILING'}")
    _record(name, value, ceiling, "ceiling", ok)
    if not ok:
        raise AssertionError(f"{name} = {value:.{digits}f} is above its ceiling {ceiling:.{digits}f}")



# --- Conclusions drawn from measurements (rule 1 of docs/writing_notebooks.md) ----------

def _fmt(value) -> str:
    if hasattr(value, "item") and getattr(value, "ndim", 0) == 0:
        value = value.item()
    if isinstance(value, float):
        return f"{value:.3f}"
    return str(value)


def _as_bool(statement: str, holds) -> bool:
    if hasattr(holds, "item") and getattr(holds, "ndim", 1) == 0:
        holds = holds.item()
    if not isinstance(holds, bool):
        raise TypeError(f"claim {statement!r}: 'holds' must be a bool (a comparison such as "
                        f"cnn_acc > knn_acc), got {type(holds).__name__} {holds!r}")
    return holds


def claim(statement: str, holds, **numbers) -> None:
    """Print a conclusion with the numbers behind it; fail the run when it no longer holds.

    Every sentence of a notebook that compares or concludes from a measurement is backed by
    one ``claim`` in the cell that prints the numbers::

        results.claim("the CNN beats k-NN on shifted digits", cnn_acc > knn_acc,
                      cnn=cnn_acc, knn=knn_acc)

    prints ``[ok] claim: the CNN beats k-NN on shifted digits (cnn=0.912, knn=0.504)``;
    when a re-run overturns it, prints ``[x] claim: ...`` and raises ``AssertionError``,
    so the regression test fails instead of leaving a false sentence in the notebook.
    """
    if not isinstance(statement, str) or not statement.strip():
        raise TypeError(f"claim: 'statement' must be a non-empty sentence, got {statement!r}")
    ok = _as_bool(statement, holds)
    shown = ", ".join(f"{k}={_fmt(v)}" for k, v in numbers.items())
    print(f"[{'ok' if ok else 'x'}] claim: {statement}" + (f" ({shown})" if shown else ""))
    _record(statement, float(ok), 1.0, "claim", ok)
    if not ok:
        raise AssertionError(f"claim no longer holds: {statement} ({shown}); "
                             "rewrite the sentence from the new numbers")


def expect_learns(name: str, value, baseline, reference, digits: int = 3,
                  higher_is_better: bool = True) -> None:
    """Live training learns: ``value`` is at least halfway from ``baseline`` to ``reference``.

    ``baseline`` is the trivial model's score on the same held-out data (majority class,
    all-background, a centred box, ...); ``reference`` the course checkpoint's score. Prints
    ``name: value (baseline b, checkpoint r, halfway h) ok`` and raises ``AssertionError``
    with ``BELOW HALFWAY`` otherwise (rule 4 of docs/writing_notebooks.md).
    """
    _check_name(name, digits)
    if not isinstance(higher_is_better, bool):
        raise TypeError(f"higher_is_better must be True or False, got {higher_is_better!r}")
    value = _as_float(name, value)
    baseline = _as_float(f"{name} baseline", baseline, "baseline")
    reference = _as_float(f"{name} reference", reference, "reference")
    if (reference <= baseline) if higher_is_better else (reference >= baseline):
        raise ValueError(f"{name}: the reference {reference:.{digits}f} must be better than the "
                         f"baseline {baseline:.{digits}f} (higher_is_better={higher_is_better})")
    halfway = baseline + 0.5 * (reference - baseline)
    ok = value >= halfway if higher_is_better else value <= halfway
    print(f"{name}: {value:.{digits}f} (baseline {baseline:.{digits}f}, checkpoint "
          f"{reference:.{digits}f}, halfway {halfway:.{digits}f}) {'ok' if ok else 'BELOW HALFWAY'}")
    _record(name, value, halfway, "halfway", ok)
    if not ok:
        raise AssertionError(f"{name} = {value:.{digits}f} is not halfway from the baseline "
                             f"{baseline:.{digits}f} to the checkpoint {reference:.{digits}f}")


def seed_summary(values) -> tuple[float, float, float]:
    """Mean, sample standard deviation and standard error of per-seed results (at least 3)."""
    if isinstance(values, (str, bytes)) or not hasattr(values, "__iter__"):
        raise TypeError(f"values must be a list of per-seed results, got {type(values).__name__} {values!r}")
    vals = [_as_float("seed value", v, "values") for v in values]
    if len(vals) < 3:
        raise ValueError(f"values: seed_summary expected results of at least 3 seeds, got {len(vals)}")
    n = len(vals)
    mean = sum(vals) / n
    std = math.sqrt(sum((v - mean) ** 2 for v in vals) / (n - 1))
    return mean, std, std / math.sqrt(n)


def compare_seeds(statement: str, a_name: str, a_values, b_name: str, b_values,
                  expect: str = "greater", digits: int = 3) -> float:
    """Compare two methods over seeds: mean +- std of each, and the gap against 2 standard errors.

    ``expect="greater"``: claim that ``a`` beats ``b`` by more than two standard errors of
    the difference; ``expect="inconclusive"``: claim that the gap is within them (the
    notebook then says the comparison is inconclusive). Prints both means and the claim, and
    raises through :func:`claim` when the data no longer support it. Returns the gap.
    """
    if expect not in ("greater", "inconclusive"):
        raise ValueError(f"compare_seeds: expect must be 'greater' or 'inconclusive', got {expect!r}")
    for arg, values in (("a_values", a_values), ("b_values", b_values)):
        if isinstance(values, (str, bytes)) or not hasattr(values, "__iter__"):
            raise TypeError(f"{arg} must be a list of per-seed results, got {type(values).__name__}")
    a_values, b_values = list(a_values), list(b_values)   # a generator would be used up below
    for arg, values in (("a_values", a_values), ("b_values", b_values)):
        if len(values) < 3:
            raise ValueError(f"{arg}: expected results of at least 3 seeds, got {len(values)}")
    ma, sa, ea = seed_summary(a_values)
    mb, sb, eb = seed_summary(b_values)
    gap, se = ma - mb, math.sqrt(ea ** 2 + eb ** 2)
    print(f"{a_name}: {ma:.{digits}f} +- {sa:.{digits}f} over {len(list(a_values))} seeds")
    print(f"{b_name}: {mb:.{digits}f} +- {sb:.{digits}f} over {len(list(b_values))} seeds")
    holds = gap > 2 * se if expect == "greater" else abs(gap) <= 2 * se
    claim(statement, holds, gap=round(gap, digits), two_se=round(2 * se, digits))
    return gap
