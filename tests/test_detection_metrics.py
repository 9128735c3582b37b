"""course_utils.detection_metrics: clear errors on bad input. The metrics themselves are
checked against pycocotools / torchmetrics in tests/test_detection.py (as detection.<name>)."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from course_utils import checks, detection, detection_metrics

BOX = torch.tensor([[0.0, 0.0, 1.0, 1.0]])
PRED = {"boxes": BOX, "scores": torch.ones(1), "labels": torch.ones(1, dtype=torch.long)}
TARGET = {"boxes": BOX, "labels": torch.ones(1, dtype=torch.long)}

BAD_INPUTS = [
    (detection_metrics.precision_recall_curve, (torch.ones(2), torch.ones(2), 3), {}, ValueError,
     "is_true_positive"),
    (detection_metrics.average_precision, (torch.ones(2), torch.ones(2).bool(), 1), {}, ValueError, "num_gt"),
    (detection_metrics.average_precision, (torch.ones(1), torch.ones(1).bool(), 1, "11_points"), {},
     ValueError, "interpolation"),
    (detection_metrics.match_detections, (PRED, TARGET, 1), {}, TypeError, "preds"),
    (detection_metrics.match_detections, ([PRED], TARGET, 1), {}, TypeError, "targets"),
    (detection_metrics.mean_average_precision, ([PRED], [{"boxes": BOX}]), {}, ValueError, "targets"),
    (detection_metrics.coco_map, ([PRED], [TARGET]), {"iou_thresholds": ()}, ValueError, "iou_thresholds"),
]


@pytest.mark.parametrize("fn, args, kwargs, exc, name", BAD_INPUTS)
def test_bad_inputs_raise_naming_the_argument(fn, args, kwargs, exc, name):
    with pytest.raises(exc) as info:
        fn(*args, **kwargs)
    assert name in str(info.value)


def test_single_dicts_blame_the_right_argument():
    """Single dicts used to fail with 'preds and targets must list the same images, got 3 and 2'."""
    with pytest.raises(TypeError, match=r"preds: expected a list .* pass \[preds\]"):
        detection_metrics.match_detections(PRED, [TARGET], 1)
    scores, tp, n = detection_metrics.match_detections([PRED], [TARGET], 1)
    assert tp.tolist() == [True] and n == 1


def test_names_stay_reachable_from_detection():
    for name in detection._METRIC_NAMES:
        assert getattr(detection, name) is getattr(detection_metrics, name)


# ---------------------------------------------------------------- exercise 4 of 05: the check can fail
def _scenes(seed: int, n: int = 12):
    """Noisy detections of random objects, 3 classes: the kind of data the notebook's check sees."""
    gen = torch.Generator().manual_seed(seed)
    preds, targets = [], []
    for _ in range(n):
        k = int(torch.randint(1, 5, (1,), generator=gen))
        xy = torch.rand(k, 2, generator=gen) * 60
        gt = torch.cat([xy, xy + 8 + torch.rand(k, 2, generator=gen) * 20], 1)
        labels = torch.randint(1, 4, (k,), generator=gen)
        boxes = torch.cat([gt + torch.randn(k, 4, generator=gen) * 3, gt[:1] + 1, torch.rand(2, 4, generator=gen) * 40])
        boxes = torch.cat([boxes[:, :2], torch.maximum(boxes[:, 2:], boxes[:, :2] + 1)], 1)
        preds.append({"boxes": boxes, "scores": torch.rand(len(boxes), generator=gen),
                      "labels": torch.cat([labels, labels[:1], torch.randint(1, 4, (2,), generator=gen)])})
        targets.append({"boxes": gt, "labels": labels})
    return preds, targets


def _ap_101(scores, is_tp, num_gt, envelope=True, points=None):
    order = torch.argsort(scores, descending=True, stable=True)
    tp = is_tp[order].double().cumsum(0)
    precision = tp / torch.arange(1, len(tp) + 1, dtype=torch.float64)
    recall = tp / num_gt
    env = precision.flip(0).cummax(0).values.flip(0) if envelope else precision
    pts = torch.from_numpy(np.linspace(0, 1, 101)) if points is None else points
    first = torch.searchsorted(recall, pts)
    return float(torch.where(first < len(recall), env[first.clamp(max=len(recall) - 1)], 0.0).mean())


EXERCISE_ANSWERS = {
    "reference solution": (_ap_101, True),
    "no precision envelope": (lambda s, t, n: _ap_101(s, t, n, envelope=False), False),
    "11 recall points (VOC 2007)": (lambda s, t, n: _ap_101(s, t, n, points=torch.from_numpy(np.linspace(0, 1, 11))),
                                    False),
    "all-point area instead of 101 points": (lambda s, t, n: detection_metrics.average_precision(s, t, n), False),
    "divides by detections, not objects": (lambda s, t, n: _ap_101(s, t, max(len(t), 1)), False),
}


@pytest.mark.parametrize("answer", list(EXERCISE_ANSWERS))
def test_exercise_ap_check_rejects_wrong_answers(answer):
    """05's exercise 4 compares per-class AP@0.5 with pycocotools at atol 1e-6 (checks.check_close)."""
    pytest.importorskip("pycocotools")
    from torchmetrics.detection import MeanAveragePrecision

    fn, correct = EXERCISE_ANSWERS[answer]
    preds, targets = _scenes(0)
    ref = MeanAveragePrecision(iou_type="bbox", box_format="xyxy", backend="pycocotools", iou_thresholds=[0.5],
                               rec_thresholds=np.linspace(0, 1, 101).tolist(), class_metrics=True)
    ref.update(preds, targets)
    by_hand = torch.tensor([fn(*detection_metrics.match_detections(preds, targets, c, 0.5)) for c in (1, 2, 3)],
                           dtype=torch.float64)
    if correct:
        checks.check_close("AP by hand vs pycocotools", by_hand, ref.compute()["map_per_class"].double(), atol=1e-6)
    else:
        with pytest.raises(AssertionError):
            checks.check_close("AP by hand vs pycocotools", by_hand, ref.compute()["map_per_class"].double(), atol=1e-6)
