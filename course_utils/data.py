"""Offline datasets as tensors and loaders: digits, photos and the shapes scenes.

Nothing here downloads: the digits and photos ship inside scikit-learn and
scikit-image, the shapes scenes are generated from a seed (``course_utils.shapes``).
Introduced in 00_start_here.
"""
from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset, Subset, TensorDataset

from ._validate import check_int, check_number, check_sequence, describe
from .shapes import ShapesScenes

#: Photos bundled with scikit-image (no download needed), by name.
PHOTOS = ("astronaut", "chelsea", "coffee", "rocket", "camera", "cat", "horse", "page")
DIGIT_CLASSES = tuple(str(d) for d in range(10))


def image_to_tensor(image: np.ndarray) -> torch.Tensor:
    """``uint8`` image ``(H, W)`` or ``(H, W, C)`` in 0..255 -> ``float32`` ``(C, H, W)`` in [0, 1].

    A NumPy array, or a ``uint8`` tensor in the same channels-last layout. A
    channels-first ``(C, H, W)`` image (C in 1, 3, 4 and a last axis that is not) is an
    error: it is already a tensor layout, and transposing it again would scramble it.
    """
    if hasattr(image, "detach"):
        image = image.detach().cpu().numpy()
    image = np.asarray(image)
    if image.dtype != np.uint8:
        raise TypeError(f"image: expected a uint8 image with values 0..255, got dtype {image.dtype}"
                        + (" (a float image in [0, 1] is already converted)" if image.dtype.kind == "f" else ""))
    if image.ndim == 2:
        image = image[..., None]
    if image.ndim != 3:
        raise ValueError(f"image: expected an image of shape (H, W) or (H, W, C), got {image.shape}")
    if image.shape[0] in (1, 3, 4) and image.shape[-1] not in (1, 3, 4):
        raise ValueError(f"image: expected channels last (H, W, C), got shape {image.shape}, which looks "
                         f"channels-first (C, H, W); pass image.transpose(1, 2, 0) (a tensor: "
                         f"image.permute(1, 2, 0)) or use it as it is")
    return torch.from_numpy(np.ascontiguousarray(image.transpose(2, 0, 1))).float() / 255.0


def load_photo(name: str = "astronaut", max_side: int | None = None) -> np.ndarray:
    """A photo from scikit-image's bundled data as ``uint8`` ``(H, W, 3)`` (gray photos
    as ``(H, W)``). ``name`` is one of ``PHOTOS``; ``max_side`` shrinks the photo
    (anti-aliased) so that its longer side is at most that many pixels."""
    if name not in PHOTOS:
        raise ValueError(f"name: unknown photo {name!r}; choose one of {PHOTOS}")
    if max_side is not None and (not isinstance(max_side, int) or max_side < 8):
        raise ValueError(f"max_side must be an int >= 8 or None, got {max_side!r}")
    from skimage import data as skdata

    photo = getattr(skdata, name)()
    if photo.dtype == bool:
        photo = photo.astype(np.uint8) * 255
    photo = photo[..., :3] if photo.ndim == 3 else photo
    if max_side is not None and max(photo.shape[:2]) > max_side:
        from skimage.transform import rescale

        scale = max_side / max(photo.shape[:2])
        small = rescale(photo, scale, anti_aliasing=True, channel_axis=-1 if photo.ndim == 3 else None)
        photo = np.round(small * 255).astype(np.uint8)
    return photo


@lru_cache(maxsize=4)
def _digits(size: int) -> tuple[torch.Tensor, torch.Tensor]:
    from sklearn.datasets import load_digits as sk_load_digits

    bunch = sk_load_digits()
    X = torch.tensor(bunch.images, dtype=torch.float32).unsqueeze(1) / 16.0   # (N, 1, 8, 8)
    X = torch.nn.functional.interpolate(X, size=(size, size), mode="bilinear",
                                        align_corners=False).clamp(0.0, 1.0)
    return X, torch.tensor(bunch.target, dtype=torch.int64)


def load_digits(size: int = 32) -> tuple[torch.Tensor, torch.Tensor]:
    """All 1,797 handwritten digits of scikit-learn, upsampled from 8x8.

    What the data are: scikit-learn's copy of the *test* part of the UCI "Optical
    Recognition of Handwritten Digits" set, written by about 13 people. Each original is
    a 32x32 black-and-white bitmap reduced to 8x8 counts (0..16) of the ink pixels in
    each 4x4 block; here those 64 counts are scaled to [0, 1] and upsampled bilinearly
    to ``size`` x ``size``, so a 32x32 digit holds no more information than its 8x8
    counts. Every split of these images shares writers between its parts, so accuracy
    on a held-out part is optimistic for a stranger's handwriting.

    Returns:
        ``X``: ``float32`` ``(1797, 1, size, size)`` in [0, 1]; ``y``: ``int64`` ``(1797,)`` in 0..9.
    """
    if not isinstance(size, int) or not 8 <= size <= 128:
        raise ValueError(f"size must be an int in 8..128, got {size!r}")
    X, y = _digits(size)
    return X.clone(), y.clone()


def digits_datasets(size: int = 32, classes: Sequence[int] | None = None,
                    test_size: float = 0.25, seed: int = 0) -> tuple[TensorDataset, TensorDataset]:
    """Fixed, stratified train/test split of the digits as ``TensorDataset`` s.

    The split is random over images, not over writers: the same ~13 people wrote digits
    on both sides (see :func:`load_digits`), so the test accuracy is optimistic. Carve a
    validation set out of the training split with :func:`train_val_split`.

    ``classes`` keeps only those digits and relabels them 0..len(classes)-1 in the
    given order (used for transfer learning: pretrain on 0-4, transfer to 5-9).
    """
    from sklearn.model_selection import train_test_split

    check_number("test_size", test_size, low=0.0, high=1.0, low_open=True, high_open=True)
    check_int("seed", seed, low=0)
    X, y = load_digits(size)
    idx_train, idx_test = train_test_split(np.arange(len(y)), test_size=test_size,
                                           random_state=seed, stratify=y.numpy())
    idx_train, idx_test = np.sort(idx_train), np.sort(idx_test)
    if classes is not None:
        classes = check_sequence("classes", classes)
        if not classes or len(set(classes)) != len(classes) or not set(classes) <= set(range(10)):
            raise ValueError(f"classes must be distinct digits 0..9, got {classes}")
        lookup = torch.full((10,), -1, dtype=torch.int64)
        lookup[classes] = torch.arange(len(classes))
        keep = lambda idx: idx[np.isin(y[idx].numpy(), classes)]  # noqa: E731
        idx_train, idx_test = keep(idx_train), keep(idx_test)
        y = lookup[y]
    return (TensorDataset(X[idx_train], y[idx_train]), TensorDataset(X[idx_test], y[idx_test]))


def train_val_split(dataset: Dataset, val_size: float = 0.2, seed: int = 0) -> tuple[Subset, Subset]:
    """Split a labelled dataset into a training and a **validation** ``Subset``, stratified.

    The validation part is for choices (k, learning rate, epochs, threshold); the test
    split stays untouched until the one final measurement. Labels come from
    :func:`labels_of`; ``val_size`` is a fraction in (0, 1) and the split is fixed by
    ``seed`` (scikit-learn's ``train_test_split``), indices in increasing order.
    Introduced in 01_cnn_basics.
    """
    from sklearn.model_selection import train_test_split

    if isinstance(val_size, bool) or not isinstance(val_size, float) or not 0.0 < val_size < 1.0:
        raise ValueError(f"val_size must be a float in (0, 1), got {val_size!r}")
    check_int("seed", seed, low=0)
    y = labels_of(dataset).numpy()
    idx_train, idx_val = train_test_split(np.arange(len(y)), test_size=val_size,
                                          random_state=seed, stratify=y)
    return Subset(dataset, np.sort(idx_train).tolist()), Subset(dataset, np.sort(idx_val).tolist())


def load_data_digits(batch_size: int = 64, size: int = 32, classes: Sequence[int] | None = None,
                     seed: int = 0) -> tuple[DataLoader, DataLoader]:
    """Train and test ``DataLoader`` s of the digits (train shuffled with a seeded generator)."""
    train, test = digits_datasets(size=size, classes=classes, seed=seed)
    return make_loaders(train, test, batch_size=batch_size, seed=seed)


def make_loaders(train: Dataset, test: Dataset, batch_size: int = 64, seed: int = 0,
                 collate_fn=None) -> tuple[DataLoader, DataLoader]:
    """A shuffled (seeded) loader of ``train`` and an ordered loader of ``test`` (pass a
    validation set there while making choices, the test set for the final measurement)."""
    if not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"batch_size must be a positive int, got {batch_size!r}")
    check_int("seed", seed, low=0)
    for name, dataset in (("train", train), ("test", test)):
        if isinstance(dataset, (torch.Tensor, np.ndarray)) or not hasattr(dataset, "__getitem__"):
            raise TypeError(f"{name} must be a Dataset of (x, y) pairs, got {describe(dataset)}; "
                            f"wrap tensors as TensorDataset(X, y)")
    gen = torch.Generator().manual_seed(seed)
    return (DataLoader(train, batch_size=batch_size, shuffle=True, generator=gen,
                       collate_fn=collate_fn),
            DataLoader(test, batch_size=batch_size, shuffle=False, collate_fn=collate_fn))


def labels_of(dataset: Dataset) -> torch.Tensor:
    """The ``int64`` labels ``(N,)`` of a ``TensorDataset`` or ``Subset`` of one."""
    if isinstance(dataset, Subset):
        return labels_of(dataset.dataset)[torch.as_tensor(dataset.indices)]
    if isinstance(dataset, TensorDataset):
        return dataset.tensors[1]
    if isinstance(dataset, ShapesDataset):
        return torch.as_tensor(dataset.scenes.class_labels())
    raise TypeError(f"dataset: expected a TensorDataset, ShapesDataset or a Subset of one, "
                    f"got {type(dataset).__name__}")


def few_labels(dataset: Dataset, per_class: int, seed: int = 0) -> Subset:
    """A ``Subset`` with ``per_class`` randomly chosen examples of every class."""
    if not isinstance(per_class, int) or per_class < 1:
        raise ValueError(f"per_class must be a positive int, got {per_class!r}")
    check_int("seed", seed, low=0)
    y = labels_of(dataset)
    gen = torch.Generator().manual_seed(seed)
    chosen = []
    for c in torch.unique(y):
        idx = torch.nonzero(y == c).flatten()
        if len(idx) < per_class:
            raise ValueError(f"class {int(c)} has only {len(idx)} examples, {per_class} requested")
        chosen.append(idx[torch.randperm(len(idx), generator=gen)[:per_class]])
    return Subset(dataset, torch.cat(chosen).sort().values.tolist())


class ShapesDataset(Dataset):
    """Shapes scenes as a torch ``Dataset`` for one task.

    ``task``:
        ``"classification"``: ``(image, label)`` with label 0..2 of the first object.
        ``"multilabel"``: ``(image, targets)`` with ``targets`` ``float32`` ``(3,)``.
        ``"segmentation"``: ``(image, mask)`` with ``mask`` ``int64`` ``(H, W)`` in 0..3.
        ``"detection"``: ``(image, target)`` with ``target`` a dict of ``boxes``
        ``float32`` ``(K, 4)`` xyxy, ``labels`` ``int64`` ``(K,)`` in 1..3 and ``masks``
        ``bool`` ``(K, H, W)``, as torchvision's detection models expect.
    Images are ``float32`` ``(3, H, W)`` in [0, 1].
    """

    TASKS = ("classification", "multilabel", "segmentation", "detection")

    def __init__(self, scenes: ShapesScenes, task: str = "classification"):
        if task not in self.TASKS:
            raise ValueError(f"task must be one of {self.TASKS}, got {task!r}")
        if not isinstance(scenes, ShapesScenes):
            raise TypeError(f"scenes must be a shapes.ShapesScenes (from shapes.make_shapes_scenes), "
                            f"got {describe(scenes)}")
        self.scenes, self.task = scenes, task
        self.images = torch.from_numpy(scenes.images).permute(0, 3, 1, 2).float() / 255.0
        self._labels = torch.as_tensor(scenes.class_labels())
        self._multi = torch.from_numpy(scenes.multilabel_targets())
        self._masks = torch.from_numpy(scenes.masks).long()

    def __len__(self) -> int:
        return len(self.images)

    def __getitem__(self, i: int):
        image = self.images[i]
        if self.task == "classification":
            return image, self._labels[i]
        if self.task == "multilabel":
            return image, self._multi[i]
        if self.task == "segmentation":
            return image, self._masks[i]
        return image, {"boxes": torch.from_numpy(self.scenes.boxes[i]),
                       "labels": torch.from_numpy(self.scenes.labels[i]),
                       "masks": torch.from_numpy(self.scenes.instance_masks[i])}


def detection_collate(batch):
    """Collate ``(image, target)`` pairs into a stacked image batch and a list of targets."""
    batch = check_sequence("batch", batch)
    if not batch or not all(isinstance(p, (tuple, list)) and len(p) == 2 for p in batch):
        raise ValueError(f"batch must be a non-empty list of (image, target) pairs, got "
                         f"{describe(batch)}" + (f" whose first item is {describe(batch[0])}" if batch else ""))
    images, targets = zip(*batch)
    return torch.stack(images), list(targets)
