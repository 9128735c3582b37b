"""Detection metrics: precision-recall, average precision (all-point and 101-point), mAP, COCO mAP.

Detections and ground truth follow torchvision / torchmetrics: one dict per image,
``{'boxes': Tensor[K, 4] xyxy, 'scores': Tensor[K], 'labels': Tensor[K]}`` for
predictions and ``{'boxes': Tensor[G, 4], 'labels': Tensor[G]}`` for targets. Box
helpers (IoU, NMS, anchors) are in ``course_utils.detection``, which also re-exports
these names. What is measured (``tests/test_detection_metrics.py``): with
``interpolation='101_points'``, ``coco_map`` equals pycocotools' COCOeval (through
torchmetrics' ``backend='pycocotools'``) to float precision when every image has at
most 100 detections (pycocotools' cap).
Introduced in 05_object_detection.
"""
from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import torch
from torch import Tensor

from .detection import _check_boxes, _check_same_length, _check_threshold, box_iou

AP_INTERPOLATIONS = ("all_points", "101_points")
COCO_IOU_THRESHOLDS = tuple(round(0.5 + 0.05 * i, 2) for i in range(10))  # .5:.05:.95


# ---------------------------------------------------------------- average precision
def _check_ranked(scores: Tensor, is_true_positive: Tensor, num_gt: int) -> None:
    if scores.ndim != 1:
        raise ValueError(f"scores must have shape (K,), got {tuple(scores.shape)}")
    _check_same_length(scores, is_true_positive, "scores", "is_true_positive")
    if is_true_positive.dtype != torch.bool:
        raise ValueError(f"is_true_positive must be a bool tensor, got {is_true_positive.dtype}")
    if int(num_gt) != num_gt or num_gt < int(is_true_positive.sum()):
        raise ValueError(f"num_gt must be an int >= the number of true positives "
                         f"({int(is_true_positive.sum())}), got {num_gt}")


def precision_recall_curve(scores: Tensor, is_true_positive: Tensor,
                           num_gt: int) -> tuple[Tensor, Tensor]:
    """Precision and recall after each detection, by decreasing score, for one class.

    ``scores`` ``Tensor[K]`` and ``is_true_positive`` bool ``Tensor[K]`` (detections of
    all images pooled, e.g. from ``match_detections``); ``num_gt`` ground-truth boxes of
    the class. Returns two ``float64 Tensor[K]``: raw precision (not the envelope) and
    recall (NaN when ``num_gt == 0``). Introduced in 05_object_detection.
    """
    _check_ranked(scores, is_true_positive, num_gt)
    order = torch.argsort(scores, descending=True, stable=True)
    tp = is_true_positive[order].double().cumsum(0)
    ranks = torch.arange(1, len(order) + 1, dtype=torch.float64)
    recall = tp / num_gt if num_gt > 0 else torch.full_like(tp, math.nan)
    return tp / ranks, recall


def average_precision(scores: Tensor, is_true_positive: Tensor, num_gt: int,
                      interpolation: str = "all_points") -> float:
    """Area under the precision-recall curve of one class, in [0, 1].

    Arguments as ``precision_recall_curve``. Precision is first replaced by its monotone
    envelope ``p(r) = max precision at recall >= r``. ``'all_points'`` (PASCAL VOC 2010+)
    sums the envelope over every recall step; ``'101_points'`` averages it at recall
    0, 0.01, ..., 1 exactly as pycocotools' COCOeval does (measured equal to float
    precision in ``tests/test_detection_metrics.py``; torchmetrics with its pycocotools
    backend gives the same numbers). The two interpolations usually differ by less than
    0.01. ``num_gt == 0`` gives NaN (AP undefined). Introduced in 05_object_detection.
    """
    if interpolation not in AP_INTERPOLATIONS:
        raise ValueError(f"unknown interpolation {interpolation!r}; expected one of "
                         f"{AP_INTERPOLATIONS}")
    precision, recall = precision_recall_curve(scores, is_true_positive, num_gt)
    if num_gt == 0:
        return math.nan
    if len(precision) == 0:
        return 0.0
    envelope = precision.flip(0).cummax(0).values.flip(0)
    if interpolation == "101_points":
        # np.linspace, as pycocotools: its 0.7 is 0.7000000000000001, which decides
        # whether a recall of exactly 7/10 reaches the 0.7 point.
        thresholds = torch.from_numpy(np.linspace(0.0, 1.0, 101))
        idx = torch.searchsorted(recall, thresholds)         # first recall >= threshold
        sampled = envelope[idx.clamp(max=len(recall) - 1)]
        return float(torch.where(idx < len(recall), sampled, 0.0).mean())
    steps = torch.diff(recall, prepend=recall.new_zeros(1))
    return float((steps * envelope).sum())


# ---------------------------------------------------------------- mAP over a dataset
def _check_detections(preds: Sequence[dict], targets: Sequence[dict]) -> None:
    for name, value in (("preds", preds), ("targets", targets)):
        if isinstance(value, dict):
            raise TypeError(f"{name}: expected a list with one dict per image, got a single "
                            f"dict; for one image pass [{name}]")
        if not isinstance(value, (list, tuple)) or not all(isinstance(d, dict) for d in value):
            raise TypeError(f"{name}: expected a list of dicts (one per image), got "
                            f"{type(value).__name__}")
    if len(preds) != len(targets):
        raise ValueError(f"preds and targets must list the same images, got {len(preds)} "
                         f"and {len(targets)}")
    for i, (p, t) in enumerate(zip(preds, targets)):
        for d, keys, name in ((p, ("boxes", "scores", "labels"), "preds"),
                              (t, ("boxes", "labels"), "targets")):
            missing = [k for k in keys if k not in d]
            if missing:
                raise ValueError(f"{name}[{i}] lacks keys {missing}; expected {keys}")
            _check_boxes(d["boxes"], f"{name}[{i}]['boxes']")
            for k in keys[1:]:
                _check_same_length(d["boxes"], d[k], f"{name}[{i}]['boxes']", f"{name}[{i}][{k!r}]")


def match_detections(preds: Sequence[dict], targets: Sequence[dict], label: int,
                     iou_threshold: float = 0.5) -> tuple[Tensor, Tensor, int]:
    """Mark the detections of class ``label`` as true or false positives.

    ``preds``: one dict per image, ``{'boxes': Tensor[K, 4] xyxy, 'scores': Tensor[K],
    'labels': Tensor[K]}``; ``targets``: ``{'boxes': Tensor[G, 4], 'labels': Tensor[G]}``
    (torchvision / torchmetrics conventions). In each image, detections are visited by
    decreasing score and each takes the still unmatched gt of its class with the highest
    IoU, if that IoU is ``>= iou_threshold`` (true positive); each gt is matched at most
    once (COCO's rule). Returns ``(scores Tensor[D], is_true_positive bool Tensor[D],
    num_gt)`` pooled over images. Introduced in 05_object_detection.
    """
    _check_detections(preds, targets)
    _check_threshold(iou_threshold)
    all_scores, all_tp, num_gt = [], [], 0
    for p, t in zip(preds, targets):
        gt = t["boxes"][t["labels"] == label]
        sel = p["labels"] == label
        boxes, scores = p["boxes"][sel], p["scores"][sel]
        order = torch.argsort(scores, descending=True, stable=True)
        iou = box_iou(boxes[order], gt)                                 # (K, G)
        taken = torch.zeros(len(gt), dtype=torch.bool)
        tp = torch.zeros(len(order), dtype=torch.bool)
        for k in range(len(order)):
            free = iou[k].masked_fill(taken, -1.0)
            if len(gt) and free.max() >= iou_threshold:
                taken[free.argmax()] = tp[k] = True
        all_scores.append(scores[order].float())
        all_tp.append(tp)
        num_gt += len(gt)
    return torch.cat(all_scores), torch.cat(all_tp), num_gt


def mean_average_precision(preds: Sequence[dict], targets: Sequence[dict],
                           iou_threshold: float = 0.5,
                           interpolation: str = "all_points") -> dict[str, Tensor]:
    """mAP at one IoU threshold (PASCAL VOC style at the default 0.5).

    ``preds`` and ``targets`` as in ``match_detections``. Returns ``{'map': Tensor[]``
    (mean over classes that have ground truth), ``'map_per_class': float64 Tensor[C]``,
    ``'classes': int64 Tensor[C]}``, the classes being every label in preds or targets;
    a class with no ground truth gets NaN and is left out of the mean (COCO does the
    same; torchmetrics reports it as -1). Introduced in 05_object_detection.
    """
    _check_detections(preds, targets)
    labels = [d["labels"].long() for d in (*preds, *targets)]
    classes = torch.unique(torch.cat(labels)) if labels else torch.zeros(0, dtype=torch.int64)
    aps = [average_precision(*match_detections(preds, targets, int(c), iou_threshold),
                             interpolation=interpolation) for c in classes]
    per_class = torch.tensor(aps, dtype=torch.float64)
    return {"map": per_class.nanmean(), "map_per_class": per_class, "classes": classes}


def coco_map(preds: Sequence[dict], targets: Sequence[dict],
             iou_thresholds: Sequence[float] = COCO_IOU_THRESHOLDS,
             interpolation: str = "101_points") -> dict[str, Tensor]:
    """COCO-style mAP: ``mean_average_precision`` averaged over IoU 0.5:0.05:0.95.

    Returns ``{'map', 'map_50', 'map_75'`` (scalars), ``'map_per_class'`` (averaged over
    thresholds), ``'classes'}``. Unlike pycocotools there is no per-image cap of 100
    detections and no area ranges or crowd boxes. Introduced in 05_object_detection.
    """
    if len(iou_thresholds) == 0:
        raise ValueError("iou_thresholds must list at least one threshold")
    results = [mean_average_precision(preds, targets, t, interpolation) for t in iou_thresholds]
    per_class = torch.stack([r["map_per_class"] for r in results]).mean(0)
    at = {round(float(t), 2): r["map"] for t, r in zip(iou_thresholds, results)}
    return {"map": per_class.nanmean(), "map_50": at.get(0.5, torch.tensor(math.nan)),
            "map_75": at.get(0.75, torch.tensor(math.nan)), "map_per_class": per_class,
            "classes": results[0]["classes"]}
