"""course_utils.detection_metrics: clear errors on bad input. The metrics themselves are
checked against pycocotools / torchmetrics in tests/test_detection.py (as detection.<name>)."""
from __future__ import annotations

import pytest
import torch

from course_utils import detection, detection_metrics

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
