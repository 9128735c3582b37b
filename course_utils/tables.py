"""Real tables for the visualization lectures, all shipped inside installed packages,
plus one course-generated table.

``load_table(name)`` returns a fresh ``pandas.DataFrame``; nothing is downloaded.
Origins and licences are listed in data/README.md. Introduced in 00_start_here;
``exam_scores`` and ``group_means`` are introduced in 11_seaborn and 12_polar_pie_and_more.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd

from ._validate import check_int, check_str_list, describe

#: Category levels of the exam-scores table, in their display order.
EXAM_LEVELS: dict[str, tuple[str, ...]] = {
    "gender": ("female", "male"),
    "group": ("group A", "group B", "group C", "group D", "group E"),
    "parental_education": ("some high school", "high school", "some college",
                           "associate's degree", "bachelor's degree", "master's degree"),
    "lunch": ("standard", "free/reduced"),
    "test_preparation": ("none", "completed"),
}
_EXAM_PROBS = {
    "gender": (0.52, 0.48),
    "group": (0.09, 0.19, 0.32, 0.26, 0.14),
    "parental_education": (0.18, 0.20, 0.23, 0.22, 0.12, 0.05),
    "lunch": (0.65, 0.35),
    "test_preparation": (0.64, 0.36),
}
#: Points added to (math, reading, writing) by each level; the first level of a column is 0.
_EXAM_EFFECTS = {
    "gender": [(0, 0, 0), (5, -7, -9)],
    "group": [(0, 0, 0), (1, 1, 1), (2, 2, 1), (5, 3, 4), (11, 6, 5)],
    "parental_education": [(0, 0, 0), (-1, -1, -1), (3, 3, 3), (4, 4, 5), (6, 6, 7), (7, 8, 9)],
    "lunch": [(0, 0, 0), (-11, -7, -8)],
    "test_preparation": [(0, 0, 0), (5, 7, 10)],
}
#: Score of a student in the first level of every column (math, reading, writing).
_EXAM_BASE = np.array([59.0, 67.0, 66.0])
#: Correlation of the students' latent (math, reading, writing) ability.
_EXAM_CORR = np.array([[1.00, 0.86, 0.84],
                       [0.86, 1.00, 0.95],
                       [0.84, 0.95, 1.00]])


def exam_scores(n: int = 1000, seed: int = 0) -> pd.DataFrame:
    """A course-generated table of ``n`` students' exam results, seeded and reproducible.

    Columns: ``gender``, ``group``, ``parental_education``, ``lunch``,
    ``test_preparation`` (ordered categoricals, levels in ``EXAM_LEVELS``) and
    ``math_score``, ``reading_score``, ``writing_score`` (``int64`` in 0..100).
    Scores = a base score (``_EXAM_BASE``) + the effect of each category
    (``_EXAM_EFFECTS``: girls read and write better, boys do slightly better at maths,
    a standard lunch and a completed preparation course help) + correlated noise
    (SD 13), rounded and clipped to 0..100. In the result reading and writing
    correlate about 0.95 and maths with either about 0.75-0.8. It mimics the public
    "students performance in exams" exercise table the lecture uses; no
    real student is described. Introduced in 11_seaborn.
    """
    if not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"n must be a positive int, got {n!r}")
    check_int("seed", seed, low=0)
    rng = np.random.default_rng(seed)
    frame = {}
    scores = np.tile(_EXAM_BASE, (n, 1))
    for column, levels in EXAM_LEVELS.items():
        codes = rng.choice(len(levels), size=n, p=_EXAM_PROBS[column])
        frame[column] = pd.Categorical.from_codes(codes, categories=list(levels), ordered=True)
        scores += np.asarray(_EXAM_EFFECTS[column], dtype=float)[codes]
    noise = rng.multivariate_normal(np.zeros(3), 13.0 ** 2 * _EXAM_CORR, size=n)
    scores = np.clip(np.round(scores + noise), 0, 100).astype(np.int64)
    for j, subject in enumerate(("math", "reading", "writing")):
        frame[f"{subject}_score"] = scores[:, j]
    return pd.DataFrame(frame)


def _penguins() -> pd.DataFrame:
    from palmerpenguins import load_penguins

    return load_penguins()


def _penguins_raw() -> pd.DataFrame:
    from palmerpenguins import load_penguins_raw

    return load_penguins_raw()


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
        from vega_datasets import local_data  # the files bundled with the package

        return getattr(local_data, name.replace("-", "_"))()
    return load


TABLES: dict[str, Callable[[], pd.DataFrame]] = {
    "penguins": _penguins,
    "penguins_raw": _penguins_raw,
    "iris": _sklearn("load_iris", "species"),
    "wine": _sklearn("load_wine", "cultivar"),
    "breast_cancer": _sklearn("load_breast_cancer", "diagnosis"),
    "seattle_weather": _vega("seattle-weather"),
    "cars": _vega("cars"),
    "stocks": _vega("stocks"),
    "barley": _vega("barley"),
    "iowa_electricity": _vega("iowa-electricity"),
    "crimea": _vega("crimea"),
    "seattle_temps": _vega("seattle-temps"),
    "airports": _vega("airports"),
    "exam_scores": exam_scores,
}


def load_table(name: str) -> pd.DataFrame:
    """Load one of ``TABLES`` by name as a new ``DataFrame``."""
    if not isinstance(name, str) or name not in TABLES:
        raise ValueError(f"name: unknown table {name!r}; available: {sorted(TABLES)}")
    return TABLES[name]()


def group_means(frame: pd.DataFrame, by: str, columns: Sequence[str],
                standardize: bool = True, scale: str | None = None) -> pd.DataFrame:
    """Mean of ``columns`` per level of ``by`` (rows: levels, columns: ``columns``).

    ``scale`` rescales each column over the whole table first, so features in
    different units share one scale (the input of a radar chart):
    ``"z"``: z-scores (x - mean) / std, centred on 0 (negative values possible);
    ``"minmax"``: (x - min) / (max - min), so 0 is the smallest and 1 the largest
    value in the table (a radar centre that means "the minimum").
    ``scale=None`` (the default) follows ``standardize``: True gives ``"z"``, False
    the raw means. Rows with a missing value in ``by`` or ``columns`` are
    dropped. Introduced in 12_polar_pie_and_more.
    """
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"frame must be a pandas DataFrame, got {describe(frame)}")
    columns = check_str_list("columns", columns)
    if not isinstance(by, str):
        raise TypeError(f"by must be a column name (str), got {type(by).__name__}")
    if scale not in (None, "z", "minmax"):
        raise ValueError(f"scale must be None, 'z' or 'minmax', got {scale!r}")
    missing = [c for c in [by, *columns] if c not in frame.columns]
    if missing:
        arg = "by" if by in missing else "columns"
        raise KeyError(f"{arg}: no column(s) {missing}; the table has {list(frame.columns)}")
    if not columns:
        raise ValueError("group_means needs at least one column to average")
    numeric = frame[columns].select_dtypes("number").columns
    if len(numeric) != len(columns):
        raise TypeError(f"columns must be numeric, got non-numeric {sorted(set(columns) - set(numeric))}")
    scale = scale if scale is not None else ("z" if standardize else None)
    data = frame[[by, *columns]].dropna()
    values = data[columns].astype(float)
    if scale == "z":
        values = (values - values.mean()) / values.std()
    elif scale == "minmax":
        values = (values - values.min()) / (values.max() - values.min())
    return values.groupby(data[by], observed=True, sort=True).mean()
