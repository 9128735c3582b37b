"""Centre-based one-stage detection (CenterNet, "Objects as Points"): targets, loss, decoding.

An object is the peak of a class heatmap at its box centre, plus a box size and the
centre's sub-cell offset read at that peak. With an output stride ``s`` (4 in the
course), cell ``(i, j)`` covers input pixels ``[s*j, s*j + s) x [s*i, s*i + s)``:

- heatmap ``(C, h, w)``: an elliptical Gaussian around each centre cell (TTFNet's
  ``sigma = alpha * size / 6`` per axis, in cells), 1 exactly at the centre cell;
- size ``(2, h, w)``: ``log(box_w / s), log(box_h / s)`` at centre cells;
- offset ``(2, h, w)``: ``cx / s - j, cy / s - i`` in [0, 1) at centre cells.

Model outputs follow ``models.CenterNetLite``: ``(N, C + 4, h, w)`` = heatmap logits,
size, offset. Boxes are torchvision's ``xyxy`` pixels; labels 1..C (0 is background).
Introduced in 05_object_detection.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

from .detection import _check_boxes, _check_same_length


def _check_stride(stride: int) -> None:
    if isinstance(stride, bool) or not isinstance(stride, (int, float)) or int(stride) != stride \
            or stride < 1:
        raise ValueError(f"stride must be a positive int (the model's output stride, 4 for "
                         f"CenterNetLite), got {stride!r}")


def _check_stride_size(image_size: tuple[int, int], stride: int) -> tuple[int, int]:
    _check_stride(stride)
    if len(image_size) != 2 or any(int(n) != n or n < 1 or n % stride for n in image_size):
        raise ValueError(f"image_size must be (H, W), both positive multiples of stride={stride}, "
                         f"got {image_size}")
    return int(image_size[0]) // stride, int(image_size[1]) // stride


def encode_targets(boxes: Tensor, labels: Tensor, num_classes: int, image_size: tuple[int, int],
                   stride: int = 4, alpha: float = 0.54) -> dict[str, Tensor]:
    """Training targets of one image.

    ``boxes`` ``Tensor[K, 4]`` (``xyxy`` pixels, positive width and height), ``labels``
    ``int64 Tensor[K]`` in 1..``num_classes``; ``image_size`` ``(H, W)``. Returns
    ``{'heatmap': Tensor[C, h, w], 'size': Tensor[2, h, w], 'offset': Tensor[2, h, w],
    'mask': bool Tensor[h, w]}`` with ``h, w = H / stride, W / stride``; ``mask`` marks
    centre cells, where ``size`` and ``offset`` are defined (0 elsewhere). Where two
    Gaussians of a class overlap, the heatmap keeps the maximum; when two objects share a
    centre cell, the later one's size and offset win. Introduced in 05_object_detection.
    """
    h, w = _check_stride_size(image_size, stride)
    _check_boxes(boxes)
    _check_same_length(boxes, labels, "boxes", "labels")
    if len(labels) and (labels.min() < 1 or labels.max() > num_classes):
        raise ValueError(f"labels must be in 1..{num_classes} (0 is background), "
                         f"got {labels.min().item()}..{labels.max().item()}")
    boxes = boxes.float()
    bw, bh = boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1]
    if bool(((bw <= 0) | (bh <= 0)).any()):
        raise ValueError("boxes must have positive width and height")
    cx_all, cy_all = (boxes[:, 0] + boxes[:, 2]) / 2, (boxes[:, 1] + boxes[:, 3]) / 2
    outside = (cx_all < 0) | (cx_all >= w * stride) | (cy_all < 0) | (cy_all >= h * stride)
    if bool(outside.any()):
        k = int(outside.nonzero()[0])
        raise ValueError(f"boxes: the centre of every box must lie inside the image "
                         f"[0, {w * stride}) x [0, {h * stride}) (image_size={tuple(image_size)}), "
                         f"got box {boxes[k].tolist()} at row {k}; clip or drop it first")
    heatmap = torch.zeros(num_classes, h, w)
    size, offset = torch.zeros(2, h, w), torch.zeros(2, h, w)
    mask = torch.zeros(h, w, dtype=torch.bool)
    ys, xs = torch.arange(h, dtype=torch.float32)[:, None], torch.arange(w, dtype=torch.float32)
    for box, label, bwk, bhk in zip(boxes, labels.tolist(), bw, bh):
        cx, cy = (box[0] + box[2]) / 2 / stride, (box[1] + box[3]) / 2 / stride
        j, i = min(int(cx), w - 1), min(int(cy), h - 1)
        sx = (alpha * bwk / stride / 6).clamp(min=0.3)
        sy = (alpha * bhk / stride / 6).clamp(min=0.3)
        g = torch.exp(-((xs - j) ** 2) / (2 * sx ** 2) - ((ys - i) ** 2) / (2 * sy ** 2))
        heatmap[label - 1] = torch.maximum(heatmap[label - 1], g)
        size[:, i, j] = torch.stack([torch.log(bwk / stride), torch.log(bhk / stride)])
        offset[:, i, j] = torch.stack([cx - j, cy - i])
        mask[i, j] = True
    return {"heatmap": heatmap, "size": size, "offset": offset, "mask": mask}


def encode_batch(targets: list[dict], num_classes: int, image_size: tuple[int, int],
                 stride: int = 4) -> dict[str, Tensor]:
    """``encode_targets`` for a list of ``{'boxes', 'labels'}`` dicts, stacked along a new
    batch dimension: ``heatmap (N, C, h, w)``, ``size``/``offset`` ``(N, 2, h, w)``,
    ``mask (N, h, w)``. Introduced in 05_object_detection."""
    if len(targets) == 0:
        raise ValueError("targets is empty: need one dict per image")
    encoded = [encode_targets(t["boxes"], t["labels"], num_classes, image_size, stride) for t in targets]
    return {k: torch.stack([e[k] for e in encoded]) for k in encoded[0]}


def heatmap_focal_loss(logits: Tensor, heatmap: Tensor, alpha: float = 2.0,
                       beta: float = 4.0) -> Tensor:
    """CenterNet's penalty-reduced focal loss, a scalar, summed and divided by the number
    of centre cells (``heatmap == 1``, at least 1).

    ``logits`` and ``heatmap`` ``Tensor[N, C, h, w]``; ``p = sigmoid(logits)``::

        centre cell (y = 1):   -(1 - p)**alpha * log(p)
        elsewhere:             -(1 - y)**beta * p**alpha * log(1 - p)

    The ``(1 - y)**beta`` factor forgives confident predictions next to a centre; the
    ``p**alpha`` / ``(1 - p)**alpha`` factors are the focal loss's down-weighting of easy
    cells. Introduced in 05_object_detection.
    """
    if logits.shape != heatmap.shape or logits.ndim != 4:
        raise ValueError(f"logits and heatmap must both be (N, C, h, w), got "
                         f"{tuple(logits.shape)} and {tuple(heatmap.shape)}")
    if not heatmap.is_floating_point() or bool((heatmap < 0).any() | (heatmap > 1).any()):
        raise ValueError(f"heatmap: expected float target values in [0, 1] (1 at centres), got "
                         f"dtype {heatmap.dtype}, range {heatmap.min().item()}.."
                         f"{heatmap.max().item()}; a 0-255 image must be divided by 255")
    log_p, log_1mp = F.logsigmoid(logits), F.logsigmoid(-logits)
    p = log_p.exp()
    centre = heatmap.eq(1).float()
    pos = -((1 - p) ** alpha) * log_p * centre
    neg = -((1 - heatmap) ** beta) * (p ** alpha) * log_1mp * (1 - centre)
    return (pos.sum() + neg.sum()) / centre.sum().clamp(min=1)


def centernet_loss(output: Tensor, target: dict[str, Tensor], size_weight: float = 1.0,
                   offset_weight: float = 1.0) -> dict[str, Tensor]:
    """Losses of a batch: ``{'heatmap', 'size', 'offset', 'total'}`` (scalars).

    ``output`` ``Tensor[N, C + 4, h, w]`` from ``models.CenterNetLite``; ``target`` from
    ``encode_batch``. Size and offset are L1 losses averaged over centre cells.
    Introduced in 05_object_detection.
    """
    if not isinstance(target, dict) or any(k not in target for k in ("heatmap", "size", "offset", "mask")):
        raise TypeError("target: expected the dict of encode_batch with keys 'heatmap', 'size', "
                        f"'offset', 'mask', got {type(target).__name__}"
                        + (f" with keys {sorted(target)}" if isinstance(target, dict) else ""))
    if target["heatmap"].ndim != 4:
        raise ValueError(f"target: expected batched targets (heatmap (N, C, h, w), from "
                         f"encode_batch), got heatmap of shape {tuple(target['heatmap'].shape)}; "
                         f"for one image's encode_targets result use encode_batch([...]) instead")
    c = target["heatmap"].shape[1]
    if output.ndim != 4 or output.shape[1] != c + 4 or output.shape[-2:] != target["mask"].shape[-2:]:
        raise ValueError(f"output must be (N, {c} + 4, h, w) matching the targets' "
                         f"{tuple(target['mask'].shape[-2:])} grid, got {tuple(output.shape)}")
    heat = heatmap_focal_loss(output[:, :c], target["heatmap"])
    m = target["mask"].unsqueeze(1).float()                          # (N, 1, h, w)
    n = m.sum().clamp(min=1)
    size = ((output[:, c:c + 2] - target["size"]).abs() * m).sum() / n
    offset = ((output[:, c + 2:] - target["offset"]).abs() * m).sum() / n
    total = heat + size_weight * size + offset_weight * offset
    return {"heatmap": heat, "size": size, "offset": offset, "total": total}


def decode(output: Tensor, stride: int = 4, max_detections: int = 20,
           score_threshold: float = 0.05) -> list[dict[str, Tensor]]:
    """Detections from ``output`` ``Tensor[N, C + 4, h, w]`` (``models.CenterNetLite``).

    A cell is a peak when its heatmap score equals the maximum of its 3x3 neighbourhood
    (CenterNet's max-pool replacement for NMS); the ``max_detections`` best peaks over all
    classes with score ``>= score_threshold`` become boxes. Returns one dict per image,
    ``{'boxes': Tensor[K, 4] xyxy pixels, 'scores': Tensor[K], 'labels': int64 Tensor[K]}``
    with labels 1..C, sorted by decreasing score (torchvision's output format).
    Introduced in 05_object_detection.
    """
    if output.ndim != 4 or output.shape[1] < 5:
        raise ValueError(f"output must be (N, C + 4, h, w) with C >= 1, got {tuple(output.shape)}")
    _check_stride(stride)
    if max_detections < 1 or not 0.0 <= score_threshold <= 1.0:
        raise ValueError(f"need max_detections >= 1 and score_threshold in [0, 1], got "
                         f"{max_detections} and {score_threshold}")
    n, c4, h, w = output.shape
    c = c4 - 4
    scores = output[:, :c].sigmoid()
    peaks = scores * (F.max_pool2d(scores, 3, stride=1, padding=1) == scores)
    top, idx = peaks.flatten(1).topk(min(max_detections, c * h * w), dim=1)   # (N, k)
    labels, cell = idx // (h * w), idx % (h * w)
    i, j = cell // w, cell % w
    out = []
    for b in range(n):
        keep = top[b] >= score_threshold
        ib, jb = i[b][keep], j[b][keep]
        log_wh = output[b, c:c + 2, ib, jb]                         # (2, K)
        off = output[b, c + 2:, ib, jb]
        cx, cy = (jb + off[0]) * stride, (ib + off[1]) * stride
        bw, bh = log_wh.exp() * stride
        boxes = torch.stack([cx - bw / 2, cy - bh / 2, cx + bw / 2, cy + bh / 2], dim=1)
        out.append({"boxes": boxes, "scores": top[b][keep], "labels": labels[b][keep] + 1})
    return out
