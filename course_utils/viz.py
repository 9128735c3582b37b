"""Plotting helpers: the course theme, image grids, boxes, masks, training curves.

Every axes-level helper takes ``ax=None`` (a new figure when omitted) and returns the
axes it drew on, as seaborn does. Introduced in 00_start_here.
"""
from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes

from ._validate import check_int, check_number, check_sequence, check_str_list, describe

STYLE_FILE = Path(__file__).with_name("styles") / "course.mplstyle"
#: Okabe-Ito colours, colour-blind safe; class ``i`` is drawn in ``PALETTE[i]``.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000")
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


def set_theme(compact_png: bool = True) -> None:
    """Apply the course style (``styles/course.mplstyle``) to every later figure.

    In Jupyter, ``compact_png`` also stores inline figures as 256-colour palette PNGs
    (``quantize_png``): the same look at about a third of the bytes, so notebooks
    stay small. Seaborn's figure-level grids switch their figure to tight layout;
    the warning Matplotlib gives about that (with a path of this machine) is silenced.
    """
    import warnings

    if not isinstance(compact_png, bool):
        raise TypeError(f"compact_png must be True or False, got {compact_png!r}; for the dark look use "
                        "`with charts.course_style(dark=True):`")
    mpl.rcdefaults()
    plt.style.use(STYLE_FILE)
    warnings.filterwarnings("ignore", message="The figure layout has changed to tight")
    if compact_png:
        _use_compact_png()


def quantize_png(data: bytes, colors: int = 256) -> bytes:
    """Re-encode PNG bytes with a palette of at most ``colors`` colours (same size in
    pixels). Charts use few colours, so they look the same at about a third of the bytes."""
    import io

    from PIL import Image

    if not isinstance(data, (bytes, bytearray)):
        raise TypeError(f"data must be the bytes of a PNG file, got {describe(data)}")
    check_int("colors", colors)
    if not 2 <= colors <= 256:
        raise ValueError(f"colors must be in 2..256, got {colors}")
    try:
        image = Image.open(io.BytesIO(data)).convert("RGB")
    except OSError as err:
        raise ValueError(f"data must be the bytes of a PNG file, got {len(data)} bytes that are not "
                         f"an image ({err})") from None
    out = io.BytesIO()
    # Octree keeps colours that few pixels use (a legend patch, a thin box); the default
    # median cut merged them into their neighbours (an orange patch came out lime).
    image.quantize(colors, method=Image.Quantize.FASTOCTREE).save(out, format="png", optimize=True)
    return out.getvalue()


def _use_compact_png(colors: int = 256) -> bool:
    """Wrap IPython's PNG formatter for figures with ``quantize_png``; False outside Jupyter."""
    import base64

    try:
        from IPython import get_ipython
    except ImportError:
        return False
    from matplotlib.figure import Figure

    shell = get_ipython()
    if shell is None:
        return False
    if "inline" in plt.get_backend():
        import matplotlib_inline.backend_inline  # noqa: F401  importing it registers the formatters
    formatter = shell.display_formatter.formatters["image/png"]
    try:
        original = formatter.lookup_by_type(Figure)
    except KeyError:
        return False
    original = getattr(original, "_course_original", original)   # calling twice is harmless

    def compact(fig):
        result = original(fig)
        if result is None:
            return None
        data, meta = result if isinstance(result, tuple) else (result, None)
        raw = base64.b64decode(data) if isinstance(data, str) else data
        small = quantize_png(raw, colors)
        out = base64.b64encode(small).decode("ascii") if isinstance(data, str) else small
        return out if meta is None else (out, meta)

    compact._course_original = original  # type: ignore[attr-defined]  # mypy does not model function attributes
    formatter.for_type(Figure, compact)
    return True


def to_numpy_image(image) -> np.ndarray:
    """Any image -> ``(H, W)`` or ``(H, W, C)`` NumPy array ready for ``imshow``.

    Accepts a torch tensor or array in CHW (C in 1, 3, 4) or HWC layout; a single
    channel is squeezed. Values are returned unchanged.
    """
    if hasattr(image, "detach"):
        image = image.detach().cpu().numpy()
    image = np.asarray(image)
    if image.dtype.kind not in "biuf":
        raise TypeError(f"image must be a numeric tensor or array, got {describe(image)}")
    if image.ndim == 4:
        raise ValueError(f"image: expected an image, not a batch: got shape {image.shape}; "
                         f"show one with image[0] or all with show_images(...)")
    if image.ndim == 3 and image.shape[0] in (1, 3, 4) and image.shape[-1] not in (1, 3, 4):
        image = image.transpose(1, 2, 0)                  # CHW -> HWC
    if image.ndim == 3 and image.shape[-1] == 1:
        image = image[..., 0]
    if image.ndim not in (2, 3) or (image.ndim == 3 and image.shape[-1] not in (3, 4)):
        raise ValueError(f"image: expected an image (H, W), (H, W, C) or (C, H, W) with C in 1, 3, 4; "
                         f"got shape {image.shape}")
    return image


def denormalize(image, mean: Sequence[float] = IMAGENET_MEAN, std: Sequence[float] = IMAGENET_STD):
    """Undo ``Normalize(mean, std)`` on a float ``(C, H, W)`` or ``(N, C, H, W)`` tensor/array
    and clip to [0, 1].

    ``image`` must be what ``Normalize`` returned: floats of order 1. An integer (``uint8``)
    image, or floats in 0..255, was never normalized and is an error (it would come back
    all white).
    """
    mean_a = np.asarray(check_sequence("mean", mean), dtype=np.float32)
    std_a = np.asarray(check_sequence("std", std), dtype=np.float32)
    if not (hasattr(image, "ndim") and hasattr(image, "dtype")):
        raise TypeError(f"image must be a float tensor or array (C, H, W) or (N, C, H, W), "
                        f"got {describe(image)}")
    if str(image.dtype).replace("torch.", "").startswith(("uint", "int", "bool")):
        raise TypeError(f"image must be a normalized float image, got dtype {image.dtype}: an integer "
                        f"(0..255) image was never normalized; convert it with "
                        f"data.image_to_tensor or image.float() / 255 first")
    if image.ndim not in (3, 4) or image.shape[-3] != len(mean_a):
        raise ValueError(f"image: expected (C, H, W) or (N, C, H, W) with C = {len(mean_a)} = len(mean), "
                         f"got shape {tuple(image.shape)}")
    if len(std_a) != len(mean_a):
        raise ValueError(f"std must have one value per channel ({len(mean_a)}, like mean), "
                         f"got {len(std_a)} std values")
    if np.any(std_a <= 0):
        raise ValueError(f"std must be positive, got {std_a.tolist()}")
    top = float(np.max(np.abs(np.r_[(1 - mean_a) / std_a, mean_a / std_a])))
    count = image.numel() if hasattr(image, "numel") else image.size
    biggest = float(abs(image).max()) if count else 0.0
    if biggest > 10 * top + 10:
        raise ValueError(f"image values reach {biggest:.1f}, but a normalized image stays within about "
                         f"+-{top:.1f}: it looks like 0..255 pixel values; divide by 255 and normalize first")
    shape = (-1, 1, 1)
    if hasattr(image, "detach"):
        import torch

        m = torch.as_tensor(mean_a, device=image.device).view(shape)
        s = torch.as_tensor(std_a, device=image.device).view(shape)
        return (image * s + m).clamp(0, 1)
    return np.clip(image * std_a.reshape(shape) + mean_a.reshape(shape), 0, 1)


def show_image(image, ax=None, title: str | None = None, cmap: str | None = None, **kwargs):
    """Show one image (tensor or array, CHW or HWC) without axis ticks; returns the axes."""
    _check_ax(ax)
    ax = ax if ax is not None else plt.subplots(figsize=(3, 3))[1]
    img = to_numpy_image(image)
    # Small images (the 32x32 digits, 64x64 scenes) are enlarged: show crisp pixels.
    kwargs.setdefault("interpolation", "nearest" if max(img.shape[:2]) <= 128 else "antialiased")
    ax.imshow(img, cmap=cmap or ("gray" if img.ndim == 2 else None), **kwargs)
    ax.set_xticks([])
    ax.set_yticks([])
    ax.grid(False)
    if title is not None:
        ax.set_title(title, fontsize="small")
    return ax


def show_images(images, titles: Sequence[str] | None = None, ncols: int = 8,
                scale: float = 1.2, cmap: str | None = None, axes=None) -> np.ndarray:
    """Grid of images; returns the array of axes (``(nrows, ncols)``).

    ``images``: sequence or batch ``(N, C, H, W)`` / ``(N, H, W, C)`` / ``(N, H, W)``.
    """
    if not hasattr(images, "__len__") or isinstance(images, (str, dict)):
        raise TypeError(f"images must be a batch or a list of images, got {describe(images)}")
    if hasattr(images, "ndim") and images.ndim not in (3, 4):
        raise ValueError(f"images must be a batch (N, C, H, W), (N, H, W, C) or (N, H, W), "
                         f"got shape {tuple(images.shape)}")
    n = len(images)
    if n == 0:
        raise ValueError("images: show_images needs at least one image, got 0")
    if titles is not None and len(check_str_list("titles", titles)) != n:
        raise ValueError(f"titles: got {n} images but {len(titles)} titles")
    check_int("ncols", ncols, low=1)
    ncols = min(ncols, n)
    nrows = -(-n // ncols)
    if axes is None:
        _, axes = plt.subplots(nrows, ncols, figsize=(scale * ncols, scale * nrows + 0.2 * nrows),
                               squeeze=False)
    if np.asarray(axes).size != nrows * ncols:
        raise ValueError(f"axes must hold {nrows * ncols} axes ({nrows} x {ncols}), got {np.asarray(axes).size}")
    axes = np.asarray(axes).reshape(nrows, ncols)
    for i, ax in enumerate(axes.flat):
        if i < n:
            show_image(images[i], ax=ax, title=None if titles is None else str(titles[i]), cmap=cmap)
        else:
            ax.axis("off")
    return axes


def show_boxes(image, boxes, labels: Sequence[str] | None = None, ax=None,
               colors: Sequence[str] | None = None, scores=None, linewidth: float = 1.5):
    """Draw ``boxes`` ``(K, 4)`` in ``(x1, y1, x2, y2)`` pixel format over ``image``."""
    boxes = np.asarray(boxes.detach().cpu() if hasattr(boxes, "detach") else boxes, dtype=float)
    boxes = boxes.reshape(-1, 4) if boxes.size == 0 else boxes
    if boxes.ndim != 2 or boxes.shape[1] != 4:
        raise ValueError(f"boxes must have shape (K, 4) in xyxy format, got {boxes.shape}")
    if np.any(boxes[:, 2] < boxes[:, 0]) or np.any(boxes[:, 3] < boxes[:, 1]):
        raise ValueError("boxes must be (x1, y1, x2, y2) with x2 >= x1 and y2 >= y1; "
                         "convert xywh or cxcywh boxes first")
    if labels is not None and len(check_str_list("labels", labels)) != len(boxes):
        raise ValueError(f"labels: got {len(boxes)} boxes but {len(labels)} labels")
    for name, values in (("scores", scores), ("colors", colors)):
        if values is not None and (isinstance(values, str) or len(values) != len(boxes)):
            raise ValueError(f"{name} must have one entry per box ({len(boxes)}), got {describe(values)}")
    ax = show_image(image, ax=ax)
    for k, (x1, y1, x2, y2) in enumerate(boxes):
        color = (colors[k] if colors is not None else PALETTE[k % len(PALETTE)])
        # imshow puts pixel (0, 0) centred at 0; box edges sit at -0.5 offsets.
        ax.add_patch(mpl.patches.Rectangle((x1 - 0.5, y1 - 0.5), x2 - x1, y2 - y1, fill=False,
                                           edgecolor=color, linewidth=linewidth))
        text = None if labels is None else str(labels[k])
        if scores is not None:
            text = f"{text or ''} {float(scores[k]):.2f}".strip()
        if text:
            ax.text(x1 - 0.5, y1 - 1.5, text, color="white", fontsize="x-small",
                    bbox={"facecolor": color, "edgecolor": "none", "pad": 1, "alpha": 0.8})
    return ax


def mask_to_rgb(mask, num_classes: int | None = None) -> np.ndarray:
    """Integer mask ``(H, W)`` -> ``float`` RGB ``(H, W, 3)``; class 0 black, class i
    coloured ``PALETTE[i - 1]``."""
    mask = np.asarray(mask.detach().cpu() if hasattr(mask, "detach") else mask)
    if mask.ndim != 2 or not np.issubdtype(mask.dtype, np.integer):
        raise ValueError(f"mask: expected an integer mask of shape (H, W), got {mask.dtype} {mask.shape}"
                         + (" (take logits.argmax(dim=0) first)" if mask.dtype.kind == "f" else ""))
    if num_classes is not None:
        check_int("num_classes", num_classes, low=1)
    k = int(mask.max()) + 1 if num_classes is None else num_classes
    if mask.min() < 0 or mask.max() >= k:
        raise ValueError(f"mask values must be in 0..{k - 1} (num_classes={num_classes}), "
                         f"got {mask.min()}..{mask.max()}")
    lut = np.zeros((k, 3))
    for i in range(1, k):
        lut[i] = mpl.colors.to_rgb(PALETTE[(i - 1) % len(PALETTE)])
    return lut[mask]


def show_mask(image, mask, ax=None, alpha: float = 0.5, num_classes: int | None = None):
    """Overlay an integer mask ``(H, W)`` on an image; background stays see-through."""
    check_number("alpha", alpha, low=0.0, high=1.0)
    img = to_numpy_image(image).astype(float)
    if img.max() > 1.0:
        img = img / 255.0
    if img.ndim == 2:
        img = np.repeat(img[..., None], 3, axis=-1)
    colours = mask_to_rgb(mask, num_classes)
    if colours.shape[:2] != img.shape[:2]:
        raise ValueError(f"mask {colours.shape[:2]} and image {img.shape[:2]} sizes differ")
    fg = (np.asarray(mask) > 0)[..., None]
    return show_image(np.where(fg, (1 - alpha) * img[..., :3] + alpha * colours, img[..., :3]), ax=ax)


def plot_history(history, metrics: Sequence[str] | None = None, ax=None):
    """Plot per-epoch values of a ``train.History`` (or a dict of lists); returns the axes."""
    if not (isinstance(history, dict) or hasattr(history, "as_dict")):
        raise TypeError(f"history must be a train.History or a dict of lists, got {describe(history)}")
    data = history if isinstance(history, dict) else history.as_dict()
    if metrics is not None and len(check_str_list("metrics", metrics)) == 0:
        raise ValueError("metrics is empty: name at least one, or pass None for all")
    names = [m for m in (metrics if metrics is not None else data) if m != "epoch"]
    if not names:
        raise ValueError("history has no recorded metrics yet")
    missing = [m for m in names if m not in data]
    if missing:
        raise KeyError(f"metrics: history has no {missing}; it has {sorted(data)}")
    _check_ax(ax)
    ax = ax if ax is not None else plt.subplots()[1]
    epochs = data.get("epoch", list(range(1, len(data[names[0]]) + 1)))
    for name in names:
        ax.plot(epochs, data[name], marker="o", markersize=3, label=name.replace("_", " "))
    ax.set_xlabel("epoch")
    ax.legend()
    return ax


def _check_ax(ax) -> None:
    if ax is not None and not isinstance(ax, Axes):
        raise TypeError(f"ax must be a matplotlib Axes or None, got {describe(ax)}"
                        + ("; pick one: axes[i] or axes[i, j]" if isinstance(ax, np.ndarray) else ""))
