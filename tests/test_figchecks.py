"""Tests for course_utils.figchecks: each check passes on a figure that meets it, prints
one '[ok]' line, and fails with an AssertionError (and a hint) on one that does not."""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import plotly.express as px
import pytest
import seaborn as sns

from course_utils import figchecks


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


@pytest.fixture
def frame():
    rng = np.random.default_rng(0)
    return pd.DataFrame({"kind": np.repeat(["a", "b", "c"], 20), "side": np.tile(["l", "r"], 30),
                         "v": rng.normal(size=60), "w": rng.normal(size=60)})


def test_bar_count_on_matplotlib_and_seaborn(frame, capsys):
    fig, ax = plt.subplots()
    ax.bar(["x", "y", "z"], [1, 0, 2])                       # the zero-height bar is not shown
    figchecks.check_bar_count("bars", ax, 2)
    assert capsys.readouterr().out == "[ok] bars: 2 bars\n"
    ax2 = sns.countplot(data=frame, x="kind", hue="side", ax=plt.subplots()[1])
    figchecks.check_bar_count("countplot", ax2, 6)
    figchecks.check_bar_count("figure works too", ax2.figure, 6)
    with pytest.raises(AssertionError, match="6 bars, expected 3\nHint: one bar per"):
        figchecks.check_bar_count("countplot", ax2, 3)


def test_patch_count_counts_one_kind(capsys):
    fig, ax = plt.subplots()
    ax.pie([1, 2, 3])
    ax.add_patch(plt.Rectangle((0, 0), 1, 1))
    figchecks.check_patch_count("wedges", ax, 3)
    figchecks.check_patch_count("rects", ax, 1, kind="Rectangle")
    with pytest.raises(AssertionError, match="3 Wedge patches, expected 4"):
        figchecks.check_patch_count("wedges", ax, 4)
    with pytest.raises(ValueError, match="matplotlib.patches"):
        figchecks.check_patch_count("bad", ax, 1, kind="Triangle")


def test_axis_labels_and_title():
    fig, ax = plt.subplots()
    with pytest.raises(AssertionError, match="x axis has no label"):
        figchecks.check_axis_labels("labels", ax)
    ax.set_xlabel("Species")
    ax.set_ylabel("count")
    figchecks.check_axis_labels("labels", ax, xlabel="species", ylabel="COUNT")
    with pytest.raises(AssertionError, match="mention 'mass'"):
        figchecks.check_axis_labels("labels", ax, ylabel="mass")
    with pytest.raises(AssertionError, match="no title"):
        figchecks.check_title("title", ax)
    ax.set_title("Penguins", loc="left")
    figchecks.check_title("title", ax, contains="penguin")
    with pytest.raises(AssertionError, match="does not mention"):
        figchecks.check_title("title", ax, contains="iris")


def test_lines_and_closed_lines():
    fig, ax = plt.subplots(subplot_kw={"projection": "polar"})
    t = np.array([0, 2, 4, 0.0])
    ax.plot(t, [1, 2, 3, 1], label="closed")
    ax.plot(np.linspace(0, 2 * np.pi, 5), [1, 2, 3, 2, 1])  # ends a full turn later: closed
    figchecks.check_line_count("lines", ax, 2)
    figchecks.check_line_count("labelled", ax, 1, labelled_only=True)
    figchecks.check_closed_lines("closed", ax)
    ax.plot([0, 1, 2], [1, 2, 3], label="open")
    with pytest.raises(AssertionError, match="'open' does not end where it starts"):
        figchecks.check_closed_lines("closed", ax)
    with pytest.raises(AssertionError, match="no lines"):
        figchecks.check_closed_lines("closed", plt.subplots()[1])


def test_collection_count_uses_subclasses(frame):
    fig, ax = plt.subplots()
    sns.violinplot(data=frame, x="kind", y="v", ax=ax)
    ax.scatter([0, 1], [0, 1])
    figchecks.check_collection_count("violins", ax, 3, kind="PolyCollection")
    figchecks.check_collection_count("points", ax, 1, kind="PathCollection")
    figchecks.check_collection_count("all", ax, 4)
    with pytest.raises(AssertionError, match="3 PolyCollections, expected 6"):
        figchecks.check_collection_count("violins", ax, 6, kind="PolyCollection")
    with pytest.raises(ValueError, match="matplotlib.collections"):
        figchecks.check_collection_count("bad", ax, 1, kind="Violin")


def test_legend_entries_on_axes_and_figure_level_grids(frame):
    fig, ax = plt.subplots()
    ax.plot([0, 1], label="a")
    ax.plot([1, 0], label="b")
    with pytest.raises(AssertionError, match=r"legend shows \[\]"):
        figchecks.check_legend_entries("legend", ax, ["a", "b"])
    ax.legend()
    figchecks.check_legend_entries("legend", ax, ["b", "a"])
    g = sns.displot(data=frame, x="v", hue="side", height=1.5)
    figchecks.check_legend_entries("grid legend", g, ["l", "r"])
    with pytest.raises(AssertionError, match="got None"):
        figchecks.check_legend_entries("legend", None, ["a"])


def test_polar_limits():
    fig, ax = plt.subplots(subplot_kw={"projection": "polar"})
    ax.plot([0, 1], [0, 1])
    ax.set_rmin(0.5)
    ax.set_rmax(2)
    ax.set_thetamin(0)
    ax.set_thetamax(90)
    figchecks.check_polar_limits("sector", ax, rmin=0.5, rmax=2, thetamin=0, thetamax=90)
    with pytest.raises(AssertionError, match="thetamax is 90, expected 180"):
        figchecks.check_polar_limits("sector", ax, thetamax=180)
    with pytest.raises(AssertionError, match="not polar"):
        figchecks.check_polar_limits("sector", plt.subplots()[1], rmax=1)


def test_heatmap_masks():
    corr = pd.DataFrame(np.eye(4), columns=list("abcd"), index=list("abcd"))
    mask = np.triu(np.ones((4, 4), dtype=bool))
    ax = sns.heatmap(corr, mask=mask, ax=plt.subplots()[1])
    np.testing.assert_array_equal(figchecks.heatmap_mask(ax), mask)
    figchecks.check_heatmap_mask("mask", ax, mask)
    figchecks.check_upper_triangle_masked("upper", ax)
    with pytest.raises(AssertionError, match="4 cells are masked differently"):
        figchecks.check_upper_triangle_masked("upper", ax, include_diagonal=False)
    with pytest.raises(AssertionError, match="heatmap has"):
        figchecks.check_heatmap_mask("mask", ax, np.ones((3, 3), bool))
    plain = sns.heatmap(corr, ax=plt.subplots()[1])
    with pytest.raises(AssertionError, match="masked differently"):
        figchecks.check_upper_triangle_masked("upper", plain)
    with pytest.raises(AssertionError, match="no heatmap"):
        figchecks.check_upper_triangle_masked("upper", plt.subplots()[1])


def test_facets(frame):
    g = sns.catplot(data=frame, x="kind", y="v", col="side", height=1.5)
    figchecks.check_facets("facets", g, 1, 2)
    with pytest.raises(AssertionError, match="1 x 2 facets, expected 2 x 2"):
        figchecks.check_facets("facets", g, 2, 2)
    with pytest.raises(AssertionError, match="FacetGrid"):
        figchecks.check_facets("facets", None, 1, 1)
    with pytest.raises(AssertionError, match="pass one of them"):
        figchecks.check_bar_count("grid", g, 1)


def test_tick_labels(frame):
    ax = sns.boxplot(data=frame, x="kind", y="v", order=["c", "b", "a"], ax=plt.subplots()[1])
    figchecks.check_tick_labels("order", ax, "x", ["c", "b", "a"])
    with pytest.raises(AssertionError, match="order="):
        figchecks.check_tick_labels("order", ax, "x", ["a", "b", "c"])
    with pytest.raises(ValueError, match="'x' or 'y'"):
        figchecks.check_tick_labels("order", ax, "z", [])


def test_dark_background():
    from course_utils import charts

    with charts.course_style(dark=True):
        fig, ax = plt.subplots()
        ax.set_xlabel("x")
    figchecks.check_dark_background("dark", fig)
    light, ax2 = plt.subplots()
    with pytest.raises(AssertionError, match="background is light"):
        figchecks.check_dark_background("dark", light)
    with pytest.raises(AssertionError, match="fig must be a matplotlib Figure"):
        figchecks.check_dark_background("dark", "figure")


def test_no_text_overlap():
    fig, ax = plt.subplots()
    ax.set_ylim(0, 10)
    ax.text(0.1, 1, "first")
    ax.text(0.1, 5, "second")
    figchecks.check_no_text_overlap("apart", ax)
    ax.text(0.1, 5.05, "third")
    with pytest.raises(AssertionError, match="'second' overlaps 'third'"):
        figchecks.check_no_text_overlap("apart", ax)
    with pytest.raises(AssertionError, match="0 texts"):
        figchecks.check_no_text_overlap("apart", plt.subplots()[1])


def test_plotly_figure(frame):
    fig = px.scatter(frame, x="v", y="w", color="side", facet_col="kind", animation_frame="side")
    figchecks.check_plotly_figure("px", fig, n_traces=3, trace_type="scatter", n_frames=2, n_facets=3)
    with pytest.raises(AssertionError, match="traces, expected 5"):
        figchecks.check_plotly_figure("px", fig, n_traces=5)
    with pytest.raises(AssertionError, match="expected only 'bar'"):
        figchecks.check_plotly_figure("px", fig, trace_type="bar")
    with pytest.raises(AssertionError, match="animation frames"):
        figchecks.check_plotly_figure("px", fig, n_frames=0)
    with pytest.raises(AssertionError, match="facets"):
        figchecks.check_plotly_figure("px", fig, n_facets=1)
    with pytest.raises(AssertionError, match="plotly Figure"):
        figchecks.check_plotly_figure("px", plt.figure())


def test_bad_objects_fail_with_a_message():
    with pytest.raises(AssertionError, match="got None"):
        figchecks.check_bar_count("none", None, 1)
    with pytest.raises(AssertionError, match="no axes"):
        figchecks.check_bar_count("empty", plt.figure(), 1)
    with pytest.raises(AssertionError, match="got int"):
        figchecks.check_title("int", 3)


# --- bad inputs (collected by tests/test_bad_inputs.py) ---------------------------------
# The learner's figure missing: AssertionError "got None"; an author's wrong argument:
# TypeError/ValueError naming it.

_AX = plt.figure().add_subplot()

BAD_INPUTS = [
    (figchecks.bars, (None,), {}, TypeError, "ax"),
    (figchecks.check_bar_count, ("bars", None, 3), {}, AssertionError, "got None"),
    (figchecks.check_bar_count, ("bars", _AX, "3"), {}, TypeError, "expected"),
    (figchecks.check_patch_count, ("pie", _AX, 3), {"kind": "Slice"}, ValueError, "kind"),
    (figchecks.check_axis_labels, ("labels", _AX), {"xlabel": 3}, TypeError, "xlabel"),
    (figchecks.check_title, ("title", _AX), {"contains": ["a"]}, TypeError, "contains"),
    (figchecks.check_line_count, ("lines", _AX, -1), {}, ValueError, "expected"),
    (figchecks.check_closed_lines, ("radar", None), {}, AssertionError, "got None"),
    (figchecks.check_collection_count, ("dots", _AX, 1), {"kind": "Scatter"}, ValueError, "kind"),
    (figchecks.legend_labels, ("legend",), {}, TypeError, "obj"),
    (figchecks.check_legend_entries, ("legend", _AX, "Adelie"), {}, TypeError, "expected"),
    (figchecks.check_polar_limits, ("polar", _AX), {"rmax": "1"}, TypeError, "rmax"),
    (figchecks.heatmap_mask, (np.zeros((2, 2)),), {}, TypeError, "ax"),
    (figchecks.check_heatmap_mask, ("mask", None, np.zeros((2, 2), bool)), {}, AssertionError, "got None"),
    (figchecks.check_upper_triangle_masked, ("mask", None), {}, AssertionError, "got None"),
    (figchecks.check_facets, ("grid", None, 1, 2), {}, AssertionError, "got NoneType"),
    (figchecks.check_facets, ("grid", _AX, 0, 2), {}, ValueError, "nrows"),
    (figchecks.check_tick_labels, ("ticks", _AX, "z", ["a"]), {}, ValueError, "axis"),
    (figchecks.check_tick_labels, ("ticks", _AX, "x", "abc"), {}, TypeError, "expected"),
    (figchecks.check_dark_background, ("dark", None), {}, AssertionError, "got NoneType"),
    (figchecks.check_no_text_overlap, ("texts", _AX), {"min_texts": 1.5}, TypeError, "min_texts"),
    (figchecks.check_plotly_figure, ("plotly", None), {}, AssertionError, "got NoneType"),
    (figchecks.check_plotly_figure, ("plotly", _AX), {"n_traces": "2"}, TypeError, "n_traces"),
]


@pytest.mark.parametrize("fn, args, kwargs, exc, name", BAD_INPUTS)
def test_bad_inputs(fn, args, kwargs, exc, name):
    with pytest.raises(exc, match=name):
        fn(*args, **kwargs)
