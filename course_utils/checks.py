"""Exercise checks: one printed line per check, an ``AssertionError`` with a hint on failure.

Each exercise's check cell compares the learner's answer with a reference that the
cell computes from the library (``torch.nn``, ``torchvision.ops``, ...), for example::

    checks.check_close("conv2d by hand", my_conv(x, w), F.conv2d(x, w))

Introduced in 00_start_here.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import NoReturn

import numpy as np

from ._validate import check_number, describe


def _array(x) -> np.ndarray:
    if hasattr(x, "detach"):
        x = x.detach().cpu().numpy()
    return np.asarray(x)


def _numbers(name: str, what: str, x, hint: str | None) -> np.ndarray:
    """``x`` as a float array; a learner's non-numeric answer fails the check."""
    __tracebackhide__ = True
    try:
        return _array(x).astype(float)
    except (TypeError, ValueError):
        _fail(name, f"{what} {describe(x)}, expected numbers (a tensor, array or list)", hint)
        raise   # unreachable: _fail raises


def _check_args(name, hint) -> None:
    """The check's own arguments, written by the notebook's author."""
    if not isinstance(name, str) or not name.strip():
        raise TypeError(f"name must be a short str naming the check, got {describe(name)}")
    if hint is not None and not isinstance(hint, str):
        raise TypeError(f"hint must be a str or None, got {describe(hint)}")


def _fail(name: str, problem: str, hint: str | None) -> NoReturn:
    __tracebackhide__ = True  # IPython shows the learner's cell, not this helper's frames
    print(f"[x] {name}: {problem}")
    raise AssertionError(f"{name}: {problem}" + (f"\nHint: {hint}" if hint else ""))


def check_close(name: str, got, expected, rtol: float = 1e-5, atol: float = 1e-6,
                hint: str | None = None) -> None:
    """Pass when ``got`` and ``expected`` have the same shape and are allclose."""
    __tracebackhide__ = True
    _check_args(name, hint)
    check_number("rtol", rtol, low=0.0)
    check_number("atol", atol, low=0.0)
    if expected is None:
        raise TypeError("expected must be the reference value, got None")
    if got is None:
        _fail(name, "got None: the exercise returns nothing yet", hint)
    e = _array(expected).astype(float)
    g = _numbers(name, "got", got, hint)
    if g.shape != e.shape:
        _fail(name, f"shape {g.shape}, expected {e.shape}", hint)
    diff = float(np.max(np.abs(g - e))) if g.size else 0.0
    if not np.allclose(g, e, rtol=rtol, atol=atol):
        _fail(name, f"values differ (max abs difference {diff:.3g}, tolerance atol={atol:g}, "
                    f"rtol={rtol:g})", hint)
    print(f"[ok] {name}: allclose, max abs difference {diff:.1e}")


def check_equal(name: str, got, expected, hint: str | None = None) -> None:
    """Pass when ``got == expected`` exactly (numbers, strings, tuples, arrays)."""
    __tracebackhide__ = True
    _check_args(name, hint)
    if isinstance(expected, (np.ndarray, list, tuple)) or hasattr(expected, "detach"):
        g, e = _array(got), _array(expected)
        if g.shape != e.shape or not np.array_equal(g, e):
            _fail(name, f"got {g.tolist()}, expected {e.tolist()}", hint)
    elif got != expected:
        _fail(name, f"got {got!r}, expected {expected!r}", hint)
    print(f"[ok] {name}: exact match")


def check_shape(name: str, got, expected: tuple[int, ...], hint: str | None = None) -> None:
    """Pass when ``got`` (a tensor, array or ``torch.Size``) has shape ``expected``."""
    __tracebackhide__ = True
    _check_args(name, hint)
    if isinstance(expected, (str, int)) or not hasattr(expected, "__iter__") \
            or not all(isinstance(d, (int, np.integer)) for d in expected):
        raise TypeError(f"expected must be a shape, a tuple of ints such as (2, 3), got {describe(expected)}")
    if got is None:
        _fail(name, "got None: the exercise returns nothing yet", hint)
    if not hasattr(got, "shape") and not isinstance(got, (tuple, list)):
        _fail(name, f"got {describe(got)}, expected a tensor, array or shape", hint)
    shape = tuple(got.shape) if hasattr(got, "shape") else tuple(got)
    if shape != tuple(expected):
        _fail(name, f"shape {shape}, expected {tuple(expected)}", hint)
    print(f"[ok] {name}: shape {shape}")


def check_function(name: str, fn: Callable, reference: Callable, cases: Iterable[tuple],
                   rtol: float = 1e-5, atol: float = 1e-6, hint: str | None = None) -> None:
    """Call ``fn(*case)`` and ``reference(*case)`` for every case; pass when all agree."""
    __tracebackhide__ = True
    _check_args(name, hint)
    if not callable(reference):
        raise TypeError(f"reference must be a function, got {describe(reference)}")
    if fn is None or not callable(fn):
        _fail(name, f"got {describe(fn)}, expected a function: define it (def ...) and pass its name", hint)
    if isinstance(cases, (str, bytes)) or not hasattr(cases, "__iter__"):
        raise TypeError(f"cases must be a list of argument tuples, got {describe(cases)}")
    cases = list(cases)
    if not cases:
        raise ValueError("cases: check_function needs at least one case")
    if not all(isinstance(c, tuple) for c in cases):
        raise TypeError(f"cases must be a list of argument tuples such as [(x,), (x, y)], "
                        f"got an item {describe(next(c for c in cases if not isinstance(c, tuple)))}")
    worst = 0.0
    for case in cases:
        answer = fn(*case)
        if answer is None:
            _fail(name, f"got None for input {case!r}: the exercise returns nothing yet", hint)
        g, e = _array(answer), _array(reference(*case))
        if g.shape != e.shape or not np.allclose(g.astype(float), e.astype(float), rtol=rtol, atol=atol):
            _fail(name, f"for input {case!r} got {g.tolist()}, expected {e.tolist()}", hint)
        if g.size:
            worst = max(worst, float(np.max(np.abs(g.astype(float) - e.astype(float)))))
    print(f"[ok] {name}: {len(cases)} cases agree, max abs difference {worst:.1e}")


def check_true(name: str, condition: bool, problem: str, hint: str | None = None) -> None:
    """Pass when ``condition`` holds; otherwise report ``problem``."""
    __tracebackhide__ = True
    _check_args(name, hint)
    if not isinstance(problem, str):
        raise TypeError(f"problem must be a str describing the failure, got {describe(problem)}")
    if hasattr(condition, "shape") and int(np.prod(condition.shape)) != 1:
        raise ValueError(f"condition must be one True/False, got {describe(condition)}; "
                         f"use .all() or .any()")
    if not bool(condition):
        _fail(name, problem, hint)
    print(f"[ok] {name}")
