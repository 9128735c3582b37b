"""Exercise checks of the marks drawn over a chart or an image: labelled lines against
their series, rectangles and their labels over an image, names written beside line ends,
and plotly traces against the subsets of the table they came from.

Each check prints ``[ok] name: ...`` or raises ``AssertionError`` with what was expected,
what was found and a hint, like ``figchecks`` and ``figdata``. Introduced in
13_interactive_and_themes.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib as mpl
import matplotlib.dates as mdates
import numpy as np
import pandas as pd

from .checks import _fail
from .figchecks import _axes
from .figdata import _laid_out


def check_lines(name: str, ax, expected: Mapping[str, pd.Series], hint: str | None = None) -> None:
    """Pass when the axes has exactly one labelled line per entry of ``expected``, whose
    points are that series' (index, value) pairs (missing values dropped)."""
    ax = _axes(name, ax, hint)
    lines = {ln.get_label(): ln for ln in ax.get_lines() if not ln.get_label().startswith("_")}
    if sorted(lines) != sorted(expected):
        _fail(name, f"labelled lines {sorted(lines)}, expected {sorted(expected)}",
              hint or "one ax.plot(..., label=name) per series")
    for label, series in expected.items():
        s = series.dropna()
        ys = np.asarray(lines[label].get_ydata(), float)
        ys = ys[np.isfinite(ys)]
        if len(ys) != len(s) or not np.allclose(ys, s.to_numpy(float)):
            _fail(name, f"line {label!r} does not show the {label} values ({len(ys)} points, expected {len(s)})",
                  hint or "plot that column against the index")
    print(f"[ok] {name}: lines {sorted(lines)} show their series")


def check_boxes(name: str, ax, boxes, labels: Sequence[str], max_gap_px: float = 12.0,
                hint: str | None = None) -> None:
    """Pass when the axes holds one unfilled rectangle per ``(x1, y1, x2, y2)`` box,
    edges at ``x1 - 0.5``/``y1 - 0.5`` and size ``(x2 - x1, y2 - y1)`` (image pixels),
    and each label is written next to its box (within ``max_gap_px`` screen pixels)."""
    boxes = np.asarray(boxes, dtype=float).reshape(-1, 4)
    if len(labels) != len(boxes):
        raise ValueError(f"got {len(boxes)} boxes but {len(labels)} labels")
    ax = _laid_out(_axes(name, ax, hint))
    rects = [p for p in ax.patches if type(p) is mpl.patches.Rectangle]
    if len(rects) != len(boxes):
        _fail(name, f"{len(rects)} rectangles, expected {len(boxes)}", hint or "ax.add_patch(plt.Rectangle(...))")
    got = sorted((r.get_x(), r.get_y(), r.get_width(), r.get_height()) for r in rects)
    want = sorted((x1 - 0.5, y1 - 0.5, x2 - x1, y2 - y1) for x1, y1, x2, y2 in boxes)
    for g, w in zip(got, want):
        if not np.allclose(g, w, atol=1e-6):
            _fail(name, f"a rectangle is (x, y, width, height) = {tuple(round(v, 1) for v in g)}, expected "
                        f"{tuple(round(v, 1) for v in w)}",
                  hint or "Rectangle((x1 - 0.5, y1 - 0.5), x2 - x1, y2 - y1): width and height, not x2 and y2")
    if any(r.get_fill() for r in rects):
        _fail(name, "a rectangle is filled and hides the object", hint or "fill=False")
    renderer = ax.get_figure(root=True).canvas.get_renderer()
    texts = [t for t in ax.texts if t.get_text().strip()]
    for (x1, y1, x2, y2), label in zip(boxes, labels):
        mine = [t for t in texts if t.get_text().strip() == label]
        corners = ax.transData.transform([[x1 - 0.5, y1 - 0.5], [x2 - 0.5, y2 - 0.5]])
        bx0, by0 = corners.min(axis=0) - max_gap_px
        bx1, by1 = corners.max(axis=0) + max_gap_px
        near = [t for t in mine if (lambda b: b.x1 >= bx0 and b.x0 <= bx1 and b.y1 >= by0 and b.y0 <= by1)(
            t.get_window_extent(renderer))]
        if not near:
            where = [tuple(np.round(t.get_position(), 1)) for t in mine]
            _fail(name, f"label {label!r} is not next to its box ({x1:g}, {y1:g}, {x2:g}, {y2:g}); "
                        f"found it at {where or 'nowhere'}", hint or "ax.text(x1 - 0.5, y1 - 2, name)")
    print(f"[ok] {name}: {len(boxes)} rectangles of the right size, each labelled beside its box")


def check_end_labels(name: str, ax, ends: pd.Series, max_gap: float, hint: str | None = None) -> None:
    """Pass when each index entry of ``ends`` (a line's name -> its last y value) is
    written once, right of the plotted data, at most ``max_gap`` (data units) above or
    below that last value."""
    ax = _axes(name, ax, hint)
    texts = {t.get_text().strip(): t for t in ax.texts if t.get_text().strip()}
    if sorted(texts) != sorted(map(str, ends.index)):
        _fail(name, f"texts {sorted(texts)}, expected the names {sorted(map(str, ends.index))}",
              hint or "one ax.text(x, y, name) per line")
    x_end = max(np.max(mdates.date2num(ln.get_xdata())) if np.issubdtype(np.asarray(ln.get_xdata()).dtype,
                np.datetime64) else np.max(np.asarray(ln.get_xdata(), float)) for ln in ax.get_lines())
    for label, last in ends.items():
        t = texts[str(label)]
        x, y = t.xy if isinstance(t, mpl.text.Annotation) and t.anncoords != "data" else t.get_position()
        x = mdates.date2num(x) if not isinstance(x, (int, float, np.floating)) else x
        if x < x_end:
            _fail(name, f"{label!r} is written at x = {mdates.num2date(x):%Y-%m-%d}, left of the last point",
                  hint or "x just right of the last date, e.g. wide.index[-1] + pd.Timedelta(days=30)")
        if abs(y - last) > max_gap:
            _fail(name, f"{label!r} is written at y = {y:.1f}, {abs(y - last):.1f} from its line's end "
                        f"{last:.1f}; expected within {max_gap:g}", hint or "y from charts.spread_labels(ends)")
    print(f"[ok] {name}: {len(ends)} names right of the lines, each near its line's end")


def check_plotly_facets(name: str, fig, data: pd.DataFrame, x: str, color: str, facet_col: str,
                        hint: str | None = None) -> None:
    """Pass when a plotly figure has one trace per (``color`` level, ``facet_col``
    level) holding exactly that subset's ``x`` values, and facet titles naming
    ``facet_col=level`` (what ``px.histogram(..., color=, facet_col=)`` draws)."""
    for arg, value in (("x", x), ("color", color), ("facet_col", facet_col)):
        if value not in data.columns:
            raise KeyError(f"{arg}={value!r} is not a column of data; columns: {list(data.columns)}")
    if fig is None or not hasattr(fig, "data") or not hasattr(fig, "layout"):
        _fail(name, f"expected a plotly Figure, got {type(fig).__name__}", hint)
    titles = {a.text.split("=", 1)[-1]: a for a in fig.layout.annotations if a.text and "=" in a.text}
    heads = sorted(a.text.split("=", 1)[0] for a in fig.layout.annotations if a.text and "=" in a.text)
    want_levels = sorted(map(str, data[facet_col].dropna().unique()))
    if sorted(titles) != want_levels or set(heads) != {facet_col}:
        _fail(name, f"facet titles {sorted(a.text for a in fig.layout.annotations)}, expected "
                    f"{[f'{facet_col}={v}' for v in want_levels]}", hint or f"facet_col={facet_col!r}")
    axis_level = {}
    for level, ann in titles.items():               # each title sits above its x axis
        ref = ann.xref if ann.xref and ann.xref != "paper" else None
        centre = ann.x
        for key in fig.layout.to_plotly_json():
            if key.startswith("xaxis"):
                lo, hi = fig.layout[key].domain
                if ref is None and lo <= centre <= hi:
                    axis_level["x" + key[5:]] = level
    n_want = data[color].nunique() * len(want_levels)
    if len(fig.data) != n_want:
        _fail(name, f"{len(fig.data)} traces, expected {n_want} (one per {color} level and facet)",
              hint or f"color={color!r}")
    for trace in fig.data:
        level = axis_level.get(trace.xaxis or "x")
        subset = data[(data[color].astype(str) == str(trace.name)) & (data[facet_col].astype(str) == str(level))]
        got = np.sort(np.asarray(trace.x if trace.x is not None else [], dtype=float))
        want = np.sort(subset[x].dropna().to_numpy(float))
        if len(got) != len(want) or not np.allclose(got, want):
            _fail(name, f"trace {trace.name!r} in facet {level!r} holds {len(got)} values that are not the "
                        f"{x} of that subset ({len(want)} rows)", hint or f"x={x!r}, color={color!r}")
    print(f"[ok] {name}: {len(fig.data)} traces, each the {x} of its {color} level and {facet_col} facet")
