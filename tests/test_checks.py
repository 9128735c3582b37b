"""Tests of course_utils.checks: '[ok]' lines on success, AssertionError with the hint on failure."""
from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from course_utils import checks

HINT = "look at the padding"


def test_check_close_ok(capsys):
    x, w = torch.randn(1, 2, 6, 6), torch.randn(3, 2, 3, 3)
    checks.check_close("conv", F.conv2d(x, w).numpy(), F.conv2d(x, w))
    out = capsys.readouterr().out
    assert out.startswith("[ok] conv: allclose, max abs difference")


def test_check_close_tolerance():
    checks.check_close("close", [1.0, 2.0 + 1e-7], [1.0, 2.0])
    with pytest.raises(AssertionError, match="values differ"):
        checks.check_close("far", [1.0, 2.1], [1.0, 2.0])
    checks.check_close("loose", [1.0, 2.1], [1.0, 2.0], atol=0.2)


def test_check_close_value_mismatch(capsys):
    with pytest.raises(AssertionError) as err:
        checks.check_close("sum", np.array([1.0, 2.5]), np.array([1.0, 2.0]), hint=HINT)
    assert "max abs difference 0.5" in str(err.value)
    assert f"Hint: {HINT}" in str(err.value)
    assert capsys.readouterr().out.startswith("[x] sum: values differ")


def test_check_close_shape_mismatch():
    with pytest.raises(AssertionError, match=r"shape \(2, 3\), expected \(3, 2\)") as err:
        checks.check_close("t", torch.zeros(2, 3), torch.zeros(3, 2), hint=HINT)
    assert HINT in str(err.value)


def test_check_close_none():
    with pytest.raises(AssertionError, match="got None") as err:
        checks.check_close("t", None, [1.0], hint=HINT)
    assert HINT in str(err.value)


def test_no_hint_no_hint_line():
    with pytest.raises(AssertionError) as err:
        checks.check_close("t", [1.0], [2.0])
    assert "Hint" not in str(err.value)


def test_check_equal(capsys):
    checks.check_equal("n", 3, 3)
    checks.check_equal("label", "cat", "cat")
    checks.check_equal("tuple", (1, 2), (1, 2))
    checks.check_equal("tensor", torch.tensor([1, 2]), torch.tensor([1, 2]))
    assert capsys.readouterr().out.count("[ok]") == 4
    with pytest.raises(AssertionError, match="got 4, expected 3") as err:
        checks.check_equal("n", 4, 3, hint=HINT)
    assert HINT in str(err.value)
    with pytest.raises(AssertionError, match=r"got \[1, 3\], expected \[1, 2\]"):
        checks.check_equal("arr", np.array([1, 3]), np.array([1, 2]))
    with pytest.raises(AssertionError, match="expected"):
        checks.check_equal("arr", np.array([1, 2, 3]), [1, 2])
    with pytest.raises(AssertionError, match="got None"):
        checks.check_equal("n", None, 3)


def test_check_shape(capsys):
    checks.check_shape("out", torch.zeros(2, 3), (2, 3))
    checks.check_shape("size", torch.Size([4]), (4,))
    checks.check_shape("np", np.zeros((1, 2)), [1, 2])
    assert capsys.readouterr().out.splitlines() == ["[ok] out: shape (2, 3)", "[ok] size: shape (4,)",
                                                    "[ok] np: shape (1, 2)"]
    with pytest.raises(AssertionError, match=r"shape \(2, 3\), expected \(3, 2\)") as err:
        checks.check_shape("out", torch.zeros(2, 3), (3, 2), hint=HINT)
    assert HINT in str(err.value)


def test_check_shape_none():
    with pytest.raises(AssertionError, match="got None") as err:
        checks.check_shape("out", None, (2, 3), hint=HINT)
    assert HINT in str(err.value)


def test_check_function(capsys):
    cases = [(torch.randn(4),), (torch.randn(2, 3),)]
    checks.check_function("relu", lambda x: x.clamp(min=0), F.relu, cases)
    assert capsys.readouterr().out.startswith("[ok] relu: 2 cases agree")
    with pytest.raises(AssertionError, match="for input") as err:
        checks.check_function("relu", lambda x: x, F.relu, [(torch.tensor([-1.0]),)], hint=HINT)
    assert HINT in str(err.value)
    with pytest.raises(AssertionError, match="for input"):
        checks.check_function("shape", lambda x: x[None], F.relu, [(torch.tensor([1.0]),)])


def test_check_function_generator_cases():
    checks.check_function("square", lambda x: x * x, lambda x: x ** 2, ((v,) for v in range(3)))


def test_check_function_none_answer():
    with pytest.raises(AssertionError, match="got None") as err:
        checks.check_function("square", lambda x: None, lambda x: x ** 2, [(2.0,)], hint=HINT)
    assert HINT in str(err.value)


def test_check_function_empty_cases():
    with pytest.raises(ValueError, match="at least one case"):
        checks.check_function("f", abs, abs, [])


def test_check_true(capsys):
    checks.check_true("positive", 1 > 0, "not positive")
    assert capsys.readouterr().out == "[ok] positive\n"
    with pytest.raises(AssertionError, match="positive: not positive") as err:
        checks.check_true("positive", torch.tensor(False), "not positive", hint=HINT)
    assert HINT in str(err.value)


# --- bad inputs (collected by tests/test_bad_inputs.py) ---------------------------------
# A learner's wrong answer fails the check (AssertionError, "got ..."); a wrong argument
# written by the notebook's author is a TypeError/ValueError naming that argument.

BAD_INPUTS = [
    (checks.check_close, ("t", "half", [0.5]), {}, AssertionError, "got"),
    (checks.check_close, ("t", [0.5], None), {}, TypeError, "expected"),
    (checks.check_close, ("t", [0.5], [0.5]), {"atol": -1.0}, ValueError, "atol"),
    (checks.check_close, (None, [0.5], [0.5]), {}, TypeError, "name"),
    (checks.check_equal, (3, 4, 3), {}, TypeError, "name"),
    (checks.check_equal, ("n", 4, 3), {"hint": 5}, TypeError, "hint"),
    (checks.check_shape, ("out", torch.zeros(2, 3), "2, 3"), {}, TypeError, "expected"),
    (checks.check_shape, ("out", 6, (2, 3)), {}, AssertionError, "got"),
    (checks.check_function, ("f", abs, abs, []), {}, ValueError, "cases"),
    (checks.check_function, ("f", abs, abs, [1.0, -2.0]), {}, TypeError, "cases"),
    (checks.check_function, ("f", None, abs, [(1.0,)]), {}, AssertionError, "got None"),
    (checks.check_function, ("f", abs, "abs", [(1.0,)]), {}, TypeError, "reference"),
    (checks.check_true, ("all positive", torch.tensor([True, False]), "negative values"), {}, ValueError,
     "condition"),
    (checks.check_true, ("ok", True, None), {}, TypeError, "problem"),
]


@pytest.mark.parametrize("fn, args, kwargs, exc, name", BAD_INPUTS)
def test_bad_inputs(fn, args, kwargs, exc, name):
    with pytest.raises(exc, match=name):
        fn(*args, **kwargs)
