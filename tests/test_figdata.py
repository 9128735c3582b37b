"""Tests for course_utils.figdata: for every chart exercise of 11_seaborn and
12_polar_pie_and_more, plausible WRONG answers (those the expert review found passing
among them) are rejected with a one-line message, and correct variants are accepted.

Each answer is a function drawing into a fresh axes, as the learner's solution cell does.
"""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
import seaborn as sns

from course_utils import figchecks, figdata, tables

PENGUINS = tables.load_table("penguins").dropna()
ISLANDS = tables.load_table("penguins")["island"].value_counts()
ORDER = ["Gentoo", "Chinstrap", "Adelie"]
MEASURES = ["bill_length_mm", "bill_depth_mm", "flipper_length_mm", "body_mass_g"]


def new_ax(**kw):
    return plt.subplots(**kw)[1]


# ---------------------------------------------------------------- NB11 exercise 1: countplot
def ex1_expected():
    return PENGUINS.groupby(["species", "sex"]).size().reindex(ORDER, level=0)


def ex1_check(ax):
    figdata.check_bars("penguins by species and sex", ax, ex1_expected(), orient="v")
    figchecks.check_axis_labels("axis labels", ax, xlabel="species", ylabel="number")


def _labels(ax):
    ax.set_xlabel("species")
    ax.set_ylabel("number of penguins")
    return ax


EX1_CORRECT = {
    "countplot order=": lambda ax: _labels(sns.countplot(data=PENGUINS, x="species", hue="sex", order=ORDER, ax=ax)),
    "hue_order reversed": lambda ax: _labels(sns.countplot(data=PENGUINS, x="species", hue="sex", order=ORDER,
                                                           hue_order=["male", "female"], ax=ax)),
    "pandas unstack().plot.bar": lambda ax: _labels(PENGUINS.groupby(["species", "sex"]).size().unstack()
                                                    .loc[ORDER].plot.bar(ax=ax, rot=0)),
}
EX1_WRONG = {
    "barplot of mean body mass": (lambda ax: _labels(sns.barplot(data=PENGUINS, x="species", y="body_mass_g",
                                                                 hue="sex", order=ORDER, errorbar=None, ax=ax)),
                                  "expected"),
    "no order=": (lambda ax: _labels(sns.countplot(data=PENGUINS, x="species", hue="sex", ax=ax)), "categories read"),
    "hue='island'": (lambda ax: _labels(sns.countplot(data=PENGUINS, x="species", hue="island", order=ORDER, ax=ax)),
                     "bars, expected 6"),
}


@pytest.mark.parametrize("answer", EX1_CORRECT)
def test_nb11_ex1_accepts(answer):
    ex1_check(EX1_CORRECT[answer](new_ax()))


@pytest.mark.parametrize("answer", EX1_WRONG)
def test_nb11_ex1_rejects(answer):
    draw, message = EX1_WRONG[answer]
    with pytest.raises(AssertionError, match=message):
        ex1_check(draw(new_ax()))


# ---------------------------------------------------------------- NB11 exercise 2: heatmap
PCORR = PENGUINS[MEASURES].corr()
MASK = np.triu(np.ones_like(PCORR, dtype=bool), k=1)


def ex2_check(ax):
    figchecks.check_upper_triangle_masked("mask", ax, include_diagonal=False)
    figdata.check_heatmap("penguin correlations", ax, PCORR, fmt=".2f", clim=(-1, 1))


def ex2(data=PCORR, mask=MASK, **kw):
    opts = {"vmin": -1, "vmax": 1, "center": 0, "cmap": "coolwarm", "annot": True, "fmt": ".2f"} | kw
    return lambda ax: sns.heatmap(data, mask=mask, ax=ax, **opts)


RANDOM = pd.DataFrame(np.random.default_rng(0).normal(size=(50, 4)), columns=MEASURES).corr(method="spearman")
EX2_CORRECT = {"coolwarm": ex2(), "vlag": ex2(cmap="vlag"), "RdBu_r, no center": ex2(cmap="RdBu_r", center=None),
               "pearson named": ex2(data=PENGUINS[MEASURES].corr(method="pearson"))}
EX2_WRONG = {
    "spearman of random numbers, viridis, .0f": (ex2(data=RANDOM, cmap="viridis", fmt=".0f"), "cell"),
    "viridis": (ex2(cmap="viridis"), "not diverging"),
    "one decimal": (ex2(fmt=".1f"), "cell texts"),
    "no annot": (ex2(annot=False), "cell texts"),
    "auto colour range": (ex2(vmin=None, vmax=None), "colour range"),
    "diagonal hidden too (k=0)": (ex2(mask=np.triu(np.ones_like(PCORR, dtype=bool))), "masked differently"),
}


@pytest.mark.parametrize("answer", EX2_CORRECT)
def test_nb11_ex2_accepts(answer):
    ex2_check(EX2_CORRECT[answer](new_ax()))


@pytest.mark.parametrize("answer", EX2_WRONG)
def test_nb11_ex2_rejects(answer):
    draw, message = EX2_WRONG[answer]
    with pytest.raises(AssertionError, match=message):
        ex2_check(draw(new_ax()))


# ---------------------------------------------------------------- NB11 exercise 3: displot facets
def ex3_check(g):
    figchecks.check_facets("grid", g, nrows=2, ncols=3)
    figdata.check_facet_hist("body mass", g, PENGUINS, x="body_mass_g", col="species", row="sex")


EX3_CORRECT = {
    "binwidth=250": lambda: sns.displot(data=PENGUINS, x="body_mass_g", col="species", row="sex", binwidth=250,
                                        height=1.5),
    "density, col_order": lambda: sns.displot(data=PENGUINS, x="body_mass_g", col="species", row="sex",
                                              stat="density", col_order=ORDER, height=1.5),
}
EX3_WRONG = {
    "flipper by island": (lambda: sns.displot(data=PENGUINS, x="flipper_length_mm", col="island", row="sex",
                                              height=1.5), "col facets"),
    "flipper by species": (lambda: sns.displot(data=PENGUINS, x="flipper_length_mm", col="species", row="sex",
                                               height=1.5), "x axis shows"),
    "rows and columns swapped": (lambda: sns.displot(data=PENGUINS, x="body_mass_g", col="sex", row="species",
                                                     height=1.5), "facets, expected 2 x 3"),
}


@pytest.mark.parametrize("answer", EX3_CORRECT)
def test_nb11_ex3_accepts(answer):
    ex3_check(EX3_CORRECT[answer]())


@pytest.mark.parametrize("answer", EX3_WRONG)
def test_nb11_ex3_rejects(answer):
    draw, message = EX3_WRONG[answer]
    with pytest.raises(AssertionError, match=message):
        ex3_check(draw())


def test_facet_hist_sees_a_wrong_subset():
    g = sns.displot(data=PENGUINS[PENGUINS["body_mass_g"] > 3500], x="body_mass_g", col="species", row="sex")
    with pytest.raises(AssertionError, match="bars span"):
        figdata.check_facet_hist("body mass", g, PENGUINS, x="body_mass_g", col="species", row="sex")


# ---------------------------------------------------------------- NB11 exercise 4: split violins
def ex4_check(ax):
    figdata.check_split_violins("split violins", ax, PENGUINS, x="species", y="flipper_length_mm", hue="sex")


def violins(**kw):
    opts = {"split": True, "inner": "quart"} | kw
    return lambda ax: sns.violinplot(data=PENGUINS, x="species", y="flipper_length_mm", hue="sex", ax=ax, **opts)


EX4_CORRECT = {"split quart": violins(), "hue_order reversed": violins(hue_order=["female", "male"]),
               "order and palette": violins(order=ORDER, palette="Set2")}
EX4_WRONG = {"no split=True": (violins(split=False, inner=None), "not cut at the category centre"),
             "no split, quart": (violins(split=False), "not cut at the category centre"),
             "split, inner box": (violins(inner="box"), "quartiles"),
             "split, wrong y": (lambda ax: sns.violinplot(data=PENGUINS, x="species", y="bill_length_mm", hue="sex",
                                                          split=True, inner="quart", ax=ax), "quartiles")}


@pytest.mark.parametrize("answer", EX4_CORRECT)
def test_nb11_ex4_accepts(answer):
    ex4_check(EX4_CORRECT[answer](new_ax()))


@pytest.mark.parametrize("answer", EX4_WRONG)
def test_nb11_ex4_rejects(answer):
    draw, message = EX4_WRONG[answer]
    with pytest.raises(AssertionError, match=message):
        ex4_check(draw(new_ax()))


# ---------------------------------------------------------------- NB12 exercise 1: polar half circle
def curve(t):
    return 1 + 0.5 * np.sin(3 * t)


def polar_ax():
    return new_ax(subplot_kw={"projection": "polar"})


def ex12_1_check(ax):
    figchecks.check_polar_limits("sector", ax, rmin=0, rmax=2, thetamin=0, thetamax=180)
    figdata.check_curve("curve", ax, curve, (0, np.pi))


def half(theta, r=curve, tmax=180):
    def draw(ax):
        ax.plot(theta, r(theta))
        ax.set_thetamin(0)
        ax.set_thetamax(tmax)
        ax.set_rlim(0, 2)
        return ax
    return draw


EX12_1_CORRECT = {"full turn": half(np.linspace(0, 2 * np.pi, 200)), "half only": half(np.linspace(0, np.pi, 100))}
EX12_1_WRONG = {"circle r=1": (half(np.linspace(0, 2 * np.pi, 200), r=np.ones_like), "no line follows"),
                "cos instead of sin": (half(np.linspace(0, 2 * np.pi, 200), r=lambda t: 1 + 0.5 * np.cos(3 * t)),
                                       "no line follows"),
                "whole circle shown": (half(np.linspace(0, 2 * np.pi, 200), tmax=360), "thetamax")}


@pytest.mark.parametrize("answer", EX12_1_CORRECT)
def test_nb12_ex1_accepts(answer):
    ex12_1_check(EX12_1_CORRECT[answer](polar_ax()))


@pytest.mark.parametrize("answer", EX12_1_WRONG)
def test_nb12_ex1_rejects(answer):
    draw, message = EX12_1_WRONG[answer]
    with pytest.raises(AssertionError, match=message):
        ex12_1_check(draw(polar_ax()))


# ---------------------------------------------------------------- NB12 exercise 2: radar by hand
IRIS = tables.load_table("iris")
IRIS_MEANS = tables.group_means(IRIS, "species", IRIS.columns[:4], scale="minmax")


def radar(values=IRIS_MEANS, labels=None, fill=True, clockwise=False, rlim=(0, 1)):
    def draw(ax):
        k = values.shape[1]
        spokes = np.linspace(0, 2 * np.pi, k, endpoint=False)
        for name, row in values.iterrows():
            vals = np.append(row.to_numpy(), row.iloc[0])
            ax.plot(np.append(spokes, spokes[0]), vals, label=name)
            if fill:
                ax.fill(np.append(spokes, spokes[0]), vals, alpha=0.15)
        names = labels or [c.replace(" (cm)", "") for c in values.columns]
        ax.set_thetagrids(np.degrees(spokes), names)
        ax.set_theta_offset(np.pi / 2)
        if clockwise:
            ax.set_theta_direction(-1)
        if rlim:
            ax.set_rlim(*rlim)
        ax.legend()
        return ax
    return draw


EX12_2_CORRECT = {"anticlockwise": radar(), "clockwise": radar(clockwise=True),
                  "full names": radar(labels=list(IRIS_MEANS.columns))}
RANDOM_MEANS = pd.DataFrame(np.random.default_rng(1).random((3, 4)), index=IRIS_MEANS.index,
                            columns=IRIS_MEANS.columns)
EX12_2_WRONG = {"random values": (radar(values=RANDOM_MEANS), "expected"),
                "spokes a..d": (radar(labels=list("abcd")), "spoke label"),
                "no fill": (radar(fill=False), "filled polygons"),
                "z-scores, automatic centre": (radar(values=tables.group_means(IRIS, "species", IRIS.columns[:4]),
                                                     rlim=None), "expected")}


@pytest.mark.parametrize("answer", EX12_2_CORRECT)
def test_nb12_ex2_accepts(answer):
    figdata.check_radar("radar", EX12_2_CORRECT[answer](polar_ax()), IRIS_MEANS)


@pytest.mark.parametrize("answer", EX12_2_WRONG)
def test_nb12_ex2_rejects(answer):
    draw, message = EX12_2_WRONG[answer]
    with pytest.raises(AssertionError, match=message):
        figdata.check_radar("radar", draw(polar_ax()), IRIS_MEANS)


def test_radar_centre_must_be_zero():
    ax = radar(rlim=(-0.5, 1))(polar_ax())
    with pytest.raises(AssertionError, match="centre of the chart"):
        figdata.check_radar("radar", ax, IRIS_MEANS)


# ---------------------------------------------------------------- NB12 exercise 3: island donut
def donut(counts=ISLANDS, **kw):
    return lambda ax: ax.pie(counts.to_numpy(), labels=counts.index, autopct="%1.0f%%", wedgeprops={"width": 0.35},
                             **kw) and ax


EX12_3_CORRECT = {"sorted by name": donut(ISLANDS.sort_index()),
                  "clockwise from the top": donut(counterclock=False, startangle=90)}
EX12_3_WRONG = {"species donut": (donut(tables.load_table("penguins")["species"].value_counts()), "labelled"),
                "counts relabelled": (lambda ax: ax.pie([1, 1, 1], labels=ISLANDS.index) and ax, "spans")}


@pytest.mark.parametrize("answer", EX12_3_CORRECT)
def test_nb12_ex3_accepts(answer):
    figdata.check_wedges("islands", EX12_3_CORRECT[answer](new_ax()), ISLANDS)


@pytest.mark.parametrize("answer", EX12_3_WRONG)
def test_nb12_ex3_rejects(answer):
    draw, message = EX12_3_WRONG[answer]
    with pytest.raises(AssertionError, match=message):
        figdata.check_wedges("islands", draw(new_ax()), ISLANDS)


# ---------------------------------------------------------------- NB12 exercise 4: sorted barh
DESC = ISLANDS.sort_values(ascending=False)


def ex12_4_check(ax):
    figdata.check_bars("largest at the top", ax, DESC, orient="h")


def barh_invert(ax):
    ax.barh(DESC.index, DESC.to_numpy())
    ax.invert_yaxis()
    return ax


EX12_4_CORRECT = {
    "barh ascending": lambda ax: ax.barh(DESC.index[::-1], DESC.to_numpy()[::-1]) and ax,
    "barh + invert_yaxis": barh_invert,
    "countplot(y=, order=)": lambda ax: sns.countplot(data=tables.load_table("penguins"), y="island",
                                                      order=list(DESC.index), ax=ax),
    "barplot": lambda ax: sns.barplot(x=DESC.to_numpy(), y=list(DESC.index), ax=ax),
}
EX12_4_WRONG = {
    "lengths 1, 2, 3": (lambda ax: ax.barh(DESC.index[::-1], [1, 2, 3]) and ax, "expected"),
    "vertical bars": (lambda ax: ax.bar(DESC.index, DESC.to_numpy()) and ax, "vertical"),
    "largest at the bottom": (lambda ax: ax.barh(DESC.index, DESC.to_numpy()) and ax, "top to bottom"),
}


@pytest.mark.parametrize("answer", EX12_4_CORRECT)
def test_nb12_ex4_accepts(answer):
    ex12_4_check(EX12_4_CORRECT[answer](new_ax()))


@pytest.mark.parametrize("answer", EX12_4_WRONG)
def test_nb12_ex4_rejects(answer):
    draw, message = EX12_4_WRONG[answer]
    with pytest.raises(AssertionError, match=message):
        ex12_4_check(draw(new_ax()))


def test_bar_table_reads_screen_order():
    ax = barh_invert(new_ax())
    table = figdata.bar_table(ax)
    assert list(table["category"]) == list(DESC.index)
    assert list(table["value"]) == list(DESC.to_numpy().astype(float))


BAD_INPUTS = [
    (figdata.check_bars, ("x", None, [1, 2]), {}, TypeError, "expected"),
    (figdata.check_bars, ("x", None, pd.Series([1])), {"orient": "up"}, ValueError, "orient"),
    (figdata.check_heatmap, ("x", None, [[1]]), {}, TypeError, "expected"),
    (figdata.check_facet_hist, ("x", None, PENGUINS, "wing"), {}, KeyError, "x="),
    (figdata.check_split_violins, ("x", None, PENGUINS, "species", "flipper_length_mm", "colour"), {},
     KeyError, "hue="),
    (figdata.check_radar, ("x", None, [[1, 2, 3]]), {}, TypeError, "expected"),
    (figdata.check_wedges, ("x", None, [1, 2]), {}, TypeError, "expected"),
    (figdata.check_curve, ("x", None, np.sin, (0, 1)), {}, AssertionError, "got None"),
    (figdata.bar_table, (None,), {}, AssertionError, "got None"),
]


@pytest.mark.parametrize("case", BAD_INPUTS, ids=lambda c: c[0].__name__)
def test_bad_inputs(case):
    fn, args, kwargs, exc, text = case
    with pytest.raises(exc, match=text):
        fn(*args, **kwargs)
