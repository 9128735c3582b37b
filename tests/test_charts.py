"""Tests for course_utils.charts: style sheets, palettes, radar charts, label placement.
They inspect what was drawn (lines, limits, tick labels, texts), never pixels."""
from __future__ import annotations

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from course_utils import charts


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def test_style_sheets_ship_and_unknown_names_fail():
    assert charts.style_path().name == "course.mplstyle"
    assert charts.style_path("course-dark").exists()
    with pytest.raises(ValueError, match="available"):
        charts.style_path("neon")


def test_course_style_applies_inside_and_restores_after():
    with plt.style.context("default"):
        before = dict(mpl.rcParams)
        with charts.course_style():
            assert mpl.rcParams["figure.dpi"] == 100
            assert mpl.rcParams["axes.spines.top"] is False
        with charts.course_style(dark=True):
            fig, ax = plt.subplots()
            assert mpl.colors.to_hex(fig.get_facecolor()) == "#1e1e24"
            assert mpl.rcParams["figure.dpi"] == 100              # dark builds on the course sheet
            assert mpl.colors.to_hex(ax.xaxis.label.get_color()) == "#e6e6ea"
        assert mpl.rcParams["figure.facecolor"] == before["figure.facecolor"]
        assert mpl.rcParams["figure.dpi"] == before["figure.dpi"]


def test_palettes():
    assert charts.palette()[:2] == ["#0072B2", "#E69F00"]
    assert len(charts.palette("tol_bright", 3)) == 3
    for colours in charts.PALETTES.values():
        assert len(set(colours)) == len(colours)
        [mpl.colors.to_rgb(c) for c in colours]                  # all valid colours
    with pytest.raises(ValueError, match="unknown palette"):
        charts.palette("rainbow")
    with pytest.raises(ValueError, match="asked for 20"):
        charts.palette("okabe_ito", 20)


def test_radar_angles_close_the_polygon():
    angles = charts.radar_angles(4)
    np.testing.assert_allclose(angles, [0, np.pi / 2, np.pi, 3 * np.pi / 2, 0])
    with pytest.raises(ValueError, match="at least 3"):
        charts.radar_angles(2)


def test_radar_chart_draws_one_closed_line_per_series():
    frame = pd.DataFrame([[1.0, 2.0, 3.0], [0.5, -1.0, 0.0]], index=["a", "b"], columns=["x", "y", "z"])
    ax = charts.radar_chart(frame)
    assert ax.name == "polar"
    lines = ax.get_lines()
    assert [ln.get_label() for ln in lines] == ["a", "b"]
    for ln, row in zip(lines, frame.to_numpy()):
        np.testing.assert_allclose(ln.get_ydata(), np.append(row, row[0]))
        np.testing.assert_allclose(ln.get_xdata(), charts.radar_angles(3))
    assert len(ax.patches) == 2                                  # one filled polygon per series
    assert [t.get_text() for t in ax.get_xticklabels()] == ["x", "y", "z"]
    assert ax.get_theta_offset() == pytest.approx(np.pi / 2)
    assert ax.get_theta_direction() == -1
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["a", "b"]


def test_radar_chart_on_given_axes_with_limits_and_array_input():
    fig, ax = plt.subplots(subplot_kw={"projection": "polar"})
    out = charts.radar_chart(np.ones((1, 5)), labels=list("abcde"), ax=ax, rlim=(0, 2))
    assert out is ax and ax.get_rmax() == 2 and ax.get_legend() is None


def test_radar_chart_bad_input():
    with pytest.raises(ValueError, match="polar axes"):
        charts.radar_chart(np.ones((2, 4)), ax=plt.subplots()[1])
    with pytest.raises(ValueError, match="K >= 3"):
        charts.radar_chart(np.ones((2, 2)))
    with pytest.raises(ValueError, match="labels"):
        charts.radar_chart(np.ones((2, 4)), labels=["a", "b"])
    with pytest.raises(ValueError, match="series names"):
        charts.radar_chart(np.ones((2, 4)), series=["only one"])


def test_spread_labels_keeps_order_and_gap():
    pos = [125.0, 135.0, 560.0, 28.0, 223.0]
    out = charts.spread_labels(pos, min_gap=40)
    order = np.argsort(pos)
    assert list(np.argsort(out)) == list(order)
    assert np.diff(np.sort(out)).min() >= 40 - 1e-9
    np.testing.assert_allclose(out, [125, 165, 560, 28, 223])
    np.testing.assert_allclose(charts.spread_labels([0, 10, 20], 5), [0, 10, 20])   # already apart


def test_spread_labels_respects_the_upper_bound():
    out = charts.spread_labels([0.0, 0.1, 0.2], 0.5, upper=0.5)
    np.testing.assert_allclose(out, [-0.5, 0.0, 0.5])


def test_spread_labels_bad_input():
    with pytest.raises(ValueError, match="1-D"):
        charts.spread_labels(np.zeros((2, 2)), 1)
    with pytest.raises(ValueError, match="min_gap"):
        charts.spread_labels([1, 2], -1)
    with pytest.raises(ValueError, match="do not fit"):
        charts.spread_labels([0, 1, 2], 1, lower=0, upper=1)


def test_label_line_ends_writes_spread_labels_in_line_colours():
    fig, ax = plt.subplots()
    x = np.arange(5)
    ax.plot(x, [0, 1, 2, 3, 10.0], label="a")
    ax.plot(x, [0, 1, 2, 3, 10.2], label="b")
    ax.plot(x, x * 0.0, label="_hidden")
    charts.label_line_ends(ax, min_gap=1)
    texts = ax.texts
    assert [t.get_text() for t in texts] == ["a", "b"]
    ys = [t.xy[1] for t in texts]
    assert abs(ys[1] - ys[0]) >= 1 - 1e-9
    assert texts[0].get_color() == ax.get_lines()[0].get_color()


def test_label_line_ends_needs_labelled_lines():
    fig, ax = plt.subplots()
    ax.plot([0, 1], [0, 1])
    with pytest.raises(ValueError, match="no labelled lines"):
        charts.label_line_ends(ax)




def test_course_style_reads_light_and_dark_words_and_rejects_others():
    with charts.course_style("dark"):
        assert plt.rcParams["figure.facecolor"] == "#1e1e24"
    with charts.course_style("light"):
        assert plt.rcParams["figure.facecolor"] == "white"
    with pytest.raises(ValueError, match="dark must be"):
        with charts.course_style("drak"):
            pass
    with pytest.raises(TypeError, match="dark must be"):
        with charts.course_style(1):
            pass


def test_set_theme_rejects_a_style_name():
    from course_utils import viz

    with pytest.raises(TypeError, match="compact_png"):
        viz.set_theme("dark")


def test_plotly_snapshot_draws_the_traces_of_each_facet():
    import plotly.express as px

    frame = pd.DataFrame({"x": [1.0, 2.0, 3.0, 4.0], "y": [2.0, 1.0, 4.0, 3.0],
                          "g": ["a", "b", "a", "b"], "f": ["p", "p", "q", "q"]})
    fig = px.scatter(frame, x="x", y="y", color="g", facet_col="f")
    snap = charts.plotly_snapshot(fig)
    assert len(snap.axes) == 2
    points = sorted(tuple(p) for ax in snap.axes for c in ax.collections for p in c.get_offsets())
    assert points == sorted(zip(frame["x"], frame["y"]))        # every point, once
    assert sorted(ax.get_title() for ax in snap.axes) == ["f=p", "f=q"]


def test_show_plotly_stores_both_the_live_and_the_static_picture(monkeypatch):
    import IPython.display
    import plotly.express as px

    shown = []
    monkeypatch.setattr(IPython.display, "display", lambda obj, raw=False: shown.append(obj))
    charts.show_plotly(px.bar(x=["a", "b"], y=[1, 2]))
    assert set(shown[0]) == {"application/vnd.plotly.v1+json", "image/png"}


def _enter_course_style(*args, **kwargs):
    """course_style checks its argument when the ``with`` block is entered."""
    with charts.course_style(*args, **kwargs):
        pass


_enter_course_style.covers = charts.course_style

BAD_INPUTS = [
    (charts.style_path, ("nope",), {}, ValueError, "style"),
    (charts.palette, ("nope",), {}, ValueError, "palette"),
    (charts.radar_angles, (2,), {}, ValueError, "3 axes"),
    (charts.radar_chart, ([1, 2],), {}, ValueError, "values"),
    (charts.spread_labels, ([[1, 2]], 1.0), {}, ValueError, "positions"),
    (charts.label_line_ends, (plt.subplots()[1],), {}, ValueError, "labelled lines"),
    (charts.plotly_snapshot, ("fig",), {}, TypeError, "fig"),
    (charts.show_plotly, (None,), {}, TypeError, "fig"),
    (_enter_course_style, ("drak",), {}, ValueError, "dark"),
    (_enter_course_style, (1,), {}, TypeError, "dark"),
]


@pytest.mark.parametrize("case", BAD_INPUTS, ids=lambda c: c[0].__name__)
def test_bad_inputs(case):
    fn, args, kwargs, exc, text = case
    with pytest.raises(exc, match=text):
        fn(*args, **kwargs)
