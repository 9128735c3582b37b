"""Where the texts of a Matplotlib figure land: overlapping texts and texts that run
outside the figure.

``text_problems(fig)`` lays the figure out exactly as it will be drawn and returns one
line per problem (two visible texts whose drawn boxes overlap, or a text that sticks
out of the figure). Rotated texts are compared as rotated rectangles, not as their
axis-aligned boxes, so slanted tick labels that merely sit close are not flagged.
The figure guard that runs while notebooks are executed and tested
(``scripts/ipython/profile_default/startup/00-figure-guard.py``) calls it for every
figure a cell shows; ``figchecks.check_no_text_overlap`` uses it for one axes.
Introduced in 13_interactive_and_themes (placing text without overlap).
"""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from unittest import mock

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure, SubFigure
from matplotlib.text import Text

#: Overlaps and overhangs smaller than this (pixels) are ignored: anti-aliasing, rounding.
TOLERANCE_PX = 1.5
#: A text with this gid (``ax.text(..., gid=ALLOW_OVERLAP)``) may overlap others: a
#: deliberate collision shown to teach it. It must still stay inside the figure.
ALLOW_OVERLAP = "allow-overlap"


@dataclass
class PlacedText:
    """One drawn text: the artist, its string and its corners ``(4, 2)`` in pixels."""
    artist: Text
    text: str
    corners: np.ndarray

    def __post_init__(self) -> None:
        if not isinstance(self.artist, Text):
            raise TypeError(f"artist must be a matplotlib Text, got {type(self.artist).__name__}")
        if not isinstance(self.text, str):
            raise TypeError(f"text must be a str, got {type(self.text).__name__}")
        if np.shape(self.corners) != (4, 2):
            raise ValueError(f"corners must be 4 (x, y) pixel corners, shape (4, 2), "
                             f"got shape {np.shape(self.corners)}")

    @property
    def box(self) -> tuple[float, float, float, float]:
        """Axis-aligned box ``(x0, y0, x1, y1)`` around the corners, in pixels."""
        (x0, y0), (x1, y1) = self.corners.min(axis=0), self.corners.max(axis=0)
        return float(x0), float(y0), float(x1), float(y1)

    def where(self) -> str:
        """The text and, when it belongs to an axes with a title, that title."""
        short = self.text if len(self.text) <= 40 else self.text[:37] + "..."
        ax = self.artist.axes
        title = ""
        if isinstance(ax, Axes) and self.artist is not ax.title:
            title = next((ax.get_title(loc) for loc in ("center", "left", "right") if ax.get_title(loc)), "")
            title = title.splitlines()[0][:30] if title else ""
        return f"{short!r}" + (f" (in axes {title!r})" if title else "")


def _check_figure(fig) -> Figure:
    if isinstance(fig, SubFigure):
        return fig.get_figure(root=True)
    if not isinstance(fig, Figure):
        raise TypeError(f"fig must be a matplotlib Figure, got {type(fig).__name__}")
    return fig


@contextmanager
def _recording_text_draws(found: list[Text]) -> Iterator[None]:
    """While active, every Text that really draws (visible, not empty) is appended."""
    original = Text.draw

    def draw(self, renderer):
        if self.get_visible() and self.get_text().strip() and (self.get_alpha() is None or self.get_alpha() > 0):
            found.append(self)
        return original(self, renderer)

    with mock.patch.object(Text, "draw", draw):
        yield


def _corners(text: Text, renderer) -> np.ndarray:
    """Corners of the drawn text, rotated with it; ``(4, 2)`` pixels."""
    box = text.get_window_extent(renderer)
    angle = text.get_rotation() % 90.0
    if min(angle, 90.0 - angle) < 0.5:              # 0, 90, 180, 270 degrees: the box is exact
        return np.array([[box.x0, box.y0], [box.x1, box.y0], [box.x1, box.y1], [box.x0, box.y1]])
    rotation = text.get_rotation()
    text.set_rotation(0)
    flat = text.get_window_extent(renderer)
    text.set_rotation(rotation)
    half = np.array([[-1, -1], [1, -1], [1, 1], [-1, 1]]) * [flat.width / 2, flat.height / 2]
    rad = np.radians(rotation)
    rot = np.array([[np.cos(rad), -np.sin(rad)], [np.sin(rad), np.cos(rad)]])
    centre = np.array([(box.x0 + box.x1) / 2, (box.y0 + box.y1) / 2])
    return centre + half @ rot.T


def placed_texts(fig) -> list[PlacedText]:
    """Lay ``fig`` out as it will be drawn and return every text that is drawn, with its
    corners in pixels (figure origin at the bottom left)."""
    fig = _check_figure(fig)
    found: list[Text] = []
    with _recording_text_draws(found):
        fig.draw_without_rendering()
    renderer = fig.canvas.get_renderer()
    unique = list(dict.fromkeys(found))            # a text drawn twice counts once
    return [PlacedText(t, t.get_text().strip(), _corners(t, renderer)) for t in unique]


def _separated(a: np.ndarray, b: np.ndarray, tol: float) -> bool:
    """Separating-axis test for two convex quadrilaterals: True when they do not overlap
    by more than ``tol`` pixels along some edge normal."""
    for poly in (a, b):
        for i in range(4):
            edge = poly[(i + 1) % 4] - poly[i]
            normal = np.array([-edge[1], edge[0]])
            norm = np.hypot(*normal)
            if norm == 0:
                continue
            normal = normal / norm
            pa, pb = a @ normal, b @ normal
            if min(pa.max(), pb.max()) - max(pa.min(), pb.min()) <= tol:
                return True
    return False


def text_problems(fig, tol: float = TOLERANCE_PX, limit: int = 8) -> list[str]:
    """Describe, one line each, every pair of drawn texts of ``fig`` that overlap and
    every text that runs outside the figure (by more than ``tol`` pixels). At most
    ``limit`` lines, then one line counting the rest. An empty list: the text is clean."""
    fig = _check_figure(fig)
    if tol < 0:
        raise ValueError(f"tol must be >= 0 pixels, got {tol}")
    if limit < 1:
        raise ValueError(f"limit must be >= 1, got {limit}")
    texts = placed_texts(fig)
    problems: list[str] = []
    width, height = fig.bbox.width, fig.bbox.height
    for t in texts:
        x0, y0, x1, y1 = t.box
        if x0 < -tol or y0 < -tol or x1 > width + tol or y1 > height + tol:
            problems.append(f"{t.where()} runs outside the figure")
    if len(texts) > 1:
        boxes = np.array([t.box for t in texts])
        ix = np.minimum(boxes[:, None, 2], boxes[None, :, 2]) - np.maximum(boxes[:, None, 0], boxes[None, :, 0])
        iy = np.minimum(boxes[:, None, 3], boxes[None, :, 3]) - np.maximum(boxes[:, None, 1], boxes[None, :, 1])
        candidates = np.argwhere(np.triu((ix > tol) & (iy > tol), k=1))
        for i, j in candidates:
            if ALLOW_OVERLAP in (texts[i].artist.get_gid(), texts[j].artist.get_gid()):
                continue
            if not _separated(texts[i].corners, texts[j].corners, tol):
                problems.append(f"{texts[i].where()} overlaps {texts[j].where()}")
    if len(problems) > limit:
        problems = problems[:limit] + [f"... and {len(problems) - limit} more"]
    return problems
