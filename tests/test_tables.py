"""Tests for course_utils.tables: offline tables, the seeded exam_scores generator, group_means."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from course_utils import tables

SCORES = ["math_score", "reading_score", "writing_score"]


@pytest.mark.parametrize("name", sorted(tables.TABLES))
def test_every_table_loads_as_a_fresh_frame(name):
    first, second = tables.load_table(name), tables.load_table(name)
    assert isinstance(first, pd.DataFrame) and len(first) >= 20
    assert first is not second and first.equals(second)
    first.columns = [f"renamed_{i}" for i in range(first.shape[1])]   # changing one copy ...
    assert list(tables.load_table(name).columns) == list(second.columns)  # ... leaves the next intact


def test_unknown_table_names_the_choices():
    with pytest.raises(ValueError, match="available"):
        tables.load_table("flights")


def test_exam_scores_shape_types_and_levels():
    df = tables.exam_scores()
    assert df.shape == (1000, 8)
    assert list(df.columns) == [*tables.EXAM_LEVELS, *SCORES]
    for column, levels in tables.EXAM_LEVELS.items():
        assert list(df[column].cat.categories) == list(levels)
        assert df[column].cat.ordered
    for column in SCORES:
        assert df[column].dtype == np.int64
        assert df[column].between(0, 100).all()


def test_exam_scores_is_seeded():
    pd.testing.assert_frame_equal(tables.exam_scores(200, seed=3), tables.exam_scores(200, seed=3))
    assert not tables.exam_scores(200, seed=3).equals(tables.exam_scores(200, seed=4))
    pd.testing.assert_frame_equal(tables.load_table("exam_scores"), tables.exam_scores())


def test_exam_scores_has_the_documented_structure():
    df = tables.exam_scores(5000, seed=1)
    corr = df[SCORES].corr()
    assert corr.loc["reading_score", "writing_score"] > 0.9
    assert 0.6 < corr.loc["math_score", "reading_score"] < 0.9
    by_gender = df.groupby("gender", observed=True)[SCORES].mean()
    assert by_gender.loc["male", "math_score"] > by_gender.loc["female", "math_score"]
    assert by_gender.loc["female", "writing_score"] > by_gender.loc["male", "writing_score"] + 5
    by_prep = df.groupby("test_preparation", observed=True)["writing_score"].mean()
    assert by_prep["completed"] > by_prep["none"] + 5
    shares = df["lunch"].value_counts(normalize=True)
    assert abs(shares["standard"] - 0.65) < 0.03


@pytest.mark.parametrize("n", [0, -5, 2.5, "10"])
def test_exam_scores_rejects_bad_n(n):
    with pytest.raises(ValueError, match="positive int"):
        tables.exam_scores(n)


def test_group_means_matches_a_plain_loop():
    df = tables.load_table("penguins")
    cols = ["bill_length_mm", "body_mass_g"]
    got = tables.group_means(df, "species", cols)
    clean = df[["species", *cols]].dropna()
    z = (clean[cols] - clean[cols].mean()) / clean[cols].std()
    for species in ["Adelie", "Chinstrap", "Gentoo"]:
        expected = z[clean["species"] == species].mean()
        np.testing.assert_allclose(got.loc[species].to_numpy(), expected.to_numpy())
    raw = tables.group_means(df, "species", cols, standardize=False)
    assert raw.loc["Gentoo", "body_mass_g"] == pytest.approx(
        clean.loc[clean["species"] == "Gentoo", "body_mass_g"].mean())


def test_group_means_bad_input():
    df = tables.load_table("penguins")
    with pytest.raises(KeyError, match="no column"):
        tables.group_means(df, "species", ["wing_span"])
    with pytest.raises(ValueError, match="at least one"):
        tables.group_means(df, "species", [])
    with pytest.raises(TypeError, match="numeric"):
        tables.group_means(df, "species", ["island", "body_mass_g"])


# --- bad inputs (collected by tests/test_bad_inputs.py) ---------------------------------

_SCORES = tables.exam_scores(20)

BAD_INPUTS = [
    (tables.exam_scores, (0,), {}, ValueError, "n"),
    (tables.exam_scores, (10,), {"seed": "0"}, TypeError, "seed"),
    (tables.load_table, ("flights",), {}, ValueError, "name"),
    (tables.load_table, (["penguins"],), {}, ValueError, "name"),
    (tables.group_means, (_SCORES, "gender", "math_score"), {}, TypeError, "columns"),
    (tables.group_means, (_SCORES.to_dict(), "gender", ["math_score"]), {}, TypeError, "frame"),
    (tables.group_means, (_SCORES, ["gender"], ["math_score"]), {}, TypeError, "by"),
    (tables.group_means, (_SCORES, "gender", ["math"]), {}, KeyError, "columns"),
    (tables.group_means, (_SCORES, "sex", ["math_score"]), {}, KeyError, "by"),
    (tables.group_means, (_SCORES, "gender", ["math_score"]), {"scale": "rank"}, ValueError, "scale"),
]


@pytest.mark.parametrize("fn, args, kwargs, exc, name", BAD_INPUTS)
def test_bad_inputs(fn, args, kwargs, exc, name):
    with pytest.raises(exc, match=name):
        fn(*args, **kwargs)
