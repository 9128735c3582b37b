"""course_utils.segmentation against scikit-learn and hand-computed cases."""
from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import confusion_matrix as sk_confusion_matrix
from sklearn.metrics import jaccard_score

from course_utils import segmentation

FAST = settings(max_examples=60, deadline=None)


def random_masks(seed: int, shape=(2, 16, 16), num_classes: int = 4):
    g = torch.Generator().manual_seed(seed)
    target = torch.randint(0, num_classes, shape, generator=g)
    noise = torch.randint(0, num_classes, shape, generator=g)
    pred = torch.where(torch.rand(shape, generator=g) < 0.6, target, noise)   # ~70% right
    return pred, target


def test_confusion_matrix_hand_case():
    target = torch.tensor([[0, 0, 1], [1, 2, 2]])
    pred = torch.tensor([[0, 1, 1], [1, 2, 0]])
    cm = segmentation.confusion_matrix(pred, target, num_classes=3)
    assert cm.tolist() == [[1, 1, 0], [0, 2, 0], [1, 0, 1]]       # rows = true class
    assert float(segmentation.pixel_accuracy(cm)) == pytest.approx(4 / 6)
    # IoU: class 0: 1 / (2 + 2 - 1); class 1: 2 / (2 + 3 - 2); class 2: 1 / (2 + 1 - 1)
    expected = torch.tensor([1 / 3, 2 / 3, 1 / 2], dtype=torch.float64)
    torch.testing.assert_close(segmentation.iou_per_class(cm), expected)
    assert float(segmentation.mean_iou(cm)) == pytest.approx(float(expected.mean()))


@pytest.mark.parametrize("seed", range(4))
def test_confusion_matrix_and_iou_match_sklearn(seed):
    pred, target = random_masks(seed)
    cm = segmentation.confusion_matrix(pred, target, num_classes=4)
    p, t = pred.flatten().numpy(), target.flatten().numpy()
    np.testing.assert_array_equal(cm.numpy(), sk_confusion_matrix(t, p, labels=range(4)))
    expected = jaccard_score(t, p, labels=range(4), average=None)
    np.testing.assert_allclose(segmentation.iou_per_class(cm).numpy(), expected)
    assert float(segmentation.mean_iou(cm)) == pytest.approx(expected.mean())
    assert float(segmentation.pixel_accuracy(cm)) == pytest.approx(float((p == t).mean()))


def test_absent_class_is_nan_and_skipped_by_mean_iou():
    target = torch.tensor([0, 0, 1, 1])
    pred = torch.tensor([0, 1, 1, 1])
    cm = segmentation.confusion_matrix(pred, target, num_classes=3)   # class 2 never occurs
    iou = segmentation.iou_per_class(cm)
    assert iou[:2].tolist() == pytest.approx([1 / 2, 2 / 3]) and math.isnan(iou[2])
    assert float(segmentation.mean_iou(cm)) == pytest.approx((1 / 2 + 2 / 3) / 2)
    # sklearn reports 0 for the absent class instead (and warns): the mean differs.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sk = jaccard_score(target.numpy(), pred.numpy(), labels=range(3), average=None)
    assert sk[2] == 0.0


def test_ignore_index_drops_pixels():
    target = torch.tensor([[0, 255, 1], [1, 255, 2]])
    pred = torch.tensor([[0, 2, 1], [0, 1, 2]])
    cm = segmentation.confusion_matrix(pred, target, num_classes=3, ignore_index=255)
    assert int(cm.sum()) == 4
    assert cm.tolist() == [[1, 0, 0], [1, 1, 0], [0, 0, 1]]


def test_empty_masks_give_zero_matrix_and_nan_metrics():
    empty = torch.zeros(0, 8, dtype=torch.long)
    cm = segmentation.confusion_matrix(empty, empty, num_classes=2)
    assert cm.tolist() == [[0, 0], [0, 0]]
    assert math.isnan(segmentation.pixel_accuracy(cm)) and math.isnan(segmentation.mean_iou(cm))


def test_accumulator_equals_one_matrix_over_all_batches():
    metric = segmentation.ConfusionMatrix(num_classes=4, ignore_index=255)
    preds, targets = zip(*(random_masks(seed) for seed in range(3)))
    targets = [t.masked_fill(t == 3, 255) if i == 1 else t for i, t in enumerate(targets)]
    for p, t in zip(preds, targets):
        metric.update(p, t)
    whole = segmentation.confusion_matrix(torch.cat(preds), torch.cat(targets), 4, ignore_index=255)
    assert torch.equal(metric.mat, whole)
    result = metric.compute()
    assert set(result) == {"pixel_accuracy", "iou_per_class", "mean_iou"}
    torch.testing.assert_close(result["iou_per_class"], segmentation.iou_per_class(whole))
    assert "mean_iou=" in repr(metric)
    metric.reset()
    assert int(metric.mat.sum()) == 0


@FAST
@given(st.integers(1, 5), st.integers(0, 40), st.integers(0, 2 ** 31 - 1))
def test_metric_properties(num_classes, n, seed):
    g = torch.Generator().manual_seed(seed)
    pred = torch.randint(0, num_classes, (n,), generator=g)
    target = torch.randint(0, num_classes, (n,), generator=g)
    cm = segmentation.confusion_matrix(pred, target, num_classes)
    assert int(cm.sum()) == n and cm.shape == (num_classes, num_classes)
    assert torch.equal(cm.sum(dim=1), torch.bincount(target, minlength=num_classes))
    iou = segmentation.iou_per_class(cm)
    present = torch.bincount(torch.cat([pred, target]), minlength=num_classes) > 0
    assert torch.equal(iou.isnan(), ~present)
    assert ((iou[present] >= 0) & (iou[present] <= 1)).all()
    perfect = segmentation.iou_per_class(segmentation.confusion_matrix(target, target, num_classes))
    in_target = torch.bincount(target, minlength=num_classes) > 0
    assert (perfect[in_target] == 1).all() and perfect[~in_target].isnan().all()


# ---------------------------------------------------------------- clear errors
MASK = torch.zeros(2, 3, dtype=torch.long)


@pytest.mark.parametrize("call, match", [
    (lambda: segmentation.confusion_matrix(MASK, torch.zeros(3, 2, dtype=torch.long), 2),
     r"same shape, got \(2, 3\) and \(3, 2\)"),
    (lambda: segmentation.confusion_matrix(torch.zeros(2, 3), MASK, 2), "integer class ids.*argmax"),
    (lambda: segmentation.confusion_matrix(MASK, MASK.bool(), 2), "target must hold integer"),
    (lambda: segmentation.confusion_matrix(MASK + 2, MASK, 2), r"pred values must be in 0\.\.1, got 2\.\.2"),
    (lambda: segmentation.confusion_matrix(MASK, MASK - 1, 2), r"target values must be in 0\.\.1"),
    (lambda: segmentation.confusion_matrix(MASK, MASK + 255, 2), r"0\.\.1, got 255"),
    (lambda: segmentation.confusion_matrix(MASK, MASK + 7, 2, ignore_index=255), r"\(or 255\)"),
    (lambda: segmentation.confusion_matrix(MASK, MASK, 0), "num_classes must be a positive int"),
    (lambda: segmentation.confusion_matrix(MASK.numpy(), MASK, 2), "must be a torch.Tensor"),
    (lambda: segmentation.iou_per_class(torch.zeros(2, 3)), r"square \(C, C\) tensor, got \(2, 3\)"),
    (lambda: segmentation.pixel_accuracy(-torch.ones(2, 2)), "non-negative"),
    (lambda: segmentation.ConfusionMatrix(num_classes=2.5), "positive int"),
    (lambda: segmentation.ConfusionMatrix(2).update(MASK, MASK.float()), "integer class ids"),
])
def test_clear_errors(call, match):
    with pytest.raises(ValueError, match=match):
        call()


# ---------------------------------------------------------------- bad inputs (name the argument)
BAD_INPUTS = [
    (segmentation.confusion_matrix, (torch.zeros(2, 3), MASK, 2), {}, ValueError, "pred"),
    (segmentation.confusion_matrix, (MASK, MASK - 1, 2), {}, ValueError, "target"),
    (segmentation.confusion_matrix, (MASK, MASK, 0), {}, ValueError, "num_classes"),
    (segmentation.pixel_accuracy, (torch.zeros(2, 3),), {}, ValueError, "cm"),
    (segmentation.iou_per_class, (-torch.ones(2, 2),), {}, ValueError, "cm"),
    (segmentation.mean_iou, ([[1, 0], [0, 1]],), {}, ValueError, "cm"),
    (segmentation.ConfusionMatrix, (2.5,), {}, ValueError, "num_classes"),
]


@pytest.mark.parametrize("fn, args, kwargs, exc, name", BAD_INPUTS)
def test_bad_inputs_raise_naming_the_argument(fn, args, kwargs, exc, name):
    with pytest.raises(exc) as info:
        fn(*args, **kwargs)
    assert name in str(info.value)
