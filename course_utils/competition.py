"""A small offline image-classification competition, generated from a seed.

Each image is a ``size x size`` RGB picture of one shape on a noisy grey background. Its
label combines three attributes, as the P-stage mask competition combined mask state,
gender and age group: shape (circle, square, triangle) x colour (red, green, blue) x
size (small, large) = 18 classes. What is built in, on purpose:

- a long-tailed class distribution (the most frequent class ``imbalance`` times the rarest);
- label noise: ``noise_rate`` of the training pool has one attribute mislabelled;
- ``n_duplicates`` exact copies of training images, planted under new ids;
- a fixed test split (the "private leaderboard") whose labels stay inside the
  ``Competition`` object and are used only by :func:`score_submission`.

Also the ``Dataset`` the notebook's ``DataLoader`` workers import and the small CNN it
trains. Introduced in 09_competition_pipeline.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn
from torch.utils.data import Dataset

SHAPES = ("circle", "square", "triangle")
COLOURS = ("red", "green", "blue")
SIZES = ("small", "large")
NUM_CLASSES = len(SHAPES) * len(COLOURS) * len(SIZES)
#: Class names in label order, e.g. ``CLASS_NAMES[0] == "circle-red-small"``.
CLASS_NAMES = tuple(f"{s}-{c}-{z}" for s in SHAPES for c in COLOURS for z in SIZES)
_BASE_COLOURS = np.array([[0.85, 0.2, 0.2], [0.2, 0.75, 0.25], [0.2, 0.35, 0.9]])
#: Object radius range as a fraction of the image side, per size class.
_RADIUS = {"small": (0.25, 0.3), "large": (0.38, 0.44)}
_SQUARE, _TRIANGLE = 0.72, 0.5  # half side and inradius, in units of the radius
_TILT = np.pi / 9                # shapes are upright, tilted by at most 20 degrees


def encode_label(shape: int, colour: int, size: int) -> int:
    """Class id 0..17 of ``(shape, colour, size)`` indices into ``SHAPES``, ``COLOURS``, ``SIZES``."""
    for name, value, limit in (("shape", shape, 3), ("colour", colour, 3), ("size", size, 2)):
        if not isinstance(value, (int, np.integer)) or not 0 <= value < limit:
            raise ValueError(f"{name} must be an int in 0..{limit - 1}, got {value!r}")
    return int(shape) * 6 + int(colour) * 2 + int(size)


def decode_label(label: int) -> tuple[int, int, int]:
    """``(shape, colour, size)`` indices of a class id 0..17 (inverse of :func:`encode_label`)."""
    if not isinstance(label, (int, np.integer)) or not 0 <= label < NUM_CLASSES:
        raise ValueError(f"label must be an int in 0..{NUM_CLASSES - 1}, got {label!r}")
    return int(label) // 6, (int(label) // 2) % 3, int(label) % 2


@dataclass
class Competition:
    """The generated competition.

    Attributes:
        train_images: ``uint8`` ``(N, H, W, 3)``, the training pool (duplicates included).
        train_labels: ``int64`` ``(N,)`` class ids 0..17, as annotated (noise included).
        train_ids, test_ids: image ids such as ``"train_00042"``, ``"test_00007"``.
        test_images: ``uint8`` ``(M, H, W, 3)``; their labels are hidden.
        planted_duplicates: ``(original id, copy id)`` pairs, the answer key of the EDA.
        noisy_ids: ids of training images whose label was corrupted, copies of them included
            (answer key).
    """

    train_images: np.ndarray
    train_labels: np.ndarray
    train_ids: list[str]
    test_images: np.ndarray
    test_ids: list[str]
    planted_duplicates: list[tuple[str, str]]
    noisy_ids: list[str]
    _test_labels: np.ndarray = field(repr=False)

    def __post_init__(self) -> None:
        for name in ("train_images", "test_images"):
            images = getattr(self, name)
            if not isinstance(images, np.ndarray) or images.dtype != np.uint8 or images.ndim != 4:
                raise ValueError(f"{name} must be a uint8 array (N, H, W, 3), got "
                                 f"{getattr(images, 'dtype', type(images).__name__)} "
                                 f"{getattr(images, 'shape', '')}")
        if len(self.train_labels) != len(self.train_images) or len(self.train_ids) != len(self.train_images):
            raise ValueError(f"train_labels ({len(self.train_labels)}) and train_ids ({len(self.train_ids)}) "
                             f"must match train_images ({len(self.train_images)})")
        if len(self.test_ids) != len(self.test_images) or len(self._test_labels) != len(self.test_images):
            raise ValueError(f"test_ids ({len(self.test_ids)}) must match test_images ({len(self.test_images)})")


def _render(rng: np.random.Generator, label: int, size: int, pixel_noise: float) -> np.ndarray:
    shape, colour, big = decode_label(label)
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32) + 0.5
    grey = rng.uniform(0.3, 0.7)
    slope = rng.uniform(-0.15, 0.15, size=2) / size
    img = np.repeat((grey + slope[0] * (yy - size / 2) + slope[1] * (xx - size / 2))[..., None], 3, -1)
    r = rng.uniform(*_RADIUS[SIZES[big]]) * size
    cy, cx = rng.uniform(r + 1, size - r - 1, size=2)
    dy, dx = yy - cy, xx - cx
    theta = rng.uniform(-_TILT, _TILT) - np.pi / 2   # upright, slightly tilted
    if SHAPES[shape] == "circle":
        mask = dy ** 2 + dx ** 2 <= r ** 2
    elif SHAPES[shape] == "square":
        u, v = np.cos(theta) * dx + np.sin(theta) * dy, -np.sin(theta) * dx + np.cos(theta) * dy
        mask = (np.abs(u) <= _SQUARE * r) & (np.abs(v) <= _SQUARE * r)
    else:   # triangle: inside three half-planes, similar area to the circle
        mask = np.ones_like(dx, dtype=bool)
        for k in range(3):
            a = theta + 2 * np.pi * k / 3
            mask &= np.cos(a) * dx + np.sin(a) * dy <= _TRIANGLE * r
    rgb = np.clip(_BASE_COLOURS[colour] * rng.uniform(0.75, 1.1) + rng.normal(0, 0.06, 3), 0, 1)
    img[mask] = rgb
    img = img + rng.normal(0.0, pixel_noise, img.shape)
    return np.round(np.clip(img, 0, 1) * 255).astype(np.uint8)


def _class_counts(n: int, weights: np.ndarray) -> np.ndarray:
    counts = np.floor(n * weights).astype(int)
    counts[np.argsort(-(n * weights - counts))[: n - counts.sum()]] += 1   # largest remainders
    return counts


def _flip_one_attribute(rng: np.random.Generator, label: int) -> int:
    parts = list(decode_label(label))
    which = int(rng.integers(3))
    limit = 2 if which == 2 else 3
    parts[which] = (parts[which] + int(rng.integers(1, limit))) % limit
    return encode_label(*parts)


def make_competition(n_train: int = 1800, n_test: int = 720, seed: int = 0, size: int = 24,
                     imbalance: float = 15.0, noise_rate: float = 0.03, n_duplicates: int = 12,
                     pixel_noise: float = 0.05) -> Competition:
    """Generate the competition; the same arguments always give the same data.

    Args:
        n_train: images in the training pool before the duplicates are added.
        n_test: images in the hidden-label test split (same class distribution).
        seed: seed of the generator.
        size: height and width in pixels (16..128).
        imbalance: ratio of the most to the least frequent class (>= 1); class frequencies
            fall geometrically, in a seeded random class order.
        noise_rate: fraction (0..0.5) of training images whose label gets one wrong attribute.
        n_duplicates: exact copies of training images added under new ids (>= 0).
        pixel_noise: standard deviation of the Gaussian pixel noise, in [0, 1] units.
    """
    if not isinstance(n_train, (int, np.integer)) or n_train < 2 * NUM_CLASSES:
        raise ValueError(f"n_train must be an int >= {2 * NUM_CLASSES}, got {n_train!r}")
    if not isinstance(n_test, (int, np.integer)) or n_test < NUM_CLASSES:
        raise ValueError(f"n_test must be an int >= {NUM_CLASSES}, got {n_test!r}")
    if not isinstance(size, (int, np.integer)) or not 16 <= size <= 128:
        raise ValueError(f"size must be an int in 16..128, got {size!r}")
    if not imbalance >= 1:
        raise ValueError(f"imbalance must be >= 1, got {imbalance!r}")
    if not 0 <= noise_rate <= 0.5:
        raise ValueError(f"noise_rate must be in [0, 0.5], got {noise_rate!r}")
    if not isinstance(n_duplicates, (int, np.integer)) or not 0 <= n_duplicates <= n_train:
        raise ValueError(f"n_duplicates must be an int in 0..n_train, got {n_duplicates!r}")
    rng = np.random.default_rng(seed)
    order = rng.permutation(NUM_CLASSES)                       # order[rank] = class
    weights = np.empty(NUM_CLASSES)
    weights[order] = float(imbalance) ** (-np.arange(NUM_CLASSES) / (NUM_CLASSES - 1))
    weights /= weights.sum()

    def draw(n: int) -> tuple[np.ndarray, np.ndarray]:
        labels = rng.permutation(np.repeat(np.arange(NUM_CLASSES), _class_counts(n, weights)))
        return np.stack([_render(rng, int(c), size, pixel_noise) for c in labels]), labels

    train_images, clean = draw(n_train)
    test_images, test_labels = draw(n_test)
    train_labels = clean.copy()
    noisy = rng.choice(n_train, size=int(round(noise_rate * n_train)), replace=False)
    for i in noisy:
        train_labels[i] = _flip_one_attribute(rng, int(train_labels[i]))
    sources = rng.choice(n_train, size=n_duplicates, replace=False)
    train_images = np.concatenate([train_images, train_images[sources]])
    train_labels = np.concatenate([train_labels, train_labels[sources]])
    shuffle = rng.permutation(len(train_images))               # copies land anywhere
    position = np.argsort(shuffle)                            # old index -> new index
    ids = [f"train_{i:05d}" for i in range(len(shuffle))]
    pairs = [(ids[position[s]], ids[position[n_train + k]]) for k, s in enumerate(sources)]
    noisy_all = set(noisy.tolist()) | {n_train + k for k, s in enumerate(sources) if s in set(noisy.tolist())}
    return Competition(train_images[shuffle], train_labels[shuffle].astype(np.int64), ids,
                       test_images, [f"test_{i:05d}" for i in range(n_test)], pairs,
                       sorted(ids[position[i]] for i in noisy_all), test_labels.astype(np.int64))


def score_submission(competition: Competition, submission) -> dict[str, float]:
    """The leaderboard: macro F1 and accuracy of a submission against the hidden test labels.

    ``submission`` is a pandas ``DataFrame`` with columns ``id`` and ``label`` (one row per
    test id, any order, integer labels 0..17). Raises ``ValueError`` naming what is wrong.
    """
    from sklearn.metrics import accuracy_score, f1_score

    if not isinstance(competition, Competition):
        raise TypeError(f"competition must be a Competition, got {type(competition).__name__}")
    columns = list(getattr(submission, "columns", []))
    if columns != ["id", "label"]:
        raise ValueError(f"submission must be a DataFrame with columns ['id', 'label'], got {columns}")
    if sorted(submission["id"]) != sorted(competition.test_ids) or submission["id"].duplicated().any():
        raise ValueError("submission ids must be exactly the test ids, each once")
    labels = submission["label"].to_numpy()
    if labels.dtype.kind not in "iu" or labels.min() < 0 or labels.max() >= NUM_CLASSES:
        raise ValueError(f"submission labels must be integers in 0..{NUM_CLASSES - 1}")
    truth = dict(zip(competition.test_ids, competition._test_labels))
    y_true = np.array([truth[i] for i in submission["id"]])
    return {"macro_f1": float(f1_score(y_true, labels, average="macro")),
            "accuracy": float(accuracy_score(y_true, labels))}


class CompetitionDataset(Dataset):
    """``uint8`` images ``(N, H, W, 3)`` (+ labels ``(N,)``) as ``(float (3, H, W) in [0, 1], label)``.

    Unlabelled images (the test split) get label ``-1``. ``transform`` is applied to the
    float tensor. Lives in course_utils so that ``DataLoader`` worker processes can import
    it (a class defined in a notebook cannot be pickled for spawned workers).
    """

    def __init__(self, images: np.ndarray, labels: np.ndarray | None = None,
                 transform: Callable | None = None) -> None:
        images = np.asarray(images)
        if images.dtype != np.uint8 or images.ndim != 4 or images.shape[-1] != 3:
            raise ValueError(f"images must be uint8 (N, H, W, 3), got {images.dtype} {images.shape}")
        if labels is not None and len(labels) != len(images):
            raise ValueError(f"labels must have one entry per image ({len(images)}), got {len(labels)}")
        self.images, self.labels, self.transform = images, labels, transform

    def __len__(self) -> int:
        return len(self.images)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, int]:
        x = torch.from_numpy(self.images[index]).permute(2, 0, 1).float() / 255.0
        if self.transform is not None:
            x = self.transform(x)
        return x, int(self.labels[index]) if self.labels is not None else -1


def small_cnn(num_classes: int = NUM_CLASSES, width: int = 16, dropout: float = 0.0) -> nn.Sequential:
    """The competition's small CNN: ``(N, 3, H, W)`` -> logits ``(N, num_classes)``.

    Three conv-BN-ReLU blocks (``width``, ``2*width``, ``2*width`` channels), two max-pools,
    global max pooling (is a corner or an edge anywhere?) and a linear head. The weights
    are stored channels-last (``memory_format=torch.channels_last``), faster on CPUs.
    """
    if not isinstance(width, int) or width < 1:
        raise ValueError(f"width must be a positive int, got {width!r}")
    if not isinstance(num_classes, int) or num_classes < 2:
        raise ValueError(f"num_classes must be an int >= 2, got {num_classes!r}")
    if not 0 <= dropout < 1:
        raise ValueError(f"dropout must be in [0, 1), got {dropout!r}")

    def block(c_in: int, c_out: int) -> list[nn.Module]:
        return [nn.Conv2d(c_in, c_out, 3, padding=1, bias=False), nn.BatchNorm2d(c_out), nn.ReLU()]

    net = nn.Sequential(*block(3, width), nn.MaxPool2d(2), *block(width, 2 * width), nn.MaxPool2d(2),
                        *block(2 * width, 2 * width), nn.AdaptiveMaxPool2d(1), nn.Flatten(),
                        nn.Dropout(dropout), nn.Linear(2 * width, num_classes))
    # channels-last weights make the CPU convolutions and pooling about a third faster here;
    # inputs may stay in the usual (N, C, H, W) layout.
    return net.to(memory_format=torch.channels_last)
