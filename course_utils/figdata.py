"""Exercise checks that compare the DATA a learner plotted with the table it came from:
bar lengths against counts, in on-screen order; heatmap cells and their printed values;
facet variables and each facet's subset; split violins and their quartiles; curves;
radar polygons; pie wedge angles; rectangles and their labels; line labels beside
their lines; plotly traces and facets.

Like ``figchecks``, each check prints ``[ok] name: ...`` or raises ``AssertionError``
with what was expected, what was found and a hint. Correct idioms pass
(``invert_yaxis()``, ``order=``, seaborn or plain Matplotlib). Introduced in 11_seaborn;
used in 12_polar_pie_and_more and 13_interactive_and_themes.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

import matplotlib as mpl
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg

from .checks import _fail
from .figchecks import _axes, bars


def _laid_out(ax: Axes) -> Axes:
    """Lay the figure out (ticks, labels, limits) as when it is drawn; works on a figure
    that was already shown and closed."""
    fig = ax.get_figure(root=True)
    assert fig is not None, "an Axes drawn by pyplot or Figure.add_subplot belongs to a figure"
    if not hasattr(fig.canvas, "get_renderer"):
        FigureCanvasAgg(fig)
    fig.draw_without_rendering()
    return ax


def _ticks(ax: Axes, axis: str) -> list[tuple[float, str]]:
    """(data position, label) of the labelled ticks of ``axis``."""
    getter = ax.get_xticks if axis == "x" else ax.get_yticks
    labels = ax.get_xticklabels() if axis == "x" else ax.get_yticklabels()
    return [(float(p), t.get_text()) for p, t in zip(getter(), labels) if t.get_text()]


def _screen(ax: Axes, axis: str, values) -> np.ndarray:
    """Screen coordinate along ``axis`` (x: left to right; y: top to bottom) of data values."""
    values = np.asarray(values, dtype=float)
    if axis == "x":
        return ax.transData.transform(np.c_[values, np.zeros_like(values)])[:, 0]
    return -ax.transData.transform(np.c_[np.zeros_like(values), values])[:, 1]


def _legend_colours(ax: Axes) -> dict[str, tuple]:
    """Legend entry text -> RGB of its handle (patch face or line colour)."""
    legend = ax.get_legend()
    if legend is None:
        return {}
    out = {}
    for text, handle in zip(legend.get_texts(), cast(list[Any], legend.legend_handles)):
        if handle is None:
            continue
        colour = handle.get_facecolor() if hasattr(handle, "get_facecolor") else handle.get_color()
        colour = np.asarray(colour, dtype=float).reshape(-1, 4)[0] if np.ndim(colour) else colour
        out[text.get_text()] = tuple(np.round(mpl.colors.to_rgb(colour), 3))
    return out


def bar_table(ax) -> pd.DataFrame:
    """One row per visible bar of ``ax``: ``category`` (the tick label it sits on),
    ``hue`` (legend entry of its colour, or None), ``value`` (its height, or length for
    horizontal bars), ``screen`` (position along the category axis as read on screen:
    left to right, or top to bottom) and ``orient`` ("v" or "h")."""
    ax = _laid_out(_axes("bars", ax))
    found = bars(ax)
    if not found:
        return pd.DataFrame(columns=["category", "hue", "value", "screen", "orient"])
    from_y0 = all(abs(p.get_y()) < 1e-9 for p in found)
    from_x0 = all(abs(p.get_x()) < 1e-9 for p in found)
    vertical = from_y0 if from_y0 != from_x0 else len({round(p.get_width(), 9) for p in found}) == 1
    axis = "x" if vertical else "y"
    centres = [p.get_x() + p.get_width() / 2 if vertical else p.get_y() + p.get_height() / 2 for p in found]
    ticks = _ticks(ax, axis)
    colours = {v: k for k, v in _legend_colours(ax).items()}
    rows = []
    for patch, centre in zip(found, centres):
        category = min(ticks, key=lambda t: abs(t[0] - centre))[1] if ticks else None
        rgb = tuple(np.round(mpl.colors.to_rgb(patch.get_facecolor()), 3))
        rows.append({"category": category, "hue": colours.get(rgb), "centre": centre,
                     "value": float(patch.get_height() if vertical else patch.get_width()),
                     "orient": "v" if vertical else "h"})
    table = pd.DataFrame(rows)
    table["screen"] = _screen(ax, axis, table.pop("centre"))
    return table.sort_values("screen", kind="stable").reset_index(drop=True)


def check_bars(name: str, ax, expected: pd.Series, orient: str | None = None, ordered: bool = True,
               atol: float = 1e-6, hint: str | None = None) -> None:
    """Pass when the bars show ``expected``: one bar per entry with that height (or
    length), on the category named by the index (a 2-level index: category, hue level).
    ``ordered``: the categories must appear on screen in the order of ``expected``
    (left to right, or top to bottom for horizontal bars). ``orient``: "v" or "h"."""
    if not isinstance(expected, pd.Series):
        raise TypeError(f"expected must be a pandas Series of bar values, got {type(expected).__name__}")
    if orient not in (None, "v", "h"):
        raise ValueError(f"orient must be None, 'v' or 'h', got {orient!r}")
    table = bar_table(ax)
    if table.empty:
        _fail(name, "no bars found", hint or "draw bars with ax.bar/ax.barh or a seaborn bar/count plot")
    if orient is not None and set(table["orient"]) != {orient}:
        found = "vertical" if table["orient"].iloc[0] == "v" else "horizontal"
        _fail(name, f"the bars are {found}, expected {'vertical' if orient == 'v' else 'horizontal'}",
              hint or ("ax.barh(...) or y= for horizontal bars" if orient == "h" else "ax.bar(...)"))
    two_level = isinstance(expected.index, pd.MultiIndex)
    want = {tuple(map(str, k)) if two_level else (str(k),): float(v) for k, v in expected.items()}
    got: dict[tuple, float] = {}
    for row in table.itertuples():
        key: tuple[str, ...] = (str(row.category), str(row.hue)) if two_level else (str(row.category),)
        got[key] = got.get(key, 0.0) + row.value
    if len(table) != len(want):
        _fail(name, f"{len(table)} bars, expected {len(want)}", hint or "one bar per category (and hue level)")
    for key, value in want.items():
        label = " / ".join(key)
        if key not in got:
            _fail(name, f"no bar for {label!r}; bars found for {sorted(' / '.join(k) for k in got)}", hint)
        if not np.isclose(got[key], value, atol=atol, rtol=1e-6):
            _fail(name, f"bar {label!r} is {got[key]:g}, expected {value:g}",
                  hint or "plot the values asked for (counts: countplot or value_counts)")
    if ordered:
        order = list(dict.fromkeys(str(k[0] if two_level else k) for k in expected.index))
        seen = list(dict.fromkeys(table["category"].astype(str)))
        if seen != order:
            where = "left to right" if table["orient"].iloc[0] == "v" else "top to bottom"
            _fail(name, f"categories read {seen} {where}, expected {order}",
                  hint or "order=[...] in seaborn, or sort the data (barh draws the first value at the bottom; "
                          "ax.invert_yaxis() flips it)")
    print(f"[ok] {name}: {len(table)} bars match the expected values" + (" and order" if ordered else ""))


def _mesh(name: str, ax: Axes, hint: str | None):
    meshes = [c for c in ax.collections if isinstance(c, mpl.collections.QuadMesh)]
    if not meshes:
        _fail(name, "the axes has no heatmap (no QuadMesh)", hint or "sns.heatmap(..., ax=ax)")
    return meshes[0]


def check_heatmap(name: str, ax, expected: pd.DataFrame, fmt: str | None = ".2f",
                  clim: tuple[float, float] | None = (-1.0, 1.0), diverging: bool = True,
                  atol: float = 1e-6, hint: str | None = None) -> None:
    """Pass when the visible (unmasked) cells hold ``expected``'s values, the cells
    with text show them formatted with ``fmt`` (None: no text asked for), the colour
    range is ``clim`` and, with ``diverging``, the colour map is diverging (its middle
    is lighter or darker than both ends) so the centre of ``clim`` reads as neutral."""
    if not isinstance(expected, pd.DataFrame):
        raise TypeError(f"expected must be a DataFrame (the table drawn), got {type(expected).__name__}")
    ax = _laid_out(_axes(name, ax, hint))
    mesh = _mesh(name, ax, hint)
    arr = mesh.get_array()
    rows, cols = expected.shape
    if np.size(arr) != rows * cols:
        _fail(name, f"heatmap has {np.size(arr)} cells, expected {rows} x {cols}", hint)
    values = np.ma.asarray(arr).reshape(rows, cols)
    shown = ~np.ma.getmaskarray(values)
    diff = np.abs(np.ma.filled(values, np.nan) - expected.to_numpy(float))[shown]
    if diff.size and np.nanmax(diff) > atol:
        i = int(np.nanargmax(np.where(shown, np.abs(np.ma.filled(values, np.nan) - expected.to_numpy(float)), -1)))
        r, c = divmod(i, cols)
        _fail(name, f"cell ({expected.index[r]}, {expected.columns[c]}) is {float(values[r, c]):.3f}, "
                    f"expected {expected.iat[r, c]:.3f}", hint or "draw the table asked for (df.corr())")
    if fmt is not None:
        texts = sorted(t.get_text() for t in ax.texts if t.get_text())
        want = sorted(format(float(v), fmt) for v in expected.to_numpy()[shown])
        if texts != want:
            _fail(name, f"cell texts {texts[:4]}{'...' if len(texts) > 4 else ''}, expected {want[:4]}"
                        f"{'...' if len(want) > 4 else ''} ({len(want)} values)",
                  hint or f"annot=True, fmt={fmt!r}")
    if clim is not None and not np.allclose(mesh.get_clim(), clim):
        _fail(name, f"colour range {tuple(round(float(v), 3) for v in mesh.get_clim())}, expected {clim}",
              hint or f"vmin={clim[0]:g}, vmax={clim[1]:g}")
    if diverging:
        lum = [0.2126 * r + 0.7152 * g + 0.0722 * b for r, g, b, _ in mesh.cmap([0.0, 0.5, 1.0])]
        if min(lum[0], lum[2]) <= lum[1] <= max(lum[0], lum[2]):
            _fail(name, f"colour map {mesh.cmap.name!r} is not diverging (its middle is neither lighter nor "
                        "darker than both ends)", hint or "cmap='coolwarm' (or 'vlag', 'RdBu_r') with center=0")
    print(f"[ok] {name}: {int(shown.sum())} visible cells match the table"
          + (f", texts formatted {fmt!r}" if fmt else "") + (", diverging colours" if diverging else ""))


def check_facet_hist(name: str, grid, data: pd.DataFrame, x: str, col: str | None = None,
                     row: str | None = None, hint: str | None = None) -> None:
    """Pass when a seaborn grid has one facet per level of ``col``/``row`` (``g.col_names``,
    ``g.row_names``), ``x`` on its x axis, and each facet's histogram covers exactly the
    values of ``x`` in its subset of ``data`` (its first and last bars hold that
    subset's minimum and maximum)."""
    for arg, value in (("x", x), ("col", col), ("row", row)):
        if value is not None and value not in data.columns:
            raise KeyError(f"{arg}={value!r} is not a column of data; columns: {list(data.columns)}")
    if grid is None or not hasattr(grid, "col_names"):
        _fail(name, f"expected a seaborn FacetGrid (what displot returns), got {type(grid).__name__}", hint)
    for arg, var, names in (("col", col, grid.col_names), ("row", row, grid.row_names)):
        want = sorted(map(str, data[var].dropna().unique())) if var else []
        if sorted(map(str, names)) != want:
            _fail(name, f"{arg} facets are {list(names)}, expected the levels of {var!r}: {want}",
                  hint or f"{arg}={var!r}")
    axes = np.asarray(grid.axes).reshape(max(len(grid.row_names), 1), max(len(grid.col_names), 1))
    xlabel = axes[-1, 0].get_xlabel()
    if x not in xlabel:
        _fail(name, f"x axis shows {xlabel!r}, expected {x!r}", hint or f"x={x!r}")
    for i, rname in enumerate(grid.row_names or [None]):
        for j, cname in enumerate(grid.col_names or [None]):
            subset = data
            if row:
                subset = subset[subset[row].astype(str) == str(rname)]
            if col:
                subset = subset[subset[col].astype(str) == str(cname)]
            vals = subset[x].dropna()
            found = sorted(bars(axes[i, j]), key=lambda p: p.get_x())
            label = " / ".join(str(v) for v in (rname, cname) if v is not None)
            if not found:
                _fail(name, f"facet {label!r} has no bars", hint or "kind='hist' (the default of displot)")
            lo, hi = found[0].get_x(), found[-1].get_x() + found[-1].get_width()
            first_ok = found[0].get_x() <= vals.min() <= found[0].get_x() + found[0].get_width()
            last_ok = found[-1].get_x() <= vals.max() <= hi
            if not (first_ok and last_ok):
                _fail(name, f"facet {label!r}: bars span {lo:g}..{hi:g}, expected the {x} values of that "
                            f"subset, {vals.min():g}..{vals.max():g}", hint)
    print(f"[ok] {name}: facets {list(grid.row_names)} x {list(grid.col_names)}, each shows its subset of {x!r}")


def check_split_violins(name: str, ax, data: pd.DataFrame, x: str, y: str, hue: str,
                        quartiles: bool = True, hint: str | None = None) -> None:
    """Pass when every violin is split: one half per ``hue`` level on each side of its
    category (the flat edge on the category centre), and, with ``quartiles``, each half
    holds three dashed lines at the 25th, 50th and 75th percentile of its subset."""
    for arg, value in (("x", x), ("y", y), ("hue", hue)):
        if value not in data.columns:
            raise KeyError(f"{arg}={value!r} is not a column of data; columns: {list(data.columns)}")
    ax = _laid_out(_axes(name, ax, hint))
    ticks = _ticks(ax, "x")
    bodies = [c for c in ax.collections if isinstance(c, mpl.collections.PolyCollection)
              and not isinstance(c, mpl.collections.QuadMesh) and len(c.get_paths())]
    n_want = data[x].nunique() * data[hue].nunique()
    if len(bodies) != n_want:
        _fail(name, f"{len(bodies)} violin bodies, expected {n_want} halves ({data[x].nunique()} categories x "
                    f"{data[hue].nunique()} {hue} levels)", hint or f"hue={hue!r}, split=True")
    colours = {v: k for k, v in _legend_colours(ax).items()}
    dashed = [ln for ln in ax.get_lines() if ln.get_linestyle() not in ("-", "None", "none", " ", "")]
    for body in bodies:
        verts = np.asarray(body.get_paths()[0].vertices)
        centre, category = min(ticks, key=lambda t: abs(t[0] - verts[:, 0].mean()))
        on_edge = np.isclose(verts[:, 0], centre, atol=1e-9)
        side = np.sign(verts[:, 0].mean() - centre)
        if on_edge.mean() < 0.2 or np.any((verts[:, 0] - centre) * side < -1e-9):
            _fail(name, f"the violin at {category!r} is not cut at the category centre: found whole violins",
                  hint or f"split=True draws one half per {hue} level")
        level = colours.get(tuple(np.round(mpl.colors.to_rgb(np.asarray(body.get_facecolor())[0]), 3)))
        if level is None:
            _fail(name, "the halves' colours do not match legend entries", hint or f"hue={hue!r} with its legend")
        if not quartiles:
            continue
        lo, hi = sorted([centre, centre + side * np.abs(verts[:, 0] - centre).max()])
        mine = sorted(float(ln.get_ydata()[0]) for ln in dashed
                      if np.all(np.asarray(ln.get_xdata()) >= lo - 1e-9)
                      and np.all(np.asarray(ln.get_xdata()) <= hi + 1e-9))
        subset = data[(data[x].astype(str) == category) & (data[hue].astype(str) == level)][y].dropna()
        want = np.percentile(subset, [25, 50, 75])
        if len(mine) != 3 or not np.allclose(mine, want, atol=1e-6 * max(1.0, float(np.abs(want).max()))):
            _fail(name, f"half {category!r} / {level!r}: dashed lines at {np.round(mine, 2).tolist()}, expected "
                        f"the quartiles {np.round(want, 2).tolist()}", hint or "inner='quart'")
    print(f"[ok] {name}: {len(bodies)} half violins, one per {hue} on each side"
          + (", quartile lines at the right heights" if quartiles else ""))


def check_curve(name: str, ax, func: Callable[[np.ndarray], np.ndarray], x_range: tuple[float, float],
                rtol: float = 1e-6, atol: float = 1e-6, hint: str | None = None) -> None:
    """Pass when some line of the axes follows ``y = func(x)`` at every point and covers
    ``x_range`` with at least 20 points (for polar axes x is theta, y is r)."""
    ax = _axes(name, ax, hint)
    lo, hi = x_range
    best = "no lines"
    for ln in ax.get_lines():
        xs, ys = np.asarray(ln.get_xdata(), float), np.asarray(ln.get_ydata(), float)
        if len(xs) < 20:
            best = f"a line of only {len(xs)} points"
            continue
        if not np.allclose(ys, func(xs), rtol=rtol, atol=atol):
            best = f"a line whose values differ from the curve by up to {np.max(np.abs(ys - func(xs))):.3g}"
            continue
        if xs.min() > lo + 1e-6 or xs.max() < hi - 1e-6:
            best = f"the curve over {xs.min():.3g}..{xs.max():.3g} only, expected {lo:.3g}..{hi:.3g}"
            continue
        print(f"[ok] {name}: a line of {len(xs)} points follows the curve over {lo:.3g}..{hi:.3g}")
        return
    _fail(name, f"no line follows the expected curve; found {best}", hint)


def _norm_label(text: str) -> str:
    text = text.split("(")[0].replace("_", " ").lower()
    return " ".join(w for w in text.split() if w not in ("mm", "cm", "g"))


def check_radar(name: str, ax, expected: pd.DataFrame, rmin: float | None = 0.0, atol: float = 1e-6,
                hint: str | None = None) -> None:
    """Pass when a polar axes shows one closed, filled polygon per row of ``expected``
    (its line labelled with the row name), whose point on each spoke equals that row's
    value for the feature named by the spoke label; with ``rmin``, the centre of the
    chart is that value (0 for values on a 0..1 scale)."""
    if not isinstance(expected, pd.DataFrame):
        raise TypeError("expected must be a DataFrame (rows: series, columns: features), "
                        f"got {type(expected).__name__}")
    ax = _laid_out(_axes(name, ax, hint))
    if ax.name != "polar":
        _fail(name, f"the axes is {ax.name!r}, not polar", hint or "subplot_kw={'projection': 'polar'}")
    spokes = [(float(p) % (2 * np.pi), t.get_text()) for p, t in zip(ax.get_xticks(), ax.get_xticklabels())
              if t.get_text()]
    features = {}
    for angle, text in spokes:
        match = [c for c in expected.columns if _norm_label(text) and
                 (_norm_label(text) in _norm_label(str(c)) or _norm_label(str(c)) in _norm_label(text))]
        if len(match) != 1:
            _fail(name, f"spoke label {text!r} does not name one of the features {list(expected.columns)}",
                  hint or "ax.set_thetagrids(np.degrees(angles), feature_names)")
        features[round(angle, 6)] = match[0]
    if sorted(map(str, features.values())) != sorted(map(str, expected.columns)):
        _fail(name, f"spokes name {sorted(map(str, features.values()))}, expected {sorted(map(str, expected.columns))}",
              hint)
    lines = {ln.get_label(): ln for ln in ax.get_lines()}
    for series, row in expected.iterrows():
        line = lines.get(str(series))
        if line is None:
            _fail(name, f"no line labelled {str(series)!r}; lines: {sorted(k for k in lines if not k.startswith('_'))}",
                  hint or "ax.plot(angles, values, label=name)")
        th, r = np.asarray(line.get_xdata(), float), np.asarray(line.get_ydata(), float)
        if len(th) != len(row) + 1 or not np.isclose(r[0], r[-1]):
            _fail(name, f"the polygon of {str(series)!r} is not closed ({len(th)} points, expected {len(row) + 1})",
                  hint or "repeat the first angle and value at the end")
        for angle, value in zip(th[:-1] % (2 * np.pi), r[:-1]):
            feature = features.get(round(angle, 6))
            if feature is None:
                _fail(name, f"a point of {str(series)!r} is at {np.degrees(angle):.1f} degrees, where no spoke is",
                      hint or "use the same angles for the points and set_thetagrids")
            if not np.isclose(value, row[feature], atol=atol):
                _fail(name, f"{str(series)!r} on spoke {feature!r} is {value:.3f}, expected {row[feature]:.3f}", hint)
    polys = [p for p in ax.patches if isinstance(p, mpl.patches.Polygon)]
    if len(polys) < len(expected):
        _fail(name, f"{len(polys)} filled polygons, expected {len(expected)}",
              hint or "ax.fill(angles, values, alpha=0.2)")
    if rmin is not None and not np.isclose(ax.get_rmin(), rmin):
        _fail(name, f"the centre of the chart is r = {ax.get_rmin():.3g}, expected {rmin:g}",
              hint or f"ax.set_rmin({rmin:g}): the centre must mean {rmin:g}, or polygon sizes mislead")
    print(f"[ok] {name}: {len(expected)} closed, filled polygons with the expected value on every spoke")


def check_wedges(name: str, ax, expected: pd.Series, atol_deg: float = 0.05, hint: str | None = None) -> None:
    """Pass when the pie's wedges are labelled with ``expected``'s index and each spans
    360 degrees times that entry's share of the total."""
    if not isinstance(expected, pd.Series):
        raise TypeError(f"expected must be a pandas Series of counts, got {type(expected).__name__}")
    ax = _axes(name, ax, hint)
    wedges = [p for p in ax.patches if isinstance(p, mpl.patches.Wedge)]
    if len(wedges) != len(expected):
        _fail(name, f"{len(wedges)} wedges, expected {len(expected)}", hint or "ax.pie(counts, labels=names)")
    shares = expected / expected.sum() * 360.0
    found = {str(w.get_label()): (w.theta2 - w.theta1) % 360 or 360.0 for w in wedges}
    missing = [str(k) for k in expected.index if str(k) not in found]
    if missing:
        _fail(name, f"wedges are labelled {sorted(found)}, expected {sorted(map(str, expected.index))}",
              hint or "labels= with the category names")
    for key, angle in shares.items():
        if abs(found[str(key)] - angle) > atol_deg:
            _fail(name, f"wedge {str(key)!r} spans {found[str(key)]:.1f} degrees, expected {angle:.1f} "
                        f"({expected[key] / expected.sum():.1%} of the total)", hint or "pie the counts asked for")
    print(f"[ok] {name}: {len(wedges)} wedges, each angle matches its share")
