"""Tests of course_utils.viz: theme, image conversion, and the artists each helper draws."""
from __future__ import annotations

import re

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch
from matplotlib.colors import to_rgb
from matplotlib.patches import Rectangle
from torchvision.transforms import v2

from course_utils import train, viz


def _image(shape=(6, 8, 3)):
    return np.random.default_rng(0).random(shape)


# --- theme ------------------------------------------------------------------------------

def test_set_theme_applies_style_file():
    with mpl.rc_context():
        viz.set_theme()
        assert mpl.rcParams["figure.dpi"] == 100
        assert list(mpl.rcParams["figure.figsize"]) == [5.0, 3.5]
        assert mpl.rcParams["axes.spines.top"] is False
        colours = [c["color"].lower() for c in mpl.rcParams["axes.prop_cycle"]]
        assert colours == [p.lower() for p in viz.PALETTE]
    assert viz.STYLE_FILE.is_file()


def test_set_theme_resets_earlier_changes():
    with mpl.rc_context():
        mpl.rcParams["lines.linewidth"] = 7.0
        viz.set_theme()
        assert mpl.rcParams["lines.linewidth"] == mpl.rcParamsDefault["lines.linewidth"]


# --- to_numpy_image ---------------------------------------------------------------------

def test_to_numpy_image_chw_to_hwc():
    chw = _image((3, 6, 8))
    out = viz.to_numpy_image(chw)
    assert out.shape == (6, 8, 3)
    np.testing.assert_array_equal(out, chw.transpose(1, 2, 0))


def test_to_numpy_image_hwc_unchanged():
    hwc = _image((6, 8, 4))
    np.testing.assert_array_equal(viz.to_numpy_image(hwc), hwc)


@pytest.mark.parametrize("shape", [(1, 6, 8), (6, 8, 1), (6, 8)])
def test_to_numpy_image_single_channel(shape):
    img = _image(shape)
    out = viz.to_numpy_image(img)
    assert out.shape == (6, 8)
    np.testing.assert_array_equal(out, img.reshape(6, 8))


def test_to_numpy_image_torch():
    t = torch.rand(3, 5, 7, requires_grad=True)
    out = viz.to_numpy_image(t)
    assert isinstance(out, np.ndarray) and out.shape == (5, 7, 3)
    np.testing.assert_array_equal(out, t.detach().permute(1, 2, 0).numpy())


@pytest.mark.parametrize("shape", [(2, 6, 8), (6, 8, 2), (1, 3, 6, 8), (8,), (6, 8, 5)])
def test_to_numpy_image_bad_shape(shape):
    with pytest.raises(ValueError, match="expected an image"):
        viz.to_numpy_image(np.zeros(shape))


# --- denormalize ------------------------------------------------------------------------

@pytest.mark.parametrize("batch", [False, True])
def test_denormalize_inverts_torchvision_normalize(batch):
    x = torch.rand(2, 3, 5, 6) if batch else torch.rand(3, 5, 6)
    normalized = v2.Normalize(viz.IMAGENET_MEAN, viz.IMAGENET_STD)(x)
    torch.testing.assert_close(viz.denormalize(normalized), x, atol=1e-6, rtol=1e-5)
    back = viz.denormalize(normalized.numpy())
    assert isinstance(back, np.ndarray)
    np.testing.assert_allclose(back, x.numpy(), atol=1e-6)


def test_denormalize_custom_stats_and_clip():
    mean, std = (0.5,), (0.25,)
    x = torch.tensor([[[-10.0, 0.0, 10.0]]])
    assert viz.denormalize(x, mean, std).tolist() == [[[0.0, 0.5, 1.0]]]


@pytest.mark.parametrize("shape", [(1, 5, 5), (4, 5, 5), (2, 1, 5, 5), (5, 5)])
def test_denormalize_bad_shape(shape):
    with pytest.raises(ValueError, match="C = 3"):
        viz.denormalize(torch.zeros(shape))


def test_denormalize_mismatched_std():
    with pytest.raises(ValueError, match="std"):
        viz.denormalize(torch.zeros(3, 4, 4), mean=(0.5, 0.5, 0.5), std=(0.2, 0.2))


# --- show_image / show_images -----------------------------------------------------------

def test_show_image_draws_and_honours_ax():
    fig, ax = plt.subplots()
    out = viz.show_image(torch.rand(3, 6, 8), ax=ax, title="cat")
    assert out is ax
    assert len(ax.images) == 1 and ax.images[0].get_array().shape == (6, 8, 3)
    assert ax.get_title() == "cat"
    assert list(ax.get_xticks()) == [] and list(ax.get_yticks()) == []


def test_show_image_gray_uses_gray_cmap():
    ax = viz.show_image(np.zeros((5, 5)))
    assert ax.images[0].get_cmap().name == "gray"


def test_show_images_grid_and_titles():
    images = torch.rand(5, 1, 8, 8)
    axes = viz.show_images(images, titles=list("abcde"), ncols=3)
    assert isinstance(axes, np.ndarray) and axes.shape == (2, 3)
    assert [len(ax.images) for ax in axes.flat] == [1, 1, 1, 1, 1, 0]
    assert [ax.get_title() for ax in axes.flat[:5]] == list("abcde")
    assert not axes.flat[5].axison


def test_show_images_honours_axes():
    fig, given = plt.subplots(1, 2)
    axes = viz.show_images(np.zeros((2, 4, 4)), axes=given)
    assert list(axes.flat) == list(given)
    assert all(len(ax.images) == 1 for ax in given)


def test_show_images_errors():
    with pytest.raises(ValueError, match="at least one image"):
        viz.show_images([])
    with pytest.raises(ValueError, match="2 images but 3 titles"):
        viz.show_images(np.zeros((2, 4, 4)), titles=["a", "b", "c"])


# --- show_boxes -------------------------------------------------------------------------

def test_show_boxes_rectangles():
    boxes = torch.tensor([[1.0, 2.0, 5.0, 7.0], [0.0, 0.0, 3.0, 3.0]])
    fig, ax = plt.subplots()
    out = viz.show_boxes(np.zeros((10, 10, 3)), boxes, labels=["circle", "square"], ax=ax,
                         scores=[0.9, 0.25])
    assert out is ax
    rects = [p for p in ax.patches if isinstance(p, Rectangle)]
    assert len(rects) == 2
    for rect, (x1, y1, x2, y2) in zip(rects, boxes.tolist()):
        assert rect.get_xy() == (x1 - 0.5, y1 - 0.5)
        assert rect.get_width() == x2 - x1 and rect.get_height() == y2 - y1
        assert rect.get_fill() is False
    assert to_rgb(rects[0].get_edgecolor()) == to_rgb(viz.PALETTE[0])
    assert to_rgb(rects[1].get_edgecolor()) == to_rgb(viz.PALETTE[1])
    assert [t.get_text() for t in ax.texts] == ["circle 0.90", "square 0.25"]
    assert ax.texts[0].get_position() == (0.5, 0.5)


def test_show_boxes_labels_colours_and_empty():
    ax = viz.show_boxes(np.zeros((10, 10)), [[1, 1, 4, 4]], labels=["a"], colors=["red"])
    assert [t.get_text() for t in ax.texts] == ["a"]
    assert to_rgb(ax.patches[0].get_edgecolor()) == (1.0, 0.0, 0.0)
    ax = viz.show_boxes(np.zeros((10, 10)), np.zeros((0, 4)))
    assert len(ax.patches) == 0 and len(ax.texts) == 0
    ax = viz.show_boxes(np.zeros((10, 10)), [[1, 1, 4, 4]])
    assert len(ax.texts) == 0


def test_show_boxes_edge_sits_on_pixel_border():
    """A box covering only pixel (0, 0) spans the data extent of that pixel in imshow."""
    ax = viz.show_boxes(np.zeros((4, 4)), [[0, 0, 1, 1]])
    rect = ax.patches[0]
    left, right, bottom, top = ax.images[0].get_extent()
    assert rect.get_x() == left and rect.get_y() == top     # imshow puts row 0 at the top
    assert rect.get_x() + rect.get_width() == left + 1


@pytest.mark.parametrize("boxes, match", [
    ([[5, 5, 2, 8]], "x2 >= x1"),        # xywh-like: x2 < x1
    ([[1, 5, 3, 2]], "x2 >= x1"),        # y2 < y1
    ([1, 2, 3, 4], r"\(K, 4\)"),
    ([[1, 2, 3]], r"\(K, 4\)"),
])
def test_show_boxes_bad_boxes(boxes, match):
    with pytest.raises(ValueError, match=match):
        viz.show_boxes(np.zeros((10, 10)), boxes)


def test_show_boxes_label_count_mismatch():
    with pytest.raises(ValueError, match="2 boxes but 1 labels"):
        viz.show_boxes(np.zeros((10, 10)), [[0, 0, 1, 1], [1, 1, 2, 2]], labels=["a"])


# --- masks ------------------------------------------------------------------------------

def test_mask_to_rgb_colours():
    mask = np.array([[0, 1], [2, 3]])
    rgb = viz.mask_to_rgb(mask)
    assert rgb.shape == (2, 2, 3)
    assert tuple(rgb[0, 0]) == (0.0, 0.0, 0.0)
    for value, (r, c) in zip((1, 2, 3), ((0, 1), (1, 0), (1, 1))):
        assert tuple(rgb[r, c]) == to_rgb(viz.PALETTE[value - 1])
    np.testing.assert_array_equal(viz.mask_to_rgb(torch.as_tensor(mask)), rgb)
    assert viz.mask_to_rgb(np.zeros((2, 2), dtype=np.uint8), num_classes=4).shape == (2, 2, 3)


@pytest.mark.parametrize("mask, kwargs", [
    (np.zeros((2, 2), dtype=float), {}),
    (np.zeros((2, 2), dtype=bool), {}),
    (np.zeros((1, 2, 2), dtype=int), {}),
    (np.array([[0, -1]]), {}),
    (np.array([[0, 4]]), {"num_classes": 4}),
])
def test_mask_to_rgb_errors(mask, kwargs):
    with pytest.raises(ValueError):
        viz.mask_to_rgb(mask, **kwargs)


def test_show_mask_overlay():
    image = np.full((4, 4, 3), 255, dtype=np.uint8)
    mask = np.zeros((4, 4), dtype=np.int64)
    mask[1, 2] = 1
    fig, ax = plt.subplots()
    assert viz.show_mask(image, mask, ax=ax, alpha=0.5) is ax
    shown = ax.images[0].get_array()
    np.testing.assert_allclose(shown[0, 0], [1.0, 1.0, 1.0])                 # see-through
    np.testing.assert_allclose(shown[1, 2], 0.5 + 0.5 * np.array(to_rgb(viz.PALETTE[0])))


def test_show_mask_gray_image():
    ax = viz.show_mask(np.zeros((4, 4)), np.ones((4, 4), dtype=int), alpha=1.0)
    np.testing.assert_allclose(ax.images[0].get_array()[0, 0], to_rgb(viz.PALETTE[0]))


def test_show_mask_size_mismatch():
    with pytest.raises(ValueError, match="sizes differ"):
        viz.show_mask(np.zeros((4, 4, 3)), np.zeros((5, 4), dtype=int))


# --- plot_history -----------------------------------------------------------------------

def _history():
    h = train.History()
    for e, (tl, vl) in enumerate([(1.0, 1.1), (0.5, 0.7), (0.2, 0.4)], start=1):
        h.epoch.append(e)
        h.train_loss.append(tl)
        h.val_loss.append(vl)
    return h


def test_plot_history_one_line_per_metric():
    fig, ax = plt.subplots()
    out = viz.plot_history(_history(), ax=ax)
    assert out is ax
    assert [ln.get_label() for ln in ax.get_lines()] == ["train loss", "val loss"]
    assert list(ax.get_lines()[1].get_xdata()) == [1, 2, 3]
    assert list(ax.get_lines()[1].get_ydata()) == [1.1, 0.7, 0.4]
    assert ax.get_xlabel() == "epoch"
    assert ax.get_legend() is not None


def test_plot_history_selected_metrics_and_dict():
    ax = viz.plot_history({"train_acc": [0.1, 0.5]}, metrics=["train_acc"])
    assert len(ax.get_lines()) == 1
    assert list(ax.get_lines()[0].get_xdata()) == [1, 2]      # epochs counted from 1


def test_plot_history_unknown_metric():
    with pytest.raises(KeyError, match="val_acc"):
        viz.plot_history(_history(), metrics=["val_acc"])


def test_quantize_png_keeps_size_and_limits_colours():
    import io

    from PIL import Image

    fig, ax = plt.subplots(figsize=(2, 1.5), dpi=50)
    ax.imshow(np.random.default_rng(0).random((20, 20)))
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    small = viz.quantize_png(buf.getvalue(), colors=16)
    before, after = Image.open(io.BytesIO(buf.getvalue())), Image.open(io.BytesIO(small))
    assert after.size == before.size
    assert len(after.convert("RGB").getcolors(maxcolors=10_000)) <= 16
    with pytest.raises(ValueError, match="2..256"):
        viz.quantize_png(buf.getvalue(), colors=1)


def test_compact_png_is_a_no_op_outside_jupyter():
    assert viz._use_compact_png() is False
    viz.set_theme()          # must not fail outside IPython


# --- bad inputs (collected by tests/test_bad_inputs.py) ---------------------------------

_IMG = torch.rand(3, 6, 6)

BAD_INPUTS = [
    (viz.set_theme, ("dark",), {}, TypeError, "compact_png"),
    (viz.quantize_png, ("figure.png",), {}, TypeError, "data"),
    (viz.quantize_png, (b"not a png",), {}, ValueError, "data"),
    (viz.quantize_png, (b"",), {"colors": 1}, ValueError, "colors"),
    (viz.to_numpy_image, (torch.rand(2, 3, 6, 6),), {}, ValueError, "image"),
    (viz.to_numpy_image, ("cat.png",), {}, TypeError, "image"),
    (viz.denormalize, ((_IMG * 255).to(torch.uint8),), {}, TypeError, "image"),
    (viz.denormalize, (_IMG * 255,), {}, ValueError, "image values reach"),
    (viz.denormalize, ([[0.0]],), {}, TypeError, "image"),
    (viz.denormalize, (_IMG,), {"mean": (0.5,), "std": (0.2, 0.2, 0.2)}, ValueError, "len(mean)"),
    (viz.denormalize, (_IMG,), {"std": (0.2, 0.2)}, ValueError, "std"),
    (viz.denormalize, (_IMG,), {"std": 0.5}, TypeError, "std"),
    (viz.show_image, (_IMG,), {"ax": "left"}, TypeError, "ax"),
    (viz.show_images, (torch.rand(2, 3, 6, 6),), {"titles": "ab"}, TypeError, "titles"),
    (viz.show_images, (torch.rand(2, 3, 6, 6),), {"ncols": 0}, ValueError, "ncols"),
    (viz.show_images, (torch.rand(6, 6),), {}, ValueError, "images"),
    (viz.show_images, ([],), {}, ValueError, "images"),
    (viz.show_boxes, (_IMG, [[5, 5, 2, 8]]), {}, ValueError, "boxes"),
    (viz.show_boxes, (_IMG, [[0, 0, 2, 2], [1, 1, 3, 3]]), {"labels": "ab"}, TypeError, "labels"),
    (viz.show_boxes, (_IMG, [[0, 0, 2, 2]]), {"scores": [0.9, 0.8]}, ValueError, "scores"),
    (viz.show_boxes, (_IMG, [[0, 0, 2, 2], [1, 1, 3, 3]]), {"colors": "red"}, ValueError, "colors"),
    (viz.mask_to_rgb, (torch.rand(6, 6),), {}, ValueError, "mask"),
    (viz.mask_to_rgb, (torch.zeros(6, 6, dtype=torch.int64),), {"num_classes": 2.0}, TypeError,
     "num_classes"),
    (viz.show_mask, (_IMG, torch.zeros(6, 6, dtype=torch.int64)), {"alpha": 50}, ValueError, "alpha"),
    (viz.show_mask, (_IMG, torch.zeros(5, 6, dtype=torch.int64)), {}, ValueError, "mask"),
    (viz.plot_history, ([0.5, 0.4],), {}, TypeError, "history"),
    (viz.plot_history, ({"val_acc": [0.5]},), {"metrics": "val_acc"}, TypeError, "metrics"),
    (viz.plot_history, ({"val_acc": [0.5]},), {"metrics": ["val_loss"]}, KeyError, "metrics"),
]


@pytest.mark.parametrize("fn, args, kwargs, exc, name", BAD_INPUTS)
def test_bad_inputs(fn, args, kwargs, exc, name):
    with pytest.raises(exc, match=re.escape(name)):
        fn(*args, **kwargs)


def test_denormalize_refuses_uint8_that_would_come_back_white():
    image = torch.randint(0, 256, (3, 4, 4), dtype=torch.uint8)
    with pytest.raises(TypeError, match="uint8"):
        viz.denormalize(image)
