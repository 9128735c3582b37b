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


def _as_float(name: str, value) -> float:
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{name}: expected a number, got {type(value).__name__}")
    if math.isnan(value):
        raise ValueError(f"{name}: the measured value is NaN")
    return float(value)


def _record(name: str, value: float, floor: float, kind: str, ok: bool) -> None:
    path = os.environ.get("COURSE_RESULTS_FILE")
    if not path:
        return
    row = {"notebook": _notebook_name(), "name": name, "value": value, kind: floor, "ok": ok}
    with open(path, "a", encoding="utf-8") as fh:
        fh.write(json.dumps(row) + "\n")


def expect_at_least(name: str, value, floor: float, digits: int = 3) -> None:
    """Print ``name: value (floor >= floor)`` and raise ``AssertionError`` if value < floor."""
    value, floor = _as_float(name, value), _as_float(f"{name} floor", floor)
    ok = value >= floor
    print(f"{name}: {value:.{digits}f} (floor {floor:.{digits}f}) {'ok' if ok else 'BELOW FLOOR'}")
    _record(name, value, floor, "floor", ok)
    if not ok:
        raise AssertionError(f"{name} = {value:.{digits}f} is below its floor {floor:.{digits}f}")



def expect_at_most(name: str, value, ceiling: float, digits: int = 3) -> None:
    """Like ``expect_at_least`` for values that must stay at or under ``ceiling`` (losses, errors)."""
    value, ceiling = _as_float(name, value), _as_float(f"{name} ceiling", ceiling)
    ok = value <= ceiling
    print(f"{name}: {value:.{digits}f} (ceiling {ceiling:.{digits}f}) {'ok' if ok else 'ABOVE CEILING'}")
    _record(name, value, ceiling, "ceiling", ok)
    if not ok:
        raise AssertionError(f"{name} = {value:.{digits}f} is above its ceiling {ceiling:.{digits}f}")

