"""Tests for course_utils.figmarks: for every exercise of 13_interactive_and_themes,
plausible WRONG answers (those the expert review found passing among them) are rejected
and correct variants are accepted."""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import plotly.express as px
import pytest

from course_utils import charts, figmarks, shapes, tables

WIDE = tables.load_table("stocks").pivot(index="date", columns="symbol", values="price")
SCENE = shapes.make_shapes_scenes(1, seed=7, size=96, min_objects=3, max_objects=3)
IMAGE, BOXES, LABELS = SCENE.images[0], SCENE.boxes[0], SCENE.labels[0]
NAMES = [shapes.OBJECT_CLASSES[i - 1] for i in LABELS]
STUDENT = tables.load_table("exam_scores")


# ---------------------------------------------------------------- exercise 1: lines of the theme chart
def stocks(symbols):
    ax = plt.subplots()[1]
    for s in symbols:
        ax.plot(WIDE.index, WIDE[s], label=s)
    return ax


def test_lines_accept_the_two_stocks_in_any_order():
    for order in (["AAPL", "MSFT"], ["MSFT", "AAPL"]):
        figmarks.check_lines("stocks", stocks(order), {"AAPL": WIDE["AAPL"], "MSFT": WIDE["MSFT"]})


@pytest.mark.parametrize("symbols", [["GOOG", "IBM"], ["AAPL"], ["AAPL", "MSFT", "IBM"]])
def test_lines_reject_other_stocks(symbols):
    with pytest.raises(AssertionError, match="labelled lines"):
        figmarks.check_lines("stocks", stocks(symbols), {"AAPL": WIDE["AAPL"], "MSFT": WIDE["MSFT"]})


def test_lines_reject_swapped_data():
    ax = plt.subplots()[1]
    ax.plot(WIDE.index, WIDE["MSFT"], label="AAPL")
    ax.plot(WIDE.index, WIDE["AAPL"], label="MSFT")
    with pytest.raises(AssertionError, match="does not show"):
        figmarks.check_lines("stocks", ax, {"AAPL": WIDE["AAPL"], "MSFT": WIDE["MSFT"]})


# ---------------------------------------------------------------- exercise 2: boxes with add_patch
def boxes_answer(rect, text_at):
    ax = plt.subplots()[1]
    ax.imshow(IMAGE)
    for (x1, y1, x2, y2), name in zip(BOXES, NAMES):
        ax.add_patch(plt.Rectangle(*rect(x1, y1, x2, y2), fill=False, edgecolor="white"))
        text_at(ax, x1, y1, x2, y2, name)
    return ax


RIGHT = lambda x1, y1, x2, y2: ((x1 - 0.5, y1 - 0.5), x2 - x1, y2 - y1)  # noqa: E731
ABOVE = lambda ax, x1, y1, x2, y2, n: ax.text(x1 - 0.5, y1 - 2, n, fontsize="x-small")  # noqa: E731
CORRECT_BOXES = {
    "text above": (RIGHT, ABOVE),
    "text inside the top": (RIGHT, lambda ax, x1, y1, x2, y2, n: ax.text(x1 + 1, y1 + 4, n, fontsize=6)),
    "annotate": (RIGHT, lambda ax, x1, y1, x2, y2, n: ax.annotate(n, (x1, y1), xytext=(0, 3),
                                                                 textcoords="offset points", fontsize=6)),
}
WRONG_BOXES = {
    "width/height bug": ((lambda x1, y1, x2, y2: ((x1 - 0.5, y1 - 0.5), x2, y2)), ABOVE, "width and height"),
    "names at (0, 0)": (RIGHT, lambda ax, x1, y1, x2, y2, n: ax.text(0, 0, n), "not next to its box"),
    "no -0.5 offset": ((lambda x1, y1, x2, y2: ((x1, y1), x2 - x1, y2 - y1)), ABOVE, "expected"),
    "names swapped": (RIGHT, None, "not next to its box"),
}


@pytest.mark.parametrize("answer", CORRECT_BOXES)
def test_boxes_accept(answer):
    rect, text = CORRECT_BOXES[answer]
    figmarks.check_boxes("boxes", boxes_answer(rect, text), BOXES, NAMES)


@pytest.mark.parametrize("answer", WRONG_BOXES)
def test_boxes_reject(answer):
    rect, text, message = WRONG_BOXES[answer]
    if text is None:                                   # every name written at the next box
        order = {tuple(b): NAMES[(i + 1) % len(NAMES)] for i, b in enumerate(BOXES)}
        text = lambda ax, x1, y1, x2, y2, n: ax.text(x1 - 0.5, y1 - 2, order[(x1, y1, x2, y2)])  # noqa: E731
    with pytest.raises(AssertionError, match=message):
        figmarks.check_boxes("boxes", boxes_answer(rect, text), BOXES, NAMES)


# ---------------------------------------------------------------- exercise 3: plotly histogram
def check_hist(fig):
    figmarks.check_plotly_facets("hist", fig, STUDENT, x="math_score", color="gender", facet_col="test_preparation")


@pytest.mark.parametrize("kw", [{"nbins": 20}, {"barmode": "overlay"},
                                {"category_orders": {"gender": ["male", "female"]}}])
def test_plotly_facets_accept(kw):
    check_hist(px.histogram(STUDENT, x="math_score", color="gender", facet_col="test_preparation", **kw))


@pytest.mark.parametrize("kw,message", [
    ({"x": "reading_score", "color": "lunch", "facet_col": "gender"}, "facet titles"),
    ({"x": "reading_score", "color": "gender", "facet_col": "test_preparation"}, "not the math_score"),
    ({"x": "math_score", "color": "lunch", "facet_col": "test_preparation"}, "not the math_score"),
])
def test_plotly_facets_reject(kw, message):
    with pytest.raises(AssertionError, match=message):
        check_hist(px.histogram(STUDENT, **kw))


# ---------------------------------------------------------------- exercise 4: labels at line ends
ENDS = WIDE.ffill().iloc[-1]


def end_labels(texts_at):
    ax = plt.subplots(figsize=(5, 3))[1]
    for s in WIDE.columns:
        ax.plot(WIDE.index, WIDE[s], linewidth=1)
    texts_at(ax)
    return ax


def spread(ax):
    for s, y in zip(ENDS.index, charts.spread_labels(ENDS.to_numpy(), min_gap=40)):
        ax.text(WIDE.index[-1] + pd.Timedelta(days=30), y, s, va="center", fontsize="small")


def test_end_labels_accept_text_and_label_line_ends():
    figmarks.check_end_labels("ends", end_labels(spread), ENDS, max_gap=100)
    ax = plt.subplots()[1]
    for s in WIDE.columns:
        ax.plot(WIDE.index, WIDE[s], label=s)
    charts.label_line_ends(ax, min_gap=40)
    figmarks.check_end_labels("ends", ax, ENDS, max_gap=100)


@pytest.mark.parametrize("texts_at,message", [
    (lambda ax: [ax.text(WIDE.index[-1], 100 * i, c) for i, c in enumerate("abcde")], "expected the names"),
    (lambda ax: [ax.text(WIDE.index[0], 100 * i, s) for i, s in enumerate(ENDS.index)], "left of the last point"),
    (lambda ax: [ax.text(WIDE.index[-1], 650 - 40 * i, s) for i, s in enumerate(ENDS.index)], "from its line's end"),
])
def test_end_labels_reject(texts_at, message):
    with pytest.raises(AssertionError, match=message):
        figmarks.check_end_labels("ends", end_labels(texts_at), ENDS, max_gap=100)


BAD_INPUTS = [
    (figmarks.check_lines, ("x", None, {}), {}, AssertionError, "got None"),
    (figmarks.check_boxes, ("x", None, BOXES, ["a"]), {}, ValueError, "labels"),
    (figmarks.check_end_labels, ("x", None, ENDS, 1.0), {}, AssertionError, "got None"),
    (figmarks.check_plotly_facets, ("x", None, STUDENT, "math_score", "colour", "lunch"), {}, KeyError, "color="),
]


@pytest.mark.parametrize("case", BAD_INPUTS, ids=lambda c: c[0].__name__)
def test_bad_inputs(case):
    fn, args, kwargs, exc, text = case
    with pytest.raises(exc, match=text):
        fn(*args, **kwargs)


def test_arrays_of_boxes_are_read_as_xyxy():
    assert np.asarray(BOXES).shape[1] == 4
