"""Property tests: the box, mask and metric helpers agree with torchvision, scikit-learn and scikit-image
on many generated inputs, not only the hand-picked cases of their unit tests.

Hypothesis draws boxes, scores, masks and ranked detections; each property compares a
course_utils helper with an independent reference (``torchvision.ops``, torchvision's
``BoxCoder``, ``sklearn.metrics``, ``skimage.metrics``). Few examples per property keep
the whole file within a few seconds.
"""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch
import torchvision.ops as tvops
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from sklearn import metrics as skm

from course_utils import autoencoders, detection, detection_metrics, segmentation

SETTINGS = settings(max_examples=30, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.too_slow])

# --- generators -------------------------------------------------------------------------

coord = st.floats(min_value=0.0, max_value=60.0, allow_nan=False, width=32)
side = st.floats(min_value=0.5, max_value=30.0, allow_nan=False, width=32)


@st.composite
def boxes_xyxy(draw, min_n: int = 0, max_n: int = 8) -> torch.Tensor:
    """``float32 (N, 4)`` xyxy boxes with positive width and height."""
    n = draw(st.integers(min_n, max_n))
    rows = [(x, y, x + w, y + h) for x, y, w, h in
            (draw(st.tuples(coord, coord, side, side)) for _ in range(n))]
    return torch.tensor(rows, dtype=torch.float32).reshape(n, 4)


@st.composite
def distinct_scores(draw, n: int) -> torch.Tensor:
    """``n`` different scores in (0, 1): ties would leave the order to each library."""
    ranks = draw(st.permutations(range(n)))
    return (torch.tensor(ranks, dtype=torch.float32) + 1) / (n + 1)


@st.composite
def mask_pair(draw) -> tuple[torch.Tensor, torch.Tensor, int]:
    """Predicted and true integer masks of one shape, and the number of classes."""
    num_classes = draw(st.integers(1, 5))
    h, w = draw(st.integers(1, 6)), draw(st.integers(1, 6))
    values = st.lists(st.integers(0, num_classes - 1), min_size=h * w, max_size=h * w)
    pred = torch.tensor(draw(values)).reshape(h, w)
    target = torch.tensor(draw(values)).reshape(h, w)
    return pred, target, num_classes


# --- boxes against torchvision.ops ------------------------------------------------------

@SETTINGS
@given(boxes_xyxy(), st.sampled_from(["xyxy", "xywh", "cxcywh"]), st.sampled_from(["xyxy", "xywh", "cxcywh"]))
def test_box_convert_matches_torchvision(boxes, in_fmt, out_fmt):
    source = tvops.box_convert(boxes, "xyxy", in_fmt)
    torch.testing.assert_close(detection.box_convert(source, in_fmt, out_fmt),
                               tvops.box_convert(source, in_fmt, out_fmt))


@SETTINGS
@given(boxes_xyxy())
def test_box_area_matches_torchvision(boxes):
    torch.testing.assert_close(detection.box_area(boxes), tvops.box_area(boxes))


@SETTINGS
@given(boxes_xyxy(), boxes_xyxy())
def test_box_iou_matches_torchvision_and_is_a_similarity(a, b):
    iou = detection.box_iou(a, b)
    torch.testing.assert_close(iou, tvops.box_iou(a, b))
    assert bool(((iou >= 0) & (iou <= 1 + 1e-6)).all())
    torch.testing.assert_close(detection.box_iou(b, a), iou.T)
    torch.testing.assert_close(detection.box_iou(a, a).diagonal(), torch.ones(len(a)))


@SETTINGS
@given(st.data(), st.floats(min_value=0.05, max_value=0.95))
def test_nms_keeps_what_torchvision_keeps(data, threshold):
    boxes = data.draw(boxes_xyxy(min_n=1, max_n=12))
    scores = data.draw(distinct_scores(len(boxes)))
    torch.testing.assert_close(detection.nms(boxes, scores, threshold), tvops.nms(boxes, scores, threshold))


@SETTINGS
@given(st.data(), st.floats(min_value=0.05, max_value=0.95))
def test_batched_nms_keeps_what_torchvision_keeps(data, threshold):
    boxes = data.draw(boxes_xyxy(min_n=1, max_n=12))
    scores = data.draw(distinct_scores(len(boxes)))
    idxs = torch.tensor(data.draw(st.lists(st.integers(0, 2), min_size=len(boxes), max_size=len(boxes))))
    torch.testing.assert_close(detection.batched_nms(boxes, scores, idxs, threshold),
                               tvops.batched_nms(boxes, scores, idxs, threshold))


@SETTINGS
@given(st.data(), st.sampled_from([(1.0, 1.0, 1.0, 1.0), (10.0, 10.0, 5.0, 5.0)]))
def test_box_coding_matches_torchvision_box_coder(data, weights):
    from torchvision.models.detection._utils import BoxCoder

    anchors = data.draw(boxes_xyxy(min_n=1, max_n=8))
    gt = data.draw(boxes_xyxy(min_n=len(anchors), max_n=len(anchors)))
    coder = BoxCoder(weights)
    deltas = detection.encode_boxes(gt, anchors, weights)
    torch.testing.assert_close(deltas, coder.encode_single(gt, anchors), rtol=1e-4, atol=1e-4)
    torch.testing.assert_close(detection.decode_boxes(deltas, anchors, weights),
                               coder.decode_single(deltas, anchors), rtol=1e-4, atol=1e-3)
    torch.testing.assert_close(detection.decode_boxes(deltas, anchors, weights), gt, rtol=1e-4, atol=1e-3)


# --- masks against sklearn.metrics -------------------------------------------------------

@pytest.mark.filterwarnings("ignore:A single label was found")
@SETTINGS
@given(mask_pair())
def test_confusion_matrix_matches_sklearn(masks):
    pred, target, k = masks
    expected = skm.confusion_matrix(target.flatten().numpy(), pred.flatten().numpy(), labels=list(range(k)))
    np.testing.assert_array_equal(segmentation.confusion_matrix(pred, target, k).numpy(), expected)


@SETTINGS
@given(mask_pair())
def test_iou_and_accuracy_match_sklearn(masks):
    pred, target, k = masks
    y_true, y_pred = target.flatten().numpy(), pred.flatten().numpy()
    cm = segmentation.confusion_matrix(pred, target, k)
    assert math.isclose(float(segmentation.pixel_accuracy(cm)), skm.accuracy_score(y_true, y_pred))
    iou = segmentation.iou_per_class(cm).numpy()
    reference = skm.jaccard_score(y_true, y_pred, labels=list(range(k)), average=None, zero_division=0)
    absent = ~np.isin(np.arange(k), np.r_[y_true, y_pred])
    reference[absent] = np.nan                     # sklearn says 0 there; the course says "not measured"
    np.testing.assert_allclose(iou, reference, equal_nan=True)
    if not np.isnan(reference).all():
        assert math.isclose(float(segmentation.mean_iou(cm)), float(np.nanmean(reference)), rel_tol=1e-9)


@SETTINGS
@given(st.integers(1, 3), st.integers(0, 2**16), st.floats(min_value=0.5, max_value=255.0))
def test_psnr_matches_skimage_per_image(n, seed, data_range):
    from skimage.metrics import peak_signal_noise_ratio

    gen = torch.Generator().manual_seed(seed)
    reference = torch.rand(n, 1, 4, 5, generator=gen, dtype=torch.float64) * data_range
    images = (reference + 0.1 * data_range * torch.randn(n, 1, 4, 5, generator=gen, dtype=torch.float64))
    expected = [peak_signal_noise_ratio(r.numpy(), i.numpy(), data_range=data_range)
                for r, i in zip(reference, images)]
    np.testing.assert_allclose(autoencoders.psnr(images, reference, data_range=data_range).numpy(), expected,
                               rtol=1e-5)


# --- ranked detections against sklearn.metrics -------------------------------------------

@SETTINGS
@given(st.data())
def test_precision_recall_curve_matches_sklearn(data):
    n = data.draw(st.integers(1, 15))
    is_tp = torch.tensor(data.draw(st.lists(st.booleans(), min_size=n, max_size=n)))
    assume(bool(is_tp.any()))
    scores = data.draw(distinct_scores(n))
    precision, recall = detection_metrics.precision_recall_curve(scores, is_tp, int(is_tp.sum()))
    sk_precision, sk_recall, _ = skm.precision_recall_curve(is_tp.numpy(), scores.numpy())
    # sklearn lists thresholds from low to high and appends the point (precision 1, recall 0).
    np.testing.assert_allclose(precision.numpy(), sk_precision[:-1][::-1])
    np.testing.assert_allclose(recall.numpy(), sk_recall[:-1][::-1])


@SETTINGS
@given(st.data())
def test_average_precision_bounds_sklearn_step_average(data):
    """The all-points AP integrates the precision envelope, so it is at least
    scikit-learn's AP (the same sum over raw precision) and equal when precision never rises."""
    n = data.draw(st.integers(1, 15))
    is_tp = torch.tensor(data.draw(st.lists(st.booleans(), min_size=n, max_size=n)))
    assume(bool(is_tp.any()))
    scores = data.draw(distinct_scores(n))
    ap = detection_metrics.average_precision(scores, is_tp, int(is_tp.sum()))
    sk_ap = skm.average_precision_score(is_tp.numpy(), scores.numpy())
    assert ap >= sk_ap - 1e-9
    ranked = is_tp[torch.argsort(scores, descending=True)].numpy()
    first_fp = np.argmax(~ranked) if (~ranked).any() else n
    if ranked[first_fp:].sum() == 0:              # every TP ranks above every FP
        assert ap == pytest.approx(sk_ap)
