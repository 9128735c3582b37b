"""Real tables for the visualization lectures, all shipped inside installed packages.

``load_table(name)`` returns a fresh ``pandas.DataFrame``; nothing is downloaded.
Origins and licences are listed in data/README.md. Introduced in 00_start_here.
"""
from __future__ import annotations

from collections.abc import Callable

import pandas as pd


def _penguins() -> pd.DataFrame:
    from palmerpenguins import load_penguins

    return load_penguins()


def _sklearn(loader_name: str, target_name: str) -> Callable[[], pd.DataFrame]:
    def load() -> pd.DataFrame:
        import sklearn.datasets

        bunch = getattr(sklearn.datasets, loader_name)(as_frame=True)
        frame = bunch.frame.copy()
        names = list(bunch.target_names)
        frame[target_name] = pd.Categorical.from_codes(bunch.target, names)
        return frame.drop(columns=[c for c in ("target",) if c in frame and c != target_name])
    return load


def _vega(name: str) -> Callable[[], pd.DataFrame]:
    def load() -> pd.DataFrame:
        from vega_datasets import data as vega

        return getattr(vega, name.replace("-", "_"))()
    return load


TABLES: dict[str, Callable[[], pd.DataFrame]] = {
    "penguins": _penguins,
    "iris": _sklearn("load_iris", "species"),
    "wine": _sklearn("load_wine", "cultivar"),
    "breast_cancer": _sklearn("load_breast_cancer", "diagnosis"),
    "seattle_weather": _vega("seattle-weather"),
    "cars": _vega("cars"),
    "stocks": _vega("stocks"),
}


def load_table(name: str) -> pd.DataFrame:
    """Load one of ``TABLES`` by name as a new ``DataFrame``."""
    if name not in TABLES:
        raise ValueError(f"unknown table {name!r}; available: {sorted(TABLES)}")
    return TABLES[name]()
