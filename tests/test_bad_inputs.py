"""A learner's mistakes get clear errors: every public course_utils callable has a bad-input case.

Cases live beside each module's unit tests: a module-level list ``BAD_INPUTS`` in any
``tests/test_*.py`` of tuples ``(callable, args, kwargs, ExpectedException, "text")``,
where ``text`` is a part of the message, by convention the argument's name. This file
collects every such list (a new module's test file is picked up automatically), runs
each case and asserts that

- the exception has the expected type and its message contains ``text``;
- it was raised by course_utils itself (a deliberate check), not deep inside torch,
  NumPy or pandas, where the message would not name the learner's argument;

and ``test_every_public_callable_has_a_case`` lists each public function or class
(no leading underscore, defined in its module, in ``course_utils.__all__`` or any
``course_utils/*.py``) that has no case. A case covers the callable it calls; a bound
method (``net.forward``, ``scenes.class_labels``) or a ``functools.partial`` covers its
class or function; a small test helper that must do more than call (enter a context
manager, say) names what it covers in its ``covers`` attribute. Callables without
parameters have nothing to get wrong.

``python tests/test_bad_inputs.py`` prints the counts.
"""
from __future__ import annotations

import functools
import importlib
import inspect
import re
import sys
import traceback
from pathlib import Path

import pytest

import course_utils

TESTS = Path(__file__).resolve().parent
PACKAGE = Path(course_utils.__file__).resolve().parent


# --- what must be covered ---------------------------------------------------------------

def module_names() -> list[str]:
    files = {p.stem for p in PACKAGE.glob("*.py") if not p.stem.startswith("_")}
    return sorted(files | set(course_utils.__all__))


def public_callables() -> dict[str, object]:
    """``"module.name"`` -> every public function and class defined in that module."""
    found = {}
    for name in module_names():
        module = importlib.import_module(f"course_utils.{name}")
        for attr, obj in vars(module).items():
            if attr.startswith("_") or not (inspect.isfunction(obj) or inspect.isclass(obj)):
                continue
            if getattr(obj, "__module__", None) == module.__name__:
                found[f"{name}.{attr}"] = obj
    return found


def takes_arguments(obj) -> bool:
    try:
        return bool(inspect.signature(obj).parameters)
    except (TypeError, ValueError):
        return True


# --- the cases ------------------------------------------------------------------------

def _case_modules() -> tuple[list[tuple[str, object]], list[tuple[str, str]]]:
    """(test module name, module) for every test file that defines BAD_INPUTS, and
    (name, error) for those that fail to import."""
    if str(TESTS) not in sys.path:
        sys.path.insert(0, str(TESTS))
    found, broken = [], []
    for path in sorted(TESTS.glob("test_*.py")):
        if path.stem == Path(__file__).stem or "BAD_INPUTS" not in path.read_text(encoding="utf-8"):
            continue
        try:
            found.append((path.stem, importlib.import_module(path.stem)))
        except Exception as err:  # noqa: BLE001  reported as a failing test below
            broken.append((path.stem, f"{type(err).__name__}: {err}"))
    return found, broken


def collect_cases() -> tuple[list[tuple], list[tuple[str, str]]]:
    modules, broken = _case_modules()
    cases = []
    for stem, module in modules:
        for i, case in enumerate(getattr(module, "BAD_INPUTS", [])):
            cases.append((f"{stem}[{i}]", case))
    return cases, broken


CASES, BROKEN = collect_cases()


def _name(fn) -> str:
    fn = fn.func if isinstance(fn, functools.partial) else fn
    return getattr(fn, "__qualname__", type(fn).__name__)


def covered_by(fn) -> set[int]:
    """ids of the callables a case's callable stands for (itself, its class, its function)."""
    out = set()
    while isinstance(fn, functools.partial):
        fn = fn.func
    out.add(id(fn))
    if hasattr(fn, "covers"):
        out.add(id(fn.covers))
    if inspect.ismethod(fn):
        owner = fn.__self__
        classes = owner.__mro__ if isinstance(owner, type) else type(owner).__mro__
        out.update(id(c) for c in classes)
        out.add(id(fn.__func__))
    qualname = getattr(fn, "__qualname__", "")
    module = sys.modules.get(getattr(fn, "__module__", None) or "")
    if "." in qualname and "<locals>" not in qualname and module is not None:
        owner = getattr(module, qualname.split(".")[0], None)      # an unbound method
        if inspect.isclass(owner):
            out.add(id(owner))
    return out


def raised_in_course_utils(err: BaseException) -> bool:
    frames = traceback.extract_tb(err.__traceback__)
    return bool(frames) and Path(frames[-1].filename).resolve().is_relative_to(PACKAGE)


def run_case(case) -> BaseException | None:
    fn, args, kwargs, _exc, _text = case
    try:
        fn(*args, **kwargs)
    except Exception as err:  # noqa: BLE001
        return err
    return None


def problem_of(case) -> str | None:
    """None when the case gives a clear error, else what went wrong."""
    _fn, _args, _kwargs, exc, text = case
    err = run_case(case)
    if err is None:
        return "returned without an error"
    if not isinstance(err, exc):
        return f"raised {type(err).__name__}, expected {exc.__name__}: {err}"
    if text not in str(err):
        return f"message does not contain {text!r}: {err}"
    if not raised_in_course_utils(err):
        where = traceback.extract_tb(err.__traceback__)[-1]
        return f"raised outside course_utils ({where.filename}:{where.lineno}): {err}"
    return None


# --- tests ----------------------------------------------------------------------------

def test_case_files_import():
    assert not BROKEN, f"test files with BAD_INPUTS that do not import: {BROKEN}"


def test_cases_are_well_formed():
    bad = [cid for cid, case in CASES
           if not (isinstance(case, tuple) and len(case) == 5 and callable(case[0])
                   and isinstance(case[1], tuple) and isinstance(case[2], dict)
                   and isinstance(case[3], type) and issubclass(case[3], BaseException)
                   and isinstance(case[4], str) and case[4])]
    assert not bad, f"BAD_INPUTS entries must be (callable, args tuple, kwargs dict, Exception, text): {bad}"


@pytest.mark.parametrize("case", [c for _, c in CASES],
                         ids=[f"{cid}-{_name(c[0])}" if isinstance(c, tuple) and c else cid for cid, c in CASES])
def test_bad_input_gives_clear_error(case):
    problem = problem_of(case)
    assert problem is None, f"{_name(case[0])}: {problem}"


def test_every_public_callable_has_a_case():
    covered = set()
    for _, case in CASES:
        if isinstance(case, tuple) and case and callable(case[0]):
            covered |= covered_by(case[0])
    missing = [name for name, obj in public_callables().items()
               if takes_arguments(obj) and id(obj) not in covered]
    assert not missing, (f"{len(missing)} public callables have no BAD_INPUTS case "
                         f"(add one to tests/test_<module>.py):\n  " + "\n  ".join(missing))


def names_a_parameter(case) -> bool:
    """Whether the error message names (as a word) a parameter of the callable."""
    fn = case[0].func if isinstance(case[0], functools.partial) else case[0]
    fn = getattr(fn, "covers", fn)
    try:
        params = list(inspect.signature(fn).parameters)
    except (TypeError, ValueError):
        return False
    message = str(run_case(case))
    return any(re.search(rf"\b{re.escape(p)}\b", message) for p in params)


def test_errors_name_the_argument():
    unnamed = [f"{cid}: {run_case(case)}" for cid, case in CASES if not names_a_parameter(case)]
    share = 1 - len(unnamed) / max(len(CASES), 1)
    assert share >= 0.95, f"{share:.0%} of bad-input errors name the argument (goal 95%):\n  " + \
        "\n  ".join(unnamed[:20])


def report() -> str:
    publics = {k: v for k, v in public_callables().items() if takes_arguments(v)}
    covered = set()
    for _, case in CASES:
        covered |= covered_by(case[0])
    n_covered = sum(id(obj) in covered for obj in publics.values())
    problems = [(cid, problem_of(case)) for cid, case in CASES]
    clear = sum(p is None for _, p in problems)
    named = sum(names_a_parameter(case) for _, case in CASES)
    lines = [f"{len(CASES)} bad-input cases from {len({c.split('[')[0] for c, _ in CASES})} test files",
             f"{n_covered} of {len(publics)} public callables with parameters covered",
             f"{clear} of {len(CASES)} clear errors ({clear / max(len(CASES), 1):.0%})",
             f"{named} of {len(CASES)} error messages name one of the callable's parameters "
             f"({named / max(len(CASES), 1):.0%})"]
    lines += [f"  {cid}: {p}" for cid, p in problems if p is not None]
    lines += [f"  no case: {name}" for name, obj in publics.items() if id(obj) not in covered]
    return "\n".join(lines)


if __name__ == "__main__":
    import matplotlib

    matplotlib.use("Agg")
    print(report())
