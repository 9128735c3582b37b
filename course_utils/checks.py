"""Exercise checks: one printed line per check, an ``AssertionError`` with a hint on failure.

Each exercise's check cell compares the learner's answer with a reference that the
cell computes from the library (``torch.nn``, ``torchvision.ops``, ...), for example::

    checks.check_close("conv2d by hand", my_conv(x, w), F.conv2d(x, w))

Introduced in 00_start_here.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable

import numpy as np


def _array(x) -> np.ndarray:
    if hasattr(x, "detach"):
        x = x.detach().cpu().numpy()
    return np.asarray(x)


def _fail(name: str, problem: str, hint: str | None) -> None:
    __tracebackhide__ = True  # IPython shows the learner's cell, not this helper's frames
    print(f"[x] {name}: {problem}")
    raise AssertionError(f"{name}: {problem}" + (f"\nHint: {hint}" if hint else ""))


def check_close(name: str, got, expected, rtol: float = 1e-5, atol: float = 1e-6,
                hint: str | None = None) -> None:
    """Pass when ``got`` and ``expected`` have the same shape and are allclose."""
    __tracebackhide__ = True
    if got is None:
        _fail(name, "got None: the exercise returns nothing yet", hint)
    g, e = _array(got).astype(float), _array(expected).astype(float)
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
    if got is None:
        _fail(name, "got None: the exercise returns nothing yet", hint)
    shape = tuple(got.shape) if hasattr(got, "shape") else tuple(got)
    if shape != tuple(expected):
        _fail(name, f"shape {shape}, expected {tuple(expected)}", hint)
    print(f"[ok] {name}: shape {shape}")


def check_function(name: str, fn: Callable, reference: Callable, cases: Iterable[tuple],
                   rtol: float = 1e-5, atol: float = 1e-6, hint: str | None = None) -> None:
    """Call ``fn(*case)`` and ``reference(*case)`` for every case; pass when all agree."""
    __tracebackhide__ = True
    cases = list(cases)
    if not cases:
        raise ValueError("check_function needs at least one case")
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
    if not bool(condition):
        _fail(name, problem, hint)
    print(f"[ok] {name}")
