"""Input checks shared by the course_utils modules: clear errors for a learner's mistakes.

Every helper raises ``TypeError`` (wrong kind of object) or ``ValueError`` (right kind,
wrong content) with a message that names the argument, says what was expected and
what came in, e.g. ``x must be a float tensor of shape (N, C, H, W), got a list``.
Private: the notebooks never call these; ``tests/test_bad_inputs.py`` checks that every
public function uses them (or its own checks) for its bad-input cases.
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from numbers import Integral, Real
from pathlib import PurePath
from typing import Any

import numpy as np


def describe(x: Any) -> str:
    """Short description of what came in: ``a list of 3``, ``Tensor uint8 (3, 8, 8)``."""
    if hasattr(x, "dtype") and hasattr(x, "shape"):
        dtype = str(x.dtype).replace("torch.", "")
        return f"{type(x).__name__} {dtype} {tuple(x.shape)}"
    if isinstance(x, (list, tuple, dict, set)):
        return f"a {type(x).__name__} of {len(x)}"
    if isinstance(x, str):
        return f"the str {x!r}" if len(x) <= 40 else f"a str of {len(x)} characters"
    if x is None or isinstance(x, (bool, int, float)):
        return repr(x)
    return f"a {type(x).__name__}"


_KINDS = {"float": "a float", "int": "an integer", "bool": "a bool", None: "a"}


def _kind_of(dtype: Any) -> str:
    """'float', 'int', 'bool' or 'other' for a torch or NumPy dtype."""
    name = str(dtype).replace("torch.", "")
    if name == "bool":
        return "bool"
    if name.startswith(("float", "bfloat", "half", "double")):
        return "float"
    if name.startswith(("int", "uint", "long", "short")):
        return "int"
    return "other"


def check_tensor(name: str, x: Any, *, ndim: int | Sequence[int] | None = None,
                 kind: str | None = None, shape: str | None = None, allow_numpy: bool = False) -> None:
    """A ``torch.Tensor`` (or a NumPy array when ``allow_numpy``) with ``ndim`` dimensions
    (one int or a choice) and elements of ``kind`` (``"float"``, ``"int"``, ``"bool"``).
    ``shape`` is a readable layout for the message, e.g. ``"(N, C, H, W)"``."""
    import torch

    layout = f" of shape {shape}" if shape else ""
    kinds = _KINDS[kind] + (" tensor" if kind else " torch.Tensor")
    want = f"{name} must be {kinds}{layout}" + (" (or a NumPy array)" if allow_numpy else "")
    if not (isinstance(x, torch.Tensor) or (allow_numpy and isinstance(x, np.ndarray))):
        hint = "; convert it with torch.as_tensor(...)" if isinstance(x, (list, tuple, np.ndarray)) else ""
        raise TypeError(f"{want}, got {describe(x)}{hint}")
    if ndim is not None:
        allowed = (ndim,) if isinstance(ndim, int) else tuple(ndim)
        if x.ndim not in allowed:
            raise ValueError(f"{want}, got shape {tuple(x.shape)} ({x.ndim} dimensions)")
    if kind is not None and _kind_of(x.dtype) != kind:
        raise TypeError(f"{want}, got dtype {str(x.dtype).replace('torch.', '')}")


def check_image_batch(name: str, x: Any, *, channels: int | None = None, size: int | None = None) -> None:
    """A float batch of images ``(N, C, H, W)``, optionally with ``channels`` channels and
    ``size`` x ``size`` pixels (the course's networks take values in [0, 1])."""
    check_tensor(name, x, ndim=4, kind="float", shape="(N, C, H, W)")
    if channels is not None and x.shape[1] != channels:
        raise ValueError(f"{name} must have {channels} channel(s), got shape {tuple(x.shape)}")
    if size is not None and tuple(x.shape[-2:]) != (size, size):
        raise ValueError(f"{name} must be {size}x{size} images, got shape {tuple(x.shape)}")


def check_int(name: str, value: Any, *, low: int | None = None, high: int | None = None) -> int:
    """An ``int`` (not a bool, not a float such as 3.0) in ``low..high`` (inclusive)."""
    if isinstance(value, bool) or not isinstance(value, Integral):
        raise TypeError(f"{name} must be an int, got {describe(value)}")
    _check_range(name, int(value), low, high, "")
    return int(value)


def check_number(name: str, value: Any, *, low: float | None = None, high: float | None = None,
                 low_open: bool = False, high_open: bool = False) -> float:
    """A finite real number (int or float, also a 0-d tensor/array) in ``[low, high]``;
    ``low_open``/``high_open`` exclude the bound itself."""
    if hasattr(value, "item") and getattr(value, "ndim", 1) == 0:
        value = value.item()
    if isinstance(value, bool) or not isinstance(value, Real):
        raise TypeError(f"{name} must be a number, got {describe(value)}")
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number, got {value}")
    _check_range(name, value, low, high, "", low_open, high_open)
    return value


def _check_range(name: str, value: float, low: float | None, high: float | None, unit: str,
                 low_open: bool = False, high_open: bool = False) -> None:
    too_low = low is not None and (value <= low if low_open else value < low)
    too_high = high is not None and (value >= high if high_open else value > high)
    if too_low or too_high:
        lo = "" if low is None else f"{'>' if low_open else '>='} {low}"
        hi = "" if high is None else f"{'<' if high_open else '<='} {high}"
        raise ValueError(f"{name} must be {' and '.join(p for p in (lo, hi) if p)}{unit}, got {value!r}")


def check_choice(name: str, value: Any, choices: Sequence[Any]) -> None:
    """``value`` is one of ``choices``."""
    if value not in choices:
        raise ValueError(f"{name} must be one of {tuple(choices)}, got {value!r}")


def check_str_list(name: str, value: Any, length: int | None = None) -> list[str]:
    """A sequence of strings (a list, tuple, pandas Index ...), never a bare ``str``, which
    would otherwise be read one character at a time; ``length`` when it must match."""
    if isinstance(value, (str, bytes)):
        raise TypeError(f"{name} must be a list of strings, got {describe(value)}; "
                        f"wrap a single one in a list: [{value!r}]")
    if isinstance(value, dict) or not hasattr(value, "__len__") or not hasattr(value, "__iter__"):
        raise TypeError(f"{name} must be a list of strings, got {describe(value)}")
    items = list(value)
    if length is not None and len(items) != length:
        raise ValueError(f"{name} must have {length} entries (one per item), got {len(items)}")
    return items


def check_sequence(name: str, value: Any, length: int | None = None) -> list[Any]:
    """A list/tuple-like of items (not a ``str``, not a dict), with ``length`` entries when given."""
    if isinstance(value, (str, bytes, dict)) or not hasattr(value, "__len__"):
        raise TypeError(f"{name} must be a list or tuple, got {describe(value)}")
    items = list(value)
    if length is not None and len(items) != length:
        raise ValueError(f"{name} must have {length} entries, got {len(items)}")
    return items


def check_module(name: str, net: Any) -> None:
    """A ``torch.nn.Module`` (not its class, not a function)."""
    from torch import nn

    if isinstance(net, type) and issubclass(net, nn.Module):
        raise TypeError(f"{name} must be a torch.nn.Module instance, got the class {net.__name__}; "
                        f"call it first: {net.__name__}(...)")
    if not isinstance(net, nn.Module):
        raise TypeError(f"{name} must be a torch.nn.Module, got {describe(net)}")


def check_relative_parts(name: str, parts: Sequence[Any]) -> None:
    """Path parts that stay inside their root: relative, no ``..``, strings or paths."""
    for part in parts:
        if not isinstance(part, (str, PurePath)):
            raise TypeError(f"{name} must be folder names (str), got {describe(part)}")
        path = PurePath(part)
        if path.is_absolute() or path.anchor:
            raise ValueError(f"{name} must be relative folder names, got the absolute path {str(part)!r}")
        if ".." in path.parts:
            raise ValueError(f"{name} must stay inside the folder, got {str(part)!r} with '..'")
