"""A seeded synthetic "shapes" dataset: scenes with boxes and masks, made offline.

Every scene is an RGB image on a textured, noisy background (scikit-image's bundled
textures) with one or more circles, squares and triangles of random size, position,
colour and rotation, partially overlapping. Each scene comes with class labels,
boxes in torchvision's ``(x1, y1, x2, y2)`` pixel format, a semantic mask and one
instance mask per object. Introduced in 00_start_here; used by the detection,
segmentation and CAM lectures.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from ._validate import check_int, describe

OBJECT_CLASSES = ("circle", "square", "triangle")
#: Mask values: 0 is background, object class ``i`` (0-based) is ``i + 1``; the same
#: ids are the detection labels, as in torchvision where 0 means background.
SEGMENTATION_CLASSES = ("background", *OBJECT_CLASSES)
_MIN_VISIBLE = 0.6    # an object keeps at least this fraction of its pixels visible
_MIN_CONTRAST = 0.3   # RGB distance (in [0, 1] units) between object and background


@dataclass
class ShapesScenes:
    """A batch of scenes.

    Attributes:
        images: ``uint8`` array ``(N, H, W, 3)``.
        labels: list of N ``int64`` arrays ``(K_i,)`` with ids 1..3 (see ``OBJECT_CLASSES``).
        boxes: list of N ``float32`` arrays ``(K_i, 4)``, ``(x1, y1, x2, y2)`` in pixels,
            the tight box of the object's visible pixels (x2, y2 exclusive).
        masks: ``uint8`` array ``(N, H, W)``, semantic mask with values 0..3.
        instance_masks: list of N ``bool`` arrays ``(K_i, H, W)``, visible pixels of each object.
    """

    images: np.ndarray
    labels: list[np.ndarray]
    boxes: list[np.ndarray]
    masks: np.ndarray
    instance_masks: list[np.ndarray]

    def __post_init__(self) -> None:
        """Refuse inconsistent parts: a mismatch would otherwise fail far away (in a Dataset)."""
        if not isinstance(self.images, np.ndarray) or self.images.ndim != 4 or self.images.shape[-1] != 3:
            raise ValueError(f"images must be a uint8 array (N, H, W, 3), got {describe(self.images)}")
        if self.images.dtype != np.uint8:
            raise TypeError(f"images must be uint8 (0..255), got dtype {self.images.dtype}")
        n, h, w = self.images.shape[:3]
        if not isinstance(self.masks, np.ndarray) or self.masks.shape != (n, h, w):
            raise ValueError(f"masks must be an array (N, H, W) = {(n, h, w)} like images, got {describe(self.masks)}")
        for name in ("labels", "boxes", "instance_masks"):
            part = getattr(self, name)
            if isinstance(part, (str, np.ndarray)) or not hasattr(part, "__len__") or len(part) != n:
                raise ValueError(f"{name} must be a list with one array per image ({n} images), "
                                 f"got {describe(part)}")
        for i, (lab, box, inst) in enumerate(zip(self.labels, self.boxes, self.instance_masks)):
            k = len(lab)
            if np.shape(box) != (k, 4) or np.shape(inst) != (k, h, w):
                raise ValueError(f"scene {i}: labels has {k} objects, so boxes must be ({k}, 4) and "
                                 f"instance_masks ({k}, {h}, {w}); got {np.shape(box)} and {np.shape(inst)}")

    def __len__(self) -> int:
        return len(self.images)

    def class_labels(self) -> np.ndarray:
        """0-based class of the first object of each scene, ``(N,)``: the target of the
        single-object classification variant."""
        return np.array([lab[0] - 1 for lab in self.labels], dtype=np.int64)

    def multilabel_targets(self) -> np.ndarray:
        """``(N, 3)`` float array: 1 where a class is present in the scene."""
        out = np.zeros((len(self), len(OBJECT_CLASSES)), dtype=np.float32)
        for i, lab in enumerate(self.labels):
            out[i, lab - 1] = 1.0
        return out


@lru_cache(maxsize=1)
def _textures() -> tuple[np.ndarray, ...]:
    """Grayscale textures in [0, 1] at two scales, from scikit-image's bundled data."""
    from skimage import data as skdata
    from skimage.transform import rescale

    out = []
    for name in ("brick", "grass", "gravel", "camera"):
        img = getattr(skdata, name)().astype(np.float32) / 255.0
        for scale in (0.25, 0.5):
            out.append(rescale(img, scale, anti_aliasing=True).astype(np.float32))
    return tuple(out)


def _background(rng: np.random.Generator, size: int) -> np.ndarray:
    textures = _textures()
    tex = textures[rng.integers(len(textures))]
    r0, c0 = rng.integers(0, tex.shape[0] - size), rng.integers(0, tex.shape[1] - size)
    patch = tex[r0:r0 + size, c0:c0 + size]
    patch = (patch - patch.mean()) * rng.uniform(0.5, 1.2)  # texture strength varies
    base = rng.uniform(0.15, 0.85, size=3)                   # background colour
    return np.clip(base + patch[..., None], 0.0, 1.0)


def _shape_mask(rng: np.random.Generator, cls: int, center: np.ndarray, radius: float,
                size: int) -> np.ndarray:
    """Boolean ``(size, size)`` mask of one object (cls 0-based)."""
    from skimage.draw import disk, polygon

    mask = np.zeros((size, size), dtype=bool)
    cy, cx = center
    if OBJECT_CLASSES[cls] == "circle":
        rr, cc = disk((cy, cx), radius, shape=mask.shape)
    else:
        n = 4 if OBJECT_CLASSES[cls] == "square" else 3
        r = radius * (1.15 if n == 4 else 1.3)   # similar area for every class
        angles = rng.uniform(0, 2 * np.pi) + 2 * np.pi * np.arange(n) / n
        rr, cc = polygon(cy + r * np.sin(angles), cx + r * np.cos(angles), shape=mask.shape)
    mask[rr, cc] = True
    return mask


def _object_colour(rng: np.random.Generator, background: np.ndarray) -> np.ndarray:
    mean = background.mean(axis=(0, 1))
    for _ in range(100):
        colour = rng.uniform(0.0, 1.0, size=3)
        if np.linalg.norm(colour - mean) > _MIN_CONTRAST:
            return colour
    return 1.0 - mean


def _check_args(n: int, size: int, min_objects: int, max_objects: int,
                radius: tuple[float, float]) -> None:
    if not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"n must be a positive int, got {n!r}")
    if not isinstance(size, (int, np.integer)) or size < 32:
        raise ValueError(f"size must be at least 32 pixels (an int), got {size!r}")
    if not all(isinstance(v, (int, np.integer)) for v in (min_objects, max_objects)) \
            or not 1 <= min_objects <= max_objects <= 6:
        raise ValueError(f"need 1 <= min_objects <= max_objects <= 6 (ints), got {min_objects!r}, {max_objects!r}")
    if (isinstance(radius, str) or np.shape(radius) != (2,)
            or not all(isinstance(v, (int, float, np.number)) for v in radius)):
        raise ValueError(f"radius must be a (low, high) pair of numbers, got {radius!r}")
    lo, hi = radius
    if not 3 <= lo <= hi <= size / 4:
        raise ValueError(f"radius range must satisfy 3 <= low <= high <= size/4 = {size / 4}, "
                         f"got {radius}")


def make_shapes_scenes(n: int, seed: int = 0, size: int = 64, min_objects: int = 1,
                       max_objects: int = 4, radius: tuple[float, float] = (5.0, 13.0),
                       distinct_classes: bool = False, noise: float = 0.04) -> ShapesScenes:
    """Generate ``n`` scenes; the same ``seed`` always gives the same scenes.

    Args:
        n: number of scenes.
        seed: seed of the generator.
        size: height and width in pixels (>= 32).
        min_objects, max_objects: number of objects to place per scene (inclusive range,
            1..6). An object that cannot be placed without hiding more than 40% of an
            earlier one after 50 tries is skipped, so crowded settings may yield fewer
            than ``min_objects`` (never fewer than one); the defaults always reach it.
        radius: (low, high) object radius in pixels; squares and triangles get similar areas.
        distinct_classes: if True, no two objects of a scene share a class
            (then at most 3 objects).
        noise: standard deviation of the Gaussian pixel noise, in [0, 1] units.
    """
    _check_args(n, size, min_objects, max_objects, radius)
    check_int("seed", seed, low=0)
    if isinstance(noise, bool) or not isinstance(noise, (int, float)) or not 0 <= noise <= 1:
        raise ValueError(f"noise must be a standard deviation in [0, 1] (pixel units 0..1), got {noise!r}")
    if distinct_classes and max_objects > len(OBJECT_CLASSES):
        raise ValueError(f"distinct_classes allows at most {len(OBJECT_CLASSES)} objects, "
                         f"got max_objects={max_objects}")
    rng = np.random.default_rng(seed)
    images = np.empty((n, size, size, 3), dtype=np.uint8)
    sem = np.zeros((n, size, size), dtype=np.uint8)
    labels, boxes, inst = [], [], []
    for i in range(n):
        img = _background(rng, size)
        k = int(rng.integers(min_objects, max_objects + 1))
        classes = (rng.permutation(len(OBJECT_CLASSES))[:k] if distinct_classes
                   else rng.integers(0, len(OBJECT_CLASSES), size=k))
        owner = np.full((size, size), -1, dtype=np.int64)   # index of the visible object
        full_areas: list[int] = []
        kept: list[int] = []
        for cls in classes:
            for _ in range(50):
                r = rng.uniform(*radius)
                margin = r * 1.3 + 1
                center = rng.uniform(margin, size - margin, size=2)
                m = _shape_mask(rng, int(cls), center, r, size)
                trial = owner.copy()
                trial[m] = len(kept)
                if all((trial == j).sum() >= _MIN_VISIBLE * full_areas[j] for j in range(len(kept))):
                    owner = trial
                    full_areas.append(int(m.sum()))
                    kept.append(int(cls))
                    img[m] = _object_colour(rng, img)
                    break
        img = np.clip(img + rng.normal(0.0, noise, img.shape), 0.0, 1.0)
        images[i] = np.round(img * 255).astype(np.uint8)
        masks = np.stack([owner == j for j in range(len(kept))])
        inst.append(masks)
        labels.append(np.array(kept, dtype=np.int64) + 1)
        boxes.append(np.array([_tight_box(mk) for mk in masks], dtype=np.float32).reshape(-1, 4))
        for j, cls in enumerate(kept):
            sem[i][masks[j]] = cls + 1
    return ShapesScenes(images, labels, boxes, sem, inst)


def make_shapes_classification(n: int, seed: int = 0, size: int = 64,
                               radius: tuple[float, float] = (7.0, 15.0),
                               noise: float = 0.04) -> ShapesScenes:
    """Single-object scenes for classification and CAM; ``.class_labels()`` gives 0..2."""
    return make_shapes_scenes(n, seed=seed, size=size, min_objects=1, max_objects=1,
                              radius=radius, noise=noise)


def _tight_box(mask: np.ndarray) -> list[float]:
    rows, cols = np.nonzero(mask)
    return [cols.min(), rows.min(), cols.max() + 1, rows.max() + 1]
