"""Semantic-segmentation metrics from a confusion matrix: pixel accuracy, IoU, mIoU.

Masks are integer tensors of class ids, ``pred`` (e.g. ``logits.argmax(1)``) and
``target`` of the same shape (``(H, W)``, ``(N, H, W)``, ...). The confusion matrix has
rows = true class and columns = predicted class, as ``sklearn.metrics.confusion_matrix``.
Drawing masks lives in ``viz`` (``viz.show_mask``, ``viz.mask_to_rgb``).
Introduced in 04_semantic_segmentation.
"""
from __future__ import annotations

import torch
from torch import Tensor


def _check_masks(pred: Tensor, target: Tensor, num_classes: int, ignore_index: int | None) -> None:
    if int(num_classes) != num_classes or num_classes < 1:
        raise ValueError(f"num_classes must be a positive int, got {num_classes!r}")
    for name, mask in (("pred", pred), ("target", target)):
        if not isinstance(mask, Tensor):
            raise ValueError(f"{name} must be a torch.Tensor, got {type(mask).__name__}")
        if mask.is_floating_point() or mask.is_complex() or mask.dtype == torch.bool:
            hint = " (take logits.argmax(dim=1) first)" if name == "pred" else ""
            raise ValueError(f"{name} must hold integer class ids, got dtype {mask.dtype}{hint}")
    if pred.shape != target.shape:
        raise ValueError(f"pred and target must have the same shape, "
                         f"got {tuple(pred.shape)} and {tuple(target.shape)}")
    kept = target if ignore_index is None else target[target != ignore_index]
    for name, values in (("pred", pred), ("target", kept)):
        if values.numel() and (values.min() < 0 or values.max() >= num_classes):
            extra = "" if ignore_index is None or name == "pred" else f" (or {ignore_index})"
            raise ValueError(f"{name} values must be in 0..{num_classes - 1}{extra}, "
                             f"got {int(values.min())}..{int(values.max())}")


def _check_cm(cm: Tensor) -> None:
    if not isinstance(cm, Tensor) or cm.ndim != 2 or cm.shape[0] != cm.shape[1]:
        shape = tuple(cm.shape) if isinstance(cm, Tensor) else type(cm).__name__
        raise ValueError(f"cm must be a square (C, C) tensor, got {shape}")
    if bool((cm < 0).any()):
        raise ValueError("cm must hold non-negative counts")


def confusion_matrix(pred: Tensor, target: Tensor, num_classes: int,
                     ignore_index: int | None = None) -> Tensor:
    """Pixel counts ``int64 Tensor[C, C]``: ``cm[i, j]`` pixels of true class ``i``
    predicted as ``j`` (rows = truth, as scikit-learn).

    ``pred`` and ``target``: integer masks of the same shape with values in
    ``0..num_classes - 1``; pixels where ``target == ignore_index`` (e.g. 255, VOC's
    object borders) are left out. Introduced in 04_semantic_segmentation.
    """
    _check_masks(pred, target, num_classes, ignore_index)
    pred, target = pred.flatten().long(), target.flatten().long()
    if ignore_index is not None:
        keep = target != ignore_index
        pred, target = pred[keep], target[keep]
    counts = torch.bincount(target * num_classes + pred, minlength=num_classes ** 2)
    return counts.reshape(num_classes, num_classes)


def pixel_accuracy(cm: Tensor) -> Tensor:
    """Fraction of pixels classified correctly, ``trace(cm) / cm.sum()``: a ``float64``
    scalar tensor in [0, 1], NaN for an empty matrix.

    ``cm``: ``Tensor[C, C]`` from ``confusion_matrix``. Introduced in 04_semantic_segmentation.
    """
    _check_cm(cm)
    cm = cm.double()
    return cm.diagonal().sum() / cm.sum()


def iou_per_class(cm: Tensor) -> Tensor:
    """Intersection over union of each class, ``float64 Tensor[C]`` in [0, 1].

    ``IoU_c = TP / (TP + FP + FN) = cm[c, c] / (row c + column c - cm[c, c])``. A class
    absent from both prediction and target has 0 / 0 = NaN ("not measured"), not 0 or 1;
    sklearn's ``jaccard_score`` reports 0 there with a warning.
    Introduced in 04_semantic_segmentation.
    """
    _check_cm(cm)
    cm = cm.double()
    tp = cm.diagonal()
    return tp / (cm.sum(dim=0) + cm.sum(dim=1) - tp)


def mean_iou(cm: Tensor) -> Tensor:
    """Mean of ``iou_per_class(cm)`` over the classes that occur (NaN ones skipped),
    a ``float64`` scalar tensor. Introduced in 04_semantic_segmentation."""
    return iou_per_class(cm).nanmean()


class ConfusionMatrix:
    """Accumulate a confusion matrix over batches, then compute the metrics once.

    In the spirit of torchvision's ``references/segmentation/utils.py``::

        metric = ConfusionMatrix(num_classes=4)
        for images, masks in loader:
            metric.update(net(images).argmax(dim=1), masks)
        metric.compute()   # {'pixel_accuracy': ..., 'iou_per_class': ..., 'mean_iou': ...}

    Introduced in 04_semantic_segmentation.
    """

    def __init__(self, num_classes: int, ignore_index: int | None = None) -> None:
        if int(num_classes) != num_classes or num_classes < 1:
            raise ValueError(f"num_classes must be a positive int, got {num_classes!r}")
        self.num_classes = int(num_classes)
        self.ignore_index = ignore_index
        self.mat = torch.zeros(self.num_classes, self.num_classes, dtype=torch.int64)

    def update(self, pred: Tensor, target: Tensor) -> None:
        """Add one batch: integer masks of the same shape (``(N, H, W)`` or ``(H, W)``)."""
        self.mat += confusion_matrix(pred, target, self.num_classes, self.ignore_index).cpu()

    def reset(self) -> None:
        """Forget every batch seen so far."""
        self.mat.zero_()

    def compute(self) -> dict[str, Tensor]:
        """``{'pixel_accuracy': Tensor[], 'iou_per_class': Tensor[C], 'mean_iou': Tensor[]}``
        over every pixel seen since the last ``reset``."""
        return {"pixel_accuracy": pixel_accuracy(self.mat),
                "iou_per_class": iou_per_class(self.mat), "mean_iou": mean_iou(self.mat)}

    def __repr__(self) -> str:
        m = self.compute()
        ious = ", ".join(f"{v:.3f}" for v in m["iou_per_class"].tolist())
        return (f"ConfusionMatrix(num_classes={self.num_classes}, pixels={int(self.mat.sum())}, "
                f"pixel_accuracy={float(m['pixel_accuracy']):.3f}, "
                f"mean_iou={float(m['mean_iou']):.3f}, iou_per_class=[{ious}])")
