"""Exercise checks that inspect the figure a learner made, in the spirit of Kaggle
Learn's checks: they look at what was drawn (bars, wedges, lines, collections, labels,
limits, masked heatmap cells, plotly traces), never at pixels.

Every check takes a short ``name``, the thing to inspect (an ``Axes``, a ``Figure``, a
seaborn ``FacetGrid``/``PairGrid``/``JointGrid`` or a plotly figure) and what is
expected; it prints one line ``[ok] name: ...`` or raises ``AssertionError`` with a
hint, like ``course_utils.checks``::

    figchecks.check_bar_count("species counts", ax, 3)

Introduced in 11_seaborn; used in 12_polar_pie_and_more and 13_interactive_and_themes.
"""
from __future__ import annotations

from collections.abc import Sequence

import matplotlib as mpl
import numpy as np
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.container import BarContainer
from matplotlib.figure import Figure

from ._validate import check_int, check_number, check_str_list, describe
from .checks import _fail


def _axes(name: str, obj, hint: str | None = None) -> Axes:
    """The axes to inspect: an Axes itself, a Figure's first axes, a grid's single axes
    (``JointGrid``: its joint axes)."""
    if obj is None:
        _fail(name, "got None: make the figure and keep its axes (ax = ...)", hint)
    if isinstance(obj, Axes):
        return obj
    if isinstance(obj, Figure):
        if not obj.axes:
            _fail(name, "the figure has no axes: nothing was drawn", hint)
        return obj.axes[0]
    if hasattr(obj, "ax_joint"):
        return obj.ax_joint
    if hasattr(obj, "axes") and hasattr(obj, "figure"):          # FacetGrid / PairGrid
        flat = np.asarray(obj.axes).ravel()
        if len(flat) != 1:
            _fail(name, f"the grid has {len(flat)} axes; pass one of them (grid.axes[i, j])", hint)
        return flat[0]
    _fail(name, f"expected a matplotlib Axes, Figure or seaborn grid, got {type(obj).__name__}", hint)


def _figure(name: str, obj, hint: str | None = None) -> Figure:
    if isinstance(obj, Figure):
        return obj
    if hasattr(obj, "figure") and isinstance(obj.figure, Figure):   # Axes and seaborn grids
        return obj.figure
    _fail(name, f"fig must be a matplotlib Figure, Axes or seaborn grid, got {type(obj).__name__}", hint)


def _count(name: str, what: str, got: int, expected: int, hint: str | None) -> None:
    check_int("expected", expected, low=0)
    if got != expected:
        _fail(name, f"{got} {what}, expected {expected}", hint)
    print(f"[ok] {name}: {got} {what}")


def bars(ax: Axes) -> list[mpl.patches.Rectangle]:
    """The visible bars of ``ax``: rectangles of its bar containers (``ax.bar``,
    ``ax.barh``, seaborn's countplot/barplot/histplot), or every rectangle patch when
    there is no container; zero-size and NaN bars are left out."""
    if not isinstance(ax, Axes):
        raise TypeError(f"ax must be a matplotlib Axes, got {describe(ax)}")
    patches = [p for c in ax.containers if isinstance(c, BarContainer) for p in c.patches]
    if not patches:
        patches = [p for p in ax.patches if type(p) is mpl.patches.Rectangle]
    return [p for p in patches
            if np.isfinite(p.get_height()) and p.get_height() != 0 and p.get_width() != 0]


def check_bar_count(name: str, ax, expected: int, hint: str | None = None) -> None:
    """Pass when the axes shows exactly ``expected`` bars (see ``bars``)."""
    ax = _axes(name, ax, hint)
    _count(name, "bars", len(bars(ax)), expected,
           hint or "one bar per category (and per hue level); check x=/y= and hue=")


def check_patch_count(name: str, ax, expected: int, kind: str = "Wedge",
                      hint: str | None = None) -> None:
    """Pass when the axes holds ``expected`` patches of class ``kind`` (``"Wedge"`` for
    pie slices, ``"Rectangle"`` for boxes drawn with ``add_patch``, ``"Polygon"``, ...)."""
    ax = _axes(name, ax, hint)
    cls = getattr(mpl.patches, kind, None)
    if not (isinstance(cls, type) and issubclass(cls, mpl.patches.Patch)):
        raise ValueError(f"kind must name a class in matplotlib.patches, got {kind!r}")
    got = sum(1 for p in ax.patches if type(p) is cls)
    _count(name, f"{kind} patches", got, expected, hint)


def check_axis_labels(name: str, ax, xlabel: str | None = None, ylabel: str | None = None,
                      hint: str | None = None) -> None:
    """Pass when both axis labels are set; when ``xlabel``/``ylabel`` are given, they
    must also appear in the labels (case-insensitive)."""
    ax = _axes(name, ax, hint)
    for arg, want in (("xlabel", xlabel), ("ylabel", ylabel)):
        if want is not None and not isinstance(want, str):
            raise TypeError(f"{arg} must be a str or None, got {describe(want)}")
    for axis, got, want in (("x", ax.get_xlabel(), xlabel), ("y", ax.get_ylabel(), ylabel)):
        if not got.strip():
            _fail(name, f"the {axis} axis has no label", hint or f"ax.set_{axis}label('...')")
        if want is not None and want.lower() not in got.lower():
            _fail(name, f"{axis} label is {got!r}, expected it to mention {want!r}",
                  hint or f"ax.set_{axis}label({want!r})")
    print(f"[ok] {name}: x label {ax.get_xlabel()!r}, y label {ax.get_ylabel()!r}")


def check_title(name: str, ax, contains: str | None = None, hint: str | None = None) -> None:
    """Pass when the axes has a title (mentioning ``contains`` when given)."""
    ax = _axes(name, ax, hint)
    if contains is not None and not isinstance(contains, str):
        raise TypeError(f"contains must be a str or None, got {describe(contains)}")
    title = " ".join(ax.get_title(loc) for loc in ("left", "center", "right")).strip()
    if not title:
        _fail(name, "the axes has no title", hint or "ax.set_title('...')")
    if contains is not None and contains.lower() not in title.lower():
        _fail(name, f"title {title!r} does not mention {contains!r}", hint)
    print(f"[ok] {name}: title {title!r}")


def check_line_count(name: str, ax, expected: int, labelled_only: bool = False,
                     hint: str | None = None) -> None:
    """Pass when the axes holds ``expected`` lines (``labelled_only``: only lines with a
    legend label, i.e. not starting with ``_``)."""
    ax = _axes(name, ax, hint)
    lines = [ln for ln in ax.get_lines() if not (labelled_only and ln.get_label().startswith("_"))]
    _count(name, "labelled lines" if labelled_only else "lines", len(lines), expected, hint)


def check_closed_lines(name: str, ax, hint: str | None = None) -> None:
    """Pass when the axes has lines and each ends where it starts (a closed radar polygon)."""
    ax = _axes(name, ax, hint)
    lines = ax.get_lines()
    if not lines:
        _fail(name, "the axes has no lines", hint)
    for ln in lines:
        x, y = np.asarray(ln.get_xdata(), float), np.asarray(ln.get_ydata(), float)
        turns = (x[-1] - x[0]) / (2 * np.pi) if len(x) else 0.0   # a full turn also closes
        if len(x) < 2 or not (np.isclose(y[0], y[-1]) and np.isclose(turns, round(turns))):
            _fail(name, f"line {ln.get_label()!r} does not end where it starts",
                  hint or "append the first value (and angle) to the end to close the polygon")
    print(f"[ok] {name}: {len(lines)} closed lines")


def check_collection_count(name: str, ax, expected: int, kind: str | None = None,
                           hint: str | None = None) -> None:
    """Pass when the axes holds ``expected`` collections (of class ``kind`` or a subclass:
    ``"PathCollection"`` for scatter points, ``"PolyCollection"`` for violins and
    filled areas, ``"QuadMesh"`` for heatmaps)."""
    ax = _axes(name, ax, hint)
    cls = mpl.collections.Collection if kind is None else getattr(mpl.collections, kind, None)
    if not (isinstance(cls, type) and issubclass(cls, mpl.collections.Collection)):
        raise ValueError(f"kind must name a class in matplotlib.collections, got {kind!r}")
    got = [c for c in ax.collections if isinstance(c, cls)]
    _count(name, f"{kind or 'collection'}s", len(got), expected, hint)


def legend_labels(obj) -> list[str]:
    """Texts of every legend on the axes or figure (seaborn's figure-level legends too)."""
    if not isinstance(obj, (Axes, Figure)) and not (hasattr(obj, "axes") and hasattr(obj, "figure")):
        raise TypeError(f"obj must be a matplotlib Axes, Figure or seaborn grid, got {describe(obj)}")
    axes = [obj] if isinstance(obj, Axes) else list(np.asarray(getattr(obj, "axes", [])).ravel())
    fig = obj.figure if not isinstance(obj, Figure) else obj
    legends = [ax.get_legend() for ax in axes] + list(getattr(fig, "legends", []))
    return [t.get_text() for lg in legends if lg is not None for t in lg.get_texts()]


def check_legend_entries(name: str, obj, expected: Sequence[str], hint: str | None = None) -> None:
    """Pass when the legend(s) show exactly the entries ``expected`` (in any order)."""
    if obj is None:
        _fail(name, "got None: keep the axes or grid you drew", hint)
    expected = check_str_list("expected", expected)
    got = legend_labels(obj)
    if sorted(map(str, got)) != sorted(map(str, expected)):
        _fail(name, f"legend shows {got}, expected {list(expected)}",
              hint or "set hue= (or label= on each plot call) and call ax.legend()")
    print(f"[ok] {name}: legend {got}")


def check_polar_limits(name: str, ax, rmin: float | None = None, rmax: float | None = None,
                       thetamin: float | None = None, thetamax: float | None = None,
                       tol: float = 1e-6, hint: str | None = None) -> None:
    """Pass when ``ax`` is polar and its radius and angle limits (degrees) are as given."""
    for arg, value in (("rmin", rmin), ("rmax", rmax), ("thetamin", thetamin), ("thetamax", thetamax)):
        if value is not None:
            check_number(arg, value)
    check_number("tol", tol, low=0.0)
    ax = _axes(name, ax, hint)
    if ax.name != "polar":
        _fail(name, f"the axes is {ax.name!r}, not polar",
              hint or "plt.subplots(subplot_kw={'projection': 'polar'})")
    got = {"rmin": ax.get_rmin(), "rmax": ax.get_rmax(),
           "thetamin": ax.get_thetamin(), "thetamax": ax.get_thetamax()}
    want = {"rmin": rmin, "rmax": rmax, "thetamin": thetamin, "thetamax": thetamax}
    for key, value in want.items():
        if value is not None and abs(got[key] - value) > tol:
            _fail(name, f"{key} is {got[key]:g}, expected {value:g}", hint or f"ax.set_{key}({value:g})")
    shown = ", ".join(f"{k}={got[k]:g}" for k, v in want.items() if v is not None)
    print(f"[ok] {name}: polar axes, {shown or 'no limits asked'}")


def heatmap_mask(ax) -> np.ndarray:
    """Boolean ``(rows, cols)`` array: True where a seaborn/pcolormesh heatmap cell is masked."""
    if not isinstance(ax, Axes):
        raise TypeError(f"ax must be a matplotlib Axes, got {describe(ax)}")
    meshes = [c for c in ax.collections if isinstance(c, mpl.collections.QuadMesh)]
    if not meshes:
        raise ValueError("the axes has no heatmap (no QuadMesh collection)")
    arr = meshes[0].get_array()
    if arr is None:
        raise ValueError("the heatmap has no cell values (its QuadMesh holds no array)")
    nrows, ncols = (np.asarray(meshes[0].get_coordinates()).shape[:2])
    return np.ma.getmaskarray(arr).reshape(nrows - 1, ncols - 1)


def check_heatmap_mask(name: str, ax, expected, hint: str | None = None) -> None:
    """Pass when exactly the cells where ``expected`` is True are masked (hidden)."""
    ax = _axes(name, ax, hint)
    try:
        got = heatmap_mask(ax)
    except ValueError as err:
        _fail(name, str(err), hint or "draw it with sns.heatmap(..., mask=mask, ax=ax)")
    expected = np.asarray(expected, dtype=bool)
    if got.shape != expected.shape:
        _fail(name, f"heatmap has {got.shape} cells, expected {expected.shape}", hint)
    wrong = int((got != expected).sum())
    if wrong:
        _fail(name, f"{wrong} cells are masked differently from the expected mask "
                    f"({int(got.sum())} masked, expected {int(expected.sum())})", hint)
    print(f"[ok] {name}: {int(got.sum())} of {got.size} cells masked as expected")


def check_upper_triangle_masked(name: str, ax, include_diagonal: bool = True,
                                hint: str | None = None) -> None:
    """Pass when a square heatmap hides its upper triangle (and diagonal, by default)."""
    ax = _axes(name, ax, hint)
    try:
        n = heatmap_mask(ax).shape[0]
    except ValueError as err:
        _fail(name, str(err), hint or "draw it with sns.heatmap(..., mask=mask, ax=ax)")
    expected = np.triu(np.ones((n, n), dtype=bool), k=0 if include_diagonal else 1)
    check_heatmap_mask(name, ax, expected, hint=hint or (
        "mask = np.triu(np.ones_like(corr, dtype=bool)" + ("" if include_diagonal else ", k=1") + ")"))


def check_facets(name: str, grid, nrows: int, ncols: int, hint: str | None = None) -> None:
    """Pass when a seaborn figure-level grid has ``nrows`` x ``ncols`` facets."""
    check_int("nrows", nrows, low=1)
    check_int("ncols", ncols, low=1)
    if grid is None or not hasattr(grid, "axes"):
        _fail(name, f"expected a seaborn FacetGrid (what catplot/displot/relplot/lmplot return), "
                    f"got {type(grid).__name__}", hint)
    shape = np.asarray(grid.axes).shape
    shape = shape if len(shape) == 2 else (1, int(np.prod(shape)))
    if shape != (nrows, ncols):
        _fail(name, f"{shape[0]} x {shape[1]} facets, expected {nrows} x {ncols}",
              hint or "row= makes the rows and col= the columns of the grid")
    print(f"[ok] {name}: {nrows} x {ncols} facets")


def check_tick_labels(name: str, ax, axis: str, expected: Sequence[str], hint: str | None = None) -> None:
    """Pass when the ``axis`` ("x" or "y") tick labels read ``expected`` in order."""
    ax = _axes(name, ax, hint)
    if axis not in ("x", "y"):
        raise ValueError(f"axis must be 'x' or 'y', got {axis!r}")
    expected = check_str_list("expected", expected)
    got = [t.get_text() for t in getattr(ax, f"get_{axis}ticklabels")()]
    if got != list(expected):
        _fail(name, f"{axis} tick labels are {got}, expected {list(expected)}",
              hint or "order= (or hue_order=) fixes the order of categories")
    print(f"[ok] {name}: {axis} tick labels {got}")


def _luminance(colour) -> float:
    r, g, b = mpl.colors.to_rgb(colour)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def check_dark_background(name: str, fig, hint: str | None = None) -> None:
    """Pass when the figure and all its axes have dark backgrounds and light text."""
    fig = _figure(name, fig, hint)
    hint = hint or "make the figure inside `with charts.course_style(dark=True):`"
    backgrounds = [fig.get_facecolor()] + [ax.get_facecolor() for ax in fig.axes]
    if max(_luminance(c) for c in backgrounds) > 0.35:
        _fail(name, "a background is light (luminance above 0.35)", hint)
    labels = [t for ax in fig.axes for t in (ax.xaxis.label, ax.yaxis.label, ax.title) if t.get_text()]
    if any(_luminance(t.get_color()) < 0.5 for t in labels):
        _fail(name, "some label text is dark on the dark background", hint)
    print(f"[ok] {name}: dark background, light text")


def check_no_text_overlap(name: str, ax, min_texts: int = 2, hint: str | None = None) -> None:
    """Pass when the axes holds at least ``min_texts`` texts and no two of their
    bounding boxes (as drawn) overlap."""
    check_int("min_texts", min_texts, low=0)
    ax = _axes(name, ax, hint)
    texts = [t for t in ax.texts if t.get_text().strip() and t.get_visible()]
    if len(texts) < min_texts:
        _fail(name, f"{len(texts)} texts on the axes, expected at least {min_texts}",
              hint or "ax.text(...) or ax.annotate(...) for each label")
    fig = ax.get_figure(root=True)
    if not hasattr(fig.canvas, "get_renderer"):     # a figure already shown and closed
        FigureCanvasAgg(fig)
    fig.draw_without_rendering()                    # lays the figure out as when it is drawn
    renderer = fig.canvas.get_renderer()
    boxes = [t.get_window_extent(renderer) for t in texts]
    for i in range(len(boxes)):
        for j in range(i + 1, len(boxes)):
            if boxes[i].overlaps(boxes[j]):
                _fail(name, f"{texts[i].get_text()!r} overlaps {texts[j].get_text()!r}",
                      hint or "spread the positions apart, e.g. charts.spread_labels")
    print(f"[ok] {name}: {len(texts)} texts, none overlapping")


def check_plotly_figure(name: str, fig, n_traces: int | None = None, trace_type: str | None = None,
                        n_frames: int | None = None, n_facets: int | None = None,
                        hint: str | None = None) -> None:
    """Pass when a plotly figure has ``n_traces`` traces (all of ``trace_type`` when
    given, e.g. ``"scatter"``), ``n_frames`` animation frames and ``n_facets`` subplots."""
    for arg, value in (("n_traces", n_traces), ("n_frames", n_frames), ("n_facets", n_facets)):
        if value is not None:
            check_int(arg, value, low=0)
    if fig is None or not hasattr(fig, "data") or not hasattr(fig, "layout"):
        _fail(name, f"fig must be a plotly Figure (what px.scatter returns), got {type(fig).__name__}", hint)
    if n_traces is not None and len(fig.data) != n_traces:
        _fail(name, f"{len(fig.data)} traces, expected {n_traces}", hint or "color= makes one trace per colour")
    types = sorted({t.type for t in fig.data})
    if trace_type is not None and types != [trace_type]:
        _fail(name, f"trace types {types}, expected only {trace_type!r}", hint)
    if n_frames is not None and len(fig.frames) != n_frames:
        _fail(name, f"{len(fig.frames)} animation frames, expected {n_frames}",
              hint or "animation_frame= makes one frame per value")
    facets = sum(1 for key in fig.layout.to_plotly_json() if key.startswith("xaxis"))
    if n_facets is not None and facets != n_facets:
        _fail(name, f"{facets} facets (x axes), expected {n_facets}", hint or "facet_col= / facet_row=")
    print(f"[ok] {name}: {len(fig.data)} traces of {types}, {len(fig.frames)} frames, {facets} facets")
