"""Chart helpers for the visualization lectures: style sheets, palettes, radar charts
and label placement.

Like ``viz``, every axes-level helper takes ``ax=None`` (a new figure when omitted) and
returns the axes it drew on. Introduced in 12_polar_pie_and_more (radar charts) and
13_interactive_and_themes (styles, palettes, labels).
"""
from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

STYLES_DIR = Path(__file__).with_name("styles")
#: Colour-blind-friendly qualitative palettes (hex), by name.
PALETTES: dict[str, tuple[str, ...]] = {
    # Okabe & Ito (2008): the course default, also in course.mplstyle and viz.PALETTE.
    "okabe_ito": ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9",
                  "#F0E442", "#000000"),
    # Paul Tol's "bright" and "muted" schemes (personal.sron.nl/~pault).
    "tol_bright": ("#4477AA", "#EE6677", "#228833", "#CCBB44", "#66CCEE", "#AA3377", "#BBBBBB"),
    "tol_muted": ("#332288", "#88CCEE", "#44AA99", "#117733", "#999933", "#DDCC77", "#CC6677",
                  "#882255", "#AA4499"),
}


def style_path(name: str = "course") -> Path:
    """Path of the style sheet ``styles/<name>.mplstyle`` shipped with course_utils."""
    path = STYLES_DIR / f"{name}.mplstyle"
    if not path.exists():
        available = sorted(p.stem for p in STYLES_DIR.glob("*.mplstyle"))
        raise ValueError(f"unknown style name {name!r}; available: {available}")
    return path


@contextmanager
def course_style(dark: bool | str = False) -> Iterator[None]:
    """Context manager: figures made inside use the course style (``dark=True`` or
    ``"dark"``: its dark variant; ``False`` or ``"light"``: the light one); the previous
    settings come back on exit. Any other value raises ``ValueError``.

    >>> with charts.course_style(dark=True):
    ...     fig, ax = plt.subplots()
    """
    if isinstance(dark, str):
        if dark not in ("light", "dark"):
            raise ValueError(f"dark must be True/False or 'light'/'dark', got {dark!r}")
        dark = dark == "dark"
    elif not isinstance(dark, bool):
        raise TypeError(f"dark must be True/False or 'light'/'dark', got {type(dark).__name__}")
    sheets = [style_path("course")] + ([style_path("course-dark")] if dark else [])
    with plt.style.context(sheets):
        yield


def palette(name: str = "okabe_ito", n: int | None = None) -> list[str]:
    """The first ``n`` colours (all when ``None``) of one of ``PALETTES``."""
    if name not in PALETTES:
        raise ValueError(f"unknown palette name {name!r}; available: {sorted(PALETTES)}")
    colours = list(PALETTES[name])
    if n is None:
        return colours
    if not 1 <= n <= len(colours):
        raise ValueError(f"palette {name!r} has {len(colours)} colours, asked for {n}")
    return colours[:n]


def radar_angles(k: int) -> np.ndarray:
    """``k + 1`` angles in radians, ``0, 2*pi/k, ...`` and ``0`` again to close a polygon."""
    if k < 3:
        raise ValueError(f"k must be at least 3 (a radar chart needs at least 3 axes), got {k}")
    angles = np.linspace(0.0, 2 * np.pi, k, endpoint=False)
    return np.append(angles, angles[0])


def radar_chart(values, labels: Sequence[str] | None = None, series: Sequence[str] | None = None,
                ax=None, fill_alpha: float = 0.15, colors: Sequence[str] | None = None,
                rlim: tuple[float, float] | None = None):
    """Radar (spider) chart: one closed polygon per series on a polar axes.

    ``values``: ``(S, K)`` array (S series, K features) or a DataFrame whose rows are the
    series and whose columns are the features (then ``labels``/``series`` default to
    its column/index names). The first feature points up and the features run
    clockwise. Each series is one ``Line2D`` of ``K + 1`` points (closed) plus a filled
    polygon. Returns the polar axes. Introduced in 12_polar_pie_and_more.
    """
    if hasattr(values, "columns"):
        labels = list(values.columns) if labels is None else labels
        series = [str(i) for i in values.index] if series is None else series
    data = np.asarray(values, dtype=float)
    data = data[None, :] if data.ndim == 1 else data
    if data.ndim != 2 or data.shape[1] < 3:
        raise ValueError(f"values must be (S, K) with K >= 3 features, got shape {np.shape(values)}")
    s, k = data.shape
    if labels is not None and len(labels) != k:
        raise ValueError(f"got {k} features but {len(labels)} labels")
    if series is not None and len(series) != s:
        raise ValueError(f"got {s} series but {len(series)} series names")
    if ax is None:
        ax = plt.subplots(subplot_kw={"projection": "polar"})[1]
    elif ax.name != "polar":
        raise ValueError("radar_chart needs a polar axes: plt.subplots(subplot_kw={'projection': 'polar'})")
    angles = radar_angles(k)
    colors = colors or palette("okabe_ito", min(s, 8)) * (s // 8 + 1)
    for i, row in enumerate(data):
        closed = np.append(row, row[0])
        name = None if series is None else str(series[i])
        ax.plot(angles, closed, color=colors[i], linewidth=1.5, label=name)
        ax.fill(angles, closed, color=colors[i], alpha=fill_alpha)
    ax.set_theta_offset(np.pi / 2)      # first feature at 12 o'clock
    ax.set_theta_direction(-1)          # clockwise
    ax.set_thetagrids(np.degrees(angles[:-1]), labels if labels is not None else [""] * k)
    if rlim is not None:
        ax.set_ylim(*rlim)
    if series is not None:
        ax.legend(loc="upper right", bbox_to_anchor=(1.35, 1.1))
    return ax


def spread_labels(positions: Sequence[float], min_gap: float, lower: float = -np.inf,
                  upper: float = np.inf) -> np.ndarray:
    """Move 1-D label positions apart so neighbours are at least ``min_gap`` apart.

    Keeps the order of the labels and moves them as little as this simple sweep can:
    push up from the lowest, then (if ``upper`` is exceeded) push down from the top.
    Returns the new positions in the input order. Introduced in 13_interactive_and_themes.
    """
    pos = np.asarray(positions, dtype=float)
    if pos.ndim != 1:
        raise ValueError(f"positions must be 1-D, got shape {pos.shape}")
    if min_gap < 0:
        raise ValueError(f"min_gap must be >= 0, got {min_gap}")
    if len(pos) and upper - lower < min_gap * (len(pos) - 1):
        raise ValueError(f"{len(pos)} labels {min_gap} apart do not fit in [{lower}, {upper}]")
    order = np.argsort(pos, kind="stable")
    y = np.clip(pos[order], lower, upper)
    for i in range(1, len(y)):                     # sweep up
        y[i] = max(y[i], y[i - 1] + min_gap)
    if len(y) and y[-1] > upper:                   # sweep down from the top
        y[-1] = upper
        for i in range(len(y) - 2, -1, -1):
            y[i] = min(y[i], y[i + 1] - min_gap)
    out = np.empty_like(y)
    out[order] = y
    return out


def label_line_ends(ax, min_gap: float | None = None, fontsize: str = "small"):
    """Write each labelled line's name just right of its last point, spread vertically
    so no two names overlap (direct labels instead of a legend). ``min_gap`` is in data
    units (default: 6% of the y range). Returns the axes."""
    lines = [ln for ln in ax.get_lines() if not ln.get_label().startswith("_")]
    if not lines:
        raise ValueError("ax has no labelled lines (plot with label=...)")
    x_ends = [ln.get_xdata()[-1] for ln in lines]          # dates stay dates
    y_ends = [float(ln.get_ydata()[-1]) for ln in lines]
    lo, hi = ax.get_ylim()
    ys = spread_labels(y_ends, (hi - lo) * 0.06 if min_gap is None else min_gap)
    for ln, x_end, y in zip(lines, x_ends, ys):
        ax.annotate(ln.get_label(), (x_end, y), xytext=(4, 0), textcoords="offset points",
                    va="center", color=ln.get_color(), fontsize=fontsize)
    return ax


def plotly_snapshot(fig, width: float = 6.0, height: float = 3.0):
    """A static Matplotlib drawing of a plotly figure: its scatter, bar and histogram
    traces (an animation's first frame), one panel per x axis with the facet titles,
    colours and legend names of the plotly figure. Returns the Matplotlib figure.
    Introduced in 13_interactive_and_themes (a picture for readers without a live
    notebook)."""
    if not (hasattr(fig, "data") and hasattr(fig, "layout")):
        raise TypeError(f"fig must be a plotly Figure, got {type(fig).__name__}")
    layout = fig.layout
    xaxes = sorted(k for k in layout.to_plotly_json() if k.startswith("xaxis")) or ["xaxis"]
    snap, axes = plt.subplots(1, len(xaxes), figsize=(width, height), sharey=True, squeeze=False)
    panel = {"x" + k[5:]: ax for k, ax in zip(xaxes, axes[0])}
    seen: set[str] = set()
    for trace in fig.data:
        ax = panel.get(trace.xaxis or "x", axes[0, 0])
        colour = getattr(trace.marker, "color", None) if trace.marker is not None else None
        colour = colour if isinstance(colour, str) else None
        label = trace.name if trace.name and trace.name not in seen else None
        seen.add(trace.name or "")
        if trace.type == "scatter":
            ax.scatter(trace.x, trace.y, s=8, alpha=0.7, color=colour, label=label)
        elif trace.type == "bar":
            ax.bar([str(v) for v in trace.x], trace.y, color=colour, label=label)
        elif trace.type == "histogram":
            ax.hist(trace.x, bins=20, alpha=0.6, color=colour, label=label)
    for key, ax in zip(xaxes, axes[0]):
        axis = layout[key]
        ax.set_xlabel(axis.title.text or "")
        lo, hi = axis.domain or (0, 1)
        titles = [a.text for a in layout.annotations if a.text and a.y is not None and a.y >= 0.99
                  and lo <= (a.x or 0) <= hi]
        if titles:
            ax.set_title(titles[0], fontsize="small")
    axes[0, 0].set_ylabel(layout.yaxis.title.text or "count")
    if seen - {""}:
        snap.legend(*axes[0, 0].get_legend_handles_labels(), loc="outside right upper", fontsize="small")
    if layout.title.text:
        snap.suptitle(layout.title.text, fontsize="medium")
    return snap


def show_plotly(fig, static: bool = True) -> None:
    """Display a plotly figure so every reader sees it: the interactive chart (plotly's
    mime type: JupyterLab, VS Code) plus, with ``static``, a PNG snapshot from
    ``plotly_snapshot`` in the same output, which GitHub, nbviewer and HTML exports show.
    Introduced in 13_interactive_and_themes."""
    import base64
    import io

    import plotly.io as pio
    from IPython.display import display

    if not (hasattr(fig, "data") and hasattr(fig, "layout")):
        raise TypeError(f"fig must be a plotly Figure, got {type(fig).__name__}")
    bundle = pio.renderers["plotly_mimetype"].to_mimebundle(fig.to_dict())
    if static:
        snap = plotly_snapshot(fig, width=(fig.layout.width or 600) / 100, height=(fig.layout.height or 350) / 100)
        buffer = io.BytesIO()
        snap.savefig(buffer, format="png", dpi=80)
        plt.close(snap)
        bundle["image/png"] = base64.b64encode(buffer.getvalue()).decode("ascii")
    display(bundle, raw=True)
