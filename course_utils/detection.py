"""Object-detection helpers: box formats, IoU, NMS, anchors, box coding, anchor matching.

Names, argument orders and box formats follow ``torchvision.ops`` so a learner can check
each helper against the library. Boxes are ``Tensor[N, 4]``; ``'xyxy'`` is
``(x1, y1, x2, y2)`` with ``x2 >= x1`` and ``y2 >= y1``, ``'xywh'`` is ``(x1, y1, w, h)``
and ``'cxcywh'`` is ``(cx, cy, w, h)``, all in pixels. Every helper validates its input
and raises ``ValueError`` naming what it expected and what came in.

Degenerate inputs: an empty box list gives an empty result of the right shape, and a
zero-area box has IoU 0 with every box, itself included. (``torchvision.ops.box_iou``
gives 0 for a zero-area box against a box with positive area, but NaN = 0/0 when both
have zero area.) Average precision and mAP live in ``course_utils.detection_metrics``;
they are also reachable here (``detection.coco_map`` etc.). Introduced in 05_object_detection.
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import torch
from torch import Tensor

BOX_FORMATS = ("xyxy", "xywh", "cxcywh")
#: torchvision's BoxCoder clamps dw, dh at this value before ``exp`` (boxes <= 62.5x the anchor).
BBOX_XFORM_CLIP = math.log(1000.0 / 16)
#: names that moved to ``course_utils.detection_metrics``, still reachable as ``detection.<name>``
_METRIC_NAMES = ("AP_INTERPOLATIONS", "COCO_IOU_THRESHOLDS", "precision_recall_curve",
                 "average_precision", "match_detections", "mean_average_precision", "coco_map")


def __getattr__(name: str) -> Any:
    if name in _METRIC_NAMES:
        from . import detection_metrics
        return getattr(detection_metrics, name)
    raise AttributeError(f"module 'course_utils.detection' has no attribute {name!r}")


# ---------------------------------------------------------------- validation helpers
def _check_boxes(boxes: Tensor, name: str = "boxes", fmt: str = "xyxy") -> None:
    if not isinstance(boxes, Tensor):
        raise ValueError(f"{name} must be a torch.Tensor of shape (N, 4), got {type(boxes).__name__}")
    if boxes.ndim != 2 or boxes.shape[1] != 4:
        raise ValueError(f"{name} must have shape (N, 4), got {tuple(boxes.shape)}")
    bad = (boxes[:, 2] < boxes[:, 0]) | (boxes[:, 3] < boxes[:, 1])
    if fmt == "xyxy" and bool(bad.any()):
        i = int(bad.nonzero()[0])
        raise ValueError(f"{name} must be (x1, y1, x2, y2) with x2 >= x1 and y2 >= y1, got "
                         f"{boxes[i].tolist()} at row {i}; convert xywh or cxcywh boxes with "
                         "box_convert first")
    if fmt in ("xywh", "cxcywh") and bool((boxes[:, 2:] < 0).any()):
        raise ValueError(f"{name} in '{fmt}' format must have width and height >= 0")


def _check_format(fmt: str, name: str = "fmt") -> None:
    if fmt not in BOX_FORMATS:
        raise ValueError(f"{name}: unknown box format {fmt!r}; expected one of {BOX_FORMATS}")


def _check_threshold(value: float, name: str = "iou_threshold") -> None:
    if not 0.0 <= float(value) <= 1.0:
        raise ValueError(f"{name} must be in [0, 1], got {value}")


def _check_same_length(a: Tensor, b: Tensor, name_a: str, name_b: str) -> None:
    if b.ndim != 1 or len(b) != len(a):
        raise ValueError(f"{name_b} must have shape ({len(a)},) to match {name_a}, "
                         f"got {tuple(b.shape)}")


def _float(boxes: Tensor) -> Tensor:
    return boxes if boxes.is_floating_point() else boxes.float()


# ---------------------------------------------------------------- formats, area, IoU
def box_convert(boxes: Tensor, in_fmt: str, out_fmt: str) -> Tensor:
    """Convert ``boxes`` ``Tensor[N, 4]`` between ``'xyxy'``, ``'xywh'`` and ``'cxcywh'``.

    Returns a new ``Tensor[N, 4]`` (floating point) in ``out_fmt``, as
    ``torchvision.ops.box_convert``. Introduced in 05_object_detection.
    """
    _check_format(in_fmt, "in_fmt")
    _check_format(out_fmt, "out_fmt")
    _check_boxes(boxes, fmt=in_fmt)
    a, b, c, d = _float(boxes).unbind(-1)
    if in_fmt == "xywh":
        a, b, c, d = a, b, a + c, b + d
    elif in_fmt == "cxcywh":
        a, b, c, d = a - c / 2, b - d / 2, a + c / 2, b + d / 2
    if out_fmt == "xywh":
        a, b, c, d = a, b, c - a, d - b
    elif out_fmt == "cxcywh":
        a, b, c, d = (a + c) / 2, (b + d) / 2, c - a, d - b
    return torch.stack([a, b, c, d], dim=-1)


def box_area(boxes: Tensor) -> Tensor:
    """Area ``Tensor[N]`` of ``boxes`` ``Tensor[N, 4]`` in ``xyxy`` format.

    Introduced in 05_object_detection.
    """
    _check_boxes(boxes)
    boxes = _float(boxes)
    return (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])


def box_iou(boxes1: Tensor, boxes2: Tensor) -> Tensor:
    """Intersection over union of every pair: ``Tensor[N, M]`` with values in [0, 1].

    ``boxes1`` ``Tensor[N, 4]`` and ``boxes2`` ``Tensor[M, 4]`` in ``xyxy`` format.
    A pair whose union is empty (two zero-area boxes) has IoU 0, where torchvision
    gives NaN. Introduced in 05_object_detection.
    """
    _check_boxes(boxes1, "boxes1")
    _check_boxes(boxes2, "boxes2")
    area1, area2 = box_area(boxes1), box_area(boxes2)            # (N,), (M,)
    boxes1, boxes2 = _float(boxes1), _float(boxes2)
    top_left = torch.max(boxes1[:, None, :2], boxes2[None, :, :2])      # (N, M, 2)
    bottom_right = torch.min(boxes1[:, None, 2:], boxes2[None, :, 2:])  # (N, M, 2)
    wh = (bottom_right - top_left).clamp(min=0)
    inter = wh[..., 0] * wh[..., 1]                                     # (N, M)
    union = area1[:, None] + area2[None, :] - inter
    # union == 0 only when inter == 0; dividing by 1 there gives 0 and finite gradients.
    return inter / torch.where(union > 0, union, torch.ones_like(union))


# ---------------------------------------------------------------- NMS
def nms(boxes: Tensor, scores: Tensor, iou_threshold: float) -> Tensor:
    """Greedy non-maximum suppression.

    Visits ``boxes`` ``Tensor[N, 4]`` (``xyxy``) by decreasing ``scores`` ``Tensor[N]``,
    keeps a box, and drops every later box whose IoU with it is ``> iou_threshold``.
    Returns the kept indices, ``int64`` ``Tensor[K]``, sorted by decreasing score, as
    ``torchvision.ops.nms`` (tied scores are taken in index order; torchvision does not
    promise an order). Builds the full ``(N, N)`` IoU matrix: for teaching, not for
    thousands of boxes. Introduced in 05_object_detection.
    """
    _check_boxes(boxes)
    _check_same_length(boxes, scores, "boxes", "scores")
    _check_threshold(iou_threshold)
    order = torch.argsort(scores, descending=True, stable=True)
    iou = box_iou(boxes[order], boxes[order])                   # (N, N), sorted by score
    suppressed = torch.zeros(len(order), dtype=torch.bool)
    keep = []
    for i in range(len(order)):
        if not suppressed[i]:
            keep.append(i)
            suppressed |= iou[i] > iou_threshold
    return order[torch.tensor(keep, dtype=torch.int64)]


def batched_nms(boxes: Tensor, scores: Tensor, idxs: Tensor, iou_threshold: float) -> Tensor:
    """NMS run separately for each category: boxes with different ``idxs`` never suppress
    each other.

    ``boxes`` ``Tensor[N, 4]`` (``xyxy``), ``scores`` ``Tensor[N]``, ``idxs`` integer
    ``Tensor[N]`` (class labels). Returns kept indices ``int64 Tensor[K]`` sorted by
    decreasing score, as ``torchvision.ops.batched_nms``. Introduced in 05_object_detection.
    """
    _check_boxes(boxes)
    _check_same_length(boxes, scores, "boxes", "scores")
    _check_same_length(boxes, idxs, "boxes", "idxs")
    _check_threshold(iou_threshold)
    groups = [torch.nonzero(idxs == c).flatten() for c in torch.unique(idxs)]
    kept = [members[nms(boxes[members], scores[members], iou_threshold)] for members in groups]
    keep = torch.cat(kept) if kept else torch.zeros(0, dtype=torch.int64)
    return keep[torch.argsort(scores[keep], descending=True, stable=True)]


# ---------------------------------------------------------------- anchors and box coding
def make_anchors(feature_size: tuple[int, int], stride: float,
                 scales: Sequence[float] = (32.0, 64.0, 128.0),
                 ratios: Sequence[float] = (0.5, 1.0, 2.0)) -> Tensor:
    """Anchor boxes ``Tensor[h * w * len(ratios) * len(scales), 4]`` in ``xyxy`` pixels.

    ``feature_size`` is ``(h, w)`` of the feature map and ``stride`` its step in input
    pixels; the anchors of cell ``(i, j)`` are centred on ``((j + 0.5) * stride,
    (i + 0.5) * stride)``. An anchor of scale ``s`` (pixels) and ratio ``r = height /
    width`` has area ``s**2``: width ``s / sqrt(r)``, height ``s * sqrt(r)``.
    Ordering (as torchvision's ``AnchorGenerator``): cells row by row, then ratios, then
    scales, i.e. row ``((i * w + j) * len(ratios) + k) * len(scales) + m``.
    3 scales x 3 ratios = 9 anchors per cell, as in Faster R-CNN.
    Introduced in 05_object_detection.
    """
    if len(feature_size) != 2 or any(int(n) != n or n < 1 for n in feature_size) or stride <= 0:
        raise ValueError(f"feature_size must be two positive ints and stride > 0, "
                         f"got {feature_size} and {stride}")
    h, w = int(feature_size[0]), int(feature_size[1])
    scales_t = torch.as_tensor(scales, dtype=torch.float32).flatten()
    ratios_t = torch.as_tensor(ratios, dtype=torch.float32).flatten()
    if len(scales_t) == 0 or len(ratios_t) == 0 or (scales_t <= 0).any() or (ratios_t <= 0).any():
        raise ValueError(f"scales and ratios must be non-empty and positive, got {scales}, {ratios}")
    ws = (scales_t[None, :] / ratios_t.sqrt()[:, None]).flatten()     # (R * S,)
    hs = (scales_t[None, :] * ratios_t.sqrt()[:, None]).flatten()
    base = torch.stack([-ws, -hs, ws, hs], dim=1) / 2                   # centred on (0, 0)
    cy, cx = torch.meshgrid((torch.arange(h) + 0.5) * stride,
                            (torch.arange(w) + 0.5) * stride, indexing="ij")
    centres = torch.stack([cx, cy, cx, cy], dim=-1).reshape(-1, 1, 4)  # (h * w, 1, 4)
    return (centres + base[None]).reshape(-1, 4)


def _centre_size(boxes: Tensor, name: str) -> tuple[Tensor, ...]:
    _check_boxes(boxes, name)
    cx, cy, w, h = box_convert(boxes, "xyxy", "cxcywh").unbind(-1)
    if bool(((w <= 0) | (h <= 0)).any()):
        raise ValueError(f"{name} must have positive width and height (the coding divides "
                         "by them and takes their log)")
    return cx, cy, w, h


def encode_boxes(gt: Tensor, anchors: Tensor,
                 weights: tuple[float, float, float, float] = (1.0, 1.0, 1.0, 1.0)) -> Tensor:
    """Regression targets ``Tensor[N, 4]`` ``(dx, dy, dw, dh)`` of ``gt`` w.r.t. ``anchors``.

    Both ``Tensor[N, 4]`` in ``xyxy`` with positive width and height; row ``i`` of
    ``gt`` is coded relative to row ``i`` of ``anchors`` (Faster R-CNN)::

        dx = wx * (gx - ax) / aw     dw = ww * log(gw / aw)
        dy = wy * (gy - ay) / ah     dh = wh * log(gh / ah)

    with ``(x, y)`` box centres; torchvision's Faster R-CNN uses ``weights=(1, 1, 1, 1)``
    for the RPN and ``(10, 10, 5, 5)`` for the box head. Inverse of ``decode_boxes``.
    Introduced in 05_object_detection.
    """
    if gt.shape != anchors.shape:
        raise ValueError(f"gt and anchors must have the same shape (N, 4), "
                         f"got {tuple(gt.shape)} and {tuple(anchors.shape)}")
    gx, gy, gw, gh = _centre_size(gt, "gt")
    ax, ay, aw, ah = _centre_size(anchors, "anchors")
    wx, wy, ww, wh = weights
    return torch.stack([wx * (gx - ax) / aw, wy * (gy - ay) / ah,
                        ww * torch.log(gw / aw), wh * torch.log(gh / ah)], dim=-1)


def decode_boxes(deltas: Tensor, anchors: Tensor,
                 weights: tuple[float, float, float, float] = (1.0, 1.0, 1.0, 1.0),
                 clip: float | None = BBOX_XFORM_CLIP) -> Tensor:
    """Boxes ``Tensor[N, 4]`` in ``xyxy`` from ``deltas`` ``(dx, dy, dw, dh)`` ``Tensor[N, 4]``
    and ``anchors`` ``Tensor[N, 4]`` (``xyxy``); the inverse of ``encode_boxes``.

    ``dw / ww`` and ``dh / wh`` are clamped at ``clip`` (torchvision's ``log(1000 / 16)``)
    so a wild prediction cannot overflow ``exp``; ``clip=None`` turns this off.
    Introduced in 05_object_detection.
    """
    if deltas.ndim != 2 or deltas.shape != anchors.shape:
        raise ValueError(f"deltas and anchors must have the same shape (N, 4), "
                         f"got {tuple(deltas.shape)} and {tuple(anchors.shape)}")
    ax, ay, aw, ah = _centre_size(anchors, "anchors")
    wx, wy, ww, wh = weights
    dx, dy, dw, dh = deltas.unbind(-1)
    dw, dh = dw / ww, dh / wh
    if clip is not None:
        dw, dh = dw.clamp(max=clip), dh.clamp(max=clip)
    boxes = torch.stack([ax + dx / wx * aw, ay + dy / wy * ah, aw * dw.exp(), ah * dh.exp()], -1)
    return box_convert(boxes, "cxcywh", "xyxy")


# ---------------------------------------------------------------- anchor matching
def match_anchors(anchors: Tensor, gt_boxes: Tensor, fg_iou: float = 0.5,
                  bg_iou: float = 0.4) -> Tensor:
    """Assign each anchor a ground-truth box: ``int64 Tensor[A]``.

    ``anchors`` ``Tensor[A, 4]`` and ``gt_boxes`` ``Tensor[G, 4]`` in ``xyxy``. Each
    anchor takes the gt it overlaps most: its index if that IoU is ``>= fg_iou``,
    ``-1`` (background) if ``< bg_iou``, ``-2`` (ignored in the loss) in between. Then
    each gt's best anchor(s) (ties included) become foreground, as torchvision's
    ``Matcher(fg_iou, bg_iou, allow_low_quality_matches=True)``: such an anchor takes
    *its own* best gt. One difference: a gt that overlaps no anchor at all is skipped,
    where torchvision would turn every anchor with IoU 0 into a match. No gt (``G = 0``):
    all anchors are background. Introduced in 05_object_detection.
    """
    _check_threshold(fg_iou, "fg_iou")
    _check_threshold(bg_iou, "bg_iou")
    if bg_iou > fg_iou:
        raise ValueError(f"need bg_iou <= fg_iou, got bg_iou={bg_iou} and fg_iou={fg_iou}")
    iou = box_iou(gt_boxes, anchors)                                    # (G, A)
    if iou.shape[0] == 0 or iou.shape[1] == 0:
        return torch.full((iou.shape[1],), -1, dtype=torch.int64)
    best_iou, matches = iou.max(dim=0)                                  # (A,)
    result = matches.clone()
    result[best_iou < fg_iou] = -2
    result[best_iou < bg_iou] = -1
    best_per_gt = iou.max(dim=1, keepdim=True).values                   # (G, 1)
    is_best = (iou == best_per_gt) & (best_per_gt > 0)
    low_quality = is_best.any(dim=0)                                    # (A,)
    result[low_quality] = matches[low_quality]
    return result
