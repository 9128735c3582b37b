"""course_utils.detection against torchvision.ops, torchmetrics and hand-computed cases."""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch
import torchvision.ops as ops
from hypothesis import given, settings
from hypothesis import strategies as st
from torchvision.models.detection._utils import BoxCoder, Matcher
from torchvision.models.detection.anchor_utils import AnchorGenerator

from course_utils import detection

FAST = settings(max_examples=60, deadline=None)


def random_boxes(n: int, generator: torch.Generator, size: float = 100.0) -> torch.Tensor:
    """``(n, 4)`` xyxy boxes with positive width and height inside ``size``."""
    xy = torch.rand(n, 2, generator=generator) * size
    wh = torch.rand(n, 2, generator=generator) * size / 2 + 1.0
    return torch.cat([xy, xy + wh], dim=1)


@st.composite
def boxes_strategy(draw, min_size: int = 0, max_size: int = 12, min_wh: float = 0.0):
    n = draw(st.integers(min_size, max_size))
    coord = st.floats(0, 100, allow_nan=False, width=32)
    side = st.floats(min_wh, 50, allow_nan=False, width=32)
    rows = [[draw(coord), draw(coord), draw(side), draw(side)] for _ in range(n)]
    xywh = torch.tensor(rows, dtype=torch.float32).reshape(-1, 4)
    return torch.cat([xywh[:, :2], xywh[:, :2] + xywh[:, 2:]], dim=1)


# ---------------------------------------------------------------- formats, area, IoU
@pytest.mark.parametrize("in_fmt", detection.BOX_FORMATS)
@pytest.mark.parametrize("out_fmt", detection.BOX_FORMATS)
def test_box_convert_matches_torchvision(in_fmt, out_fmt):
    boxes = ops.box_convert(random_boxes(20, torch.Generator().manual_seed(0)), "xyxy", in_fmt)
    expected = ops.box_convert(boxes, in_fmt, out_fmt)
    torch.testing.assert_close(detection.box_convert(boxes, in_fmt, out_fmt), expected)


def test_box_convert_hand_case():
    xyxy = torch.tensor([[10.0, 20.0, 40.0, 60.0]])
    assert detection.box_convert(xyxy, "xyxy", "xywh").tolist() == [[10, 20, 30, 40]]
    assert detection.box_convert(xyxy, "xyxy", "cxcywh").tolist() == [[25, 40, 30, 40]]


def test_box_area_and_iou_match_torchvision():
    g = torch.Generator().manual_seed(1)
    a, b = random_boxes(30, g), random_boxes(17, g)
    torch.testing.assert_close(detection.box_area(a), ops.box_area(a))
    torch.testing.assert_close(detection.box_iou(a, b), ops.box_iou(a, b))


def test_box_iou_hand_case():
    a = torch.tensor([[0.0, 0.0, 2.0, 2.0]])
    b = torch.tensor([[1.0, 1.0, 3.0, 3.0], [0.0, 0.0, 2.0, 2.0], [5.0, 5.0, 6.0, 6.0],
                      [0.0, 0.0, 1.0, 2.0]])
    # overlap 1 / union 7; identical; disjoint; box b[3] is half of a
    expected = torch.tensor([[1 / 7, 1.0, 0.0, 0.5]])
    torch.testing.assert_close(detection.box_iou(a, b), expected)


def test_empty_boxes_give_empty_results():
    empty, three = torch.zeros(0, 4), random_boxes(3, torch.Generator().manual_seed(2))
    assert detection.box_iou(empty, three).shape == (0, 3)
    assert detection.box_iou(three, empty).shape == (3, 0)
    assert detection.box_area(empty).shape == (0,)
    assert detection.box_convert(empty, "xyxy", "cxcywh").shape == (0, 4)
    assert detection.nms(empty, torch.zeros(0), 0.5).shape == (0,)
    assert detection.batched_nms(empty, torch.zeros(0), torch.zeros(0, dtype=torch.long),
                                 0.5).shape == (0,)
    assert detection.match_anchors(three, empty).tolist() == [-1, -1, -1]
    assert detection.match_anchors(empty, three).shape == (0,)


def test_zero_area_boxes_have_iou_zero_where_torchvision_gives_nan():
    point, line = torch.tensor([[5.0, 5.0, 5.0, 5.0]]), torch.tensor([[0.0, 5.0, 10.0, 5.0]])
    square = torch.tensor([[0.0, 0.0, 10.0, 10.0]])
    boxes = torch.cat([point, line, square])
    ours, theirs = detection.box_iou(boxes, boxes), ops.box_iou(boxes, boxes)
    assert ours.tolist() == [[0, 0, 0], [0, 0, 0], [0, 0, 1]]
    # torchvision: 0/0 = NaN between two zero-area boxes, 0 against a box with area.
    assert theirs[:2, :2].isnan().all() and theirs[:2, 2].eq(0).all()
    # NaN > threshold is False, so torchvision's NMS keeps them too: same result.
    scores = torch.tensor([0.9, 0.8, 0.7])
    assert detection.nms(boxes, scores, 0.5).tolist() == ops.nms(boxes, scores, 0.5).tolist()


def test_box_iou_is_differentiable_with_zero_area_boxes():
    boxes = torch.tensor([[1.0, 1.0, 1.0, 1.0], [0.0, 0.0, 2.0, 2.0]], requires_grad=True)
    detection.box_iou(boxes, boxes).sum().backward()
    assert torch.isfinite(boxes.grad).all()


@FAST
@given(boxes_strategy(), boxes_strategy())
def test_iou_properties(a, b):
    iou = detection.box_iou(a, b)
    assert iou.shape == (len(a), len(b))
    assert ((iou >= 0) & (iou <= 1 + 1e-6)).all()
    torch.testing.assert_close(iou, detection.box_iou(b, a).T)
    nondegenerate = detection.box_area(a) > 0
    self_iou = detection.box_iou(a, a).diagonal()
    torch.testing.assert_close(self_iou[nondegenerate], torch.ones(int(nondegenerate.sum())))
    assert (self_iou[~nondegenerate] == 0).all()


# ---------------------------------------------------------------- NMS
@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("iou_threshold", [0.0, 0.3, 0.5, 0.7, 1.0])
def test_nms_and_batched_nms_match_torchvision(seed, iou_threshold):
    g = torch.Generator().manual_seed(seed)
    boxes = random_boxes(200, g)
    scores = torch.randperm(200, generator=g).float() / 200   # distinct scores
    idxs = torch.randint(0, 4, (200,), generator=g)
    assert torch.equal(detection.nms(boxes, scores, iou_threshold),
                       ops.nms(boxes, scores, iou_threshold))
    assert torch.equal(detection.batched_nms(boxes, scores, idxs, iou_threshold),
                       ops.batched_nms(boxes, scores, idxs, iou_threshold))


def test_nms_hand_case():
    boxes = torch.tensor([[0.0, 0, 10, 10], [1, 1, 11, 11], [20, 20, 30, 30], [0, 0, 10, 9]])
    scores = torch.tensor([0.8, 0.9, 0.7, 0.6])
    # box 1 wins; box 0 overlaps it with IoU 81/119 = 0.68, box 3 with 72/118 = 0.61;
    # box 2 is alone. At 0.7 box 0 survives and suppresses box 3 (IoU 90/100).
    assert detection.nms(boxes, scores, 0.5).tolist() == [1, 2]
    assert detection.nms(boxes, scores, 0.7).tolist() == [1, 0, 2]
    labels = torch.tensor([0, 1, 0, 0])
    assert detection.batched_nms(boxes, scores, labels, 0.5).tolist() == [1, 0, 2]


@FAST
@given(boxes_strategy(max_size=25), st.floats(0, 1), st.randoms(use_true_random=False))
def test_nms_properties(boxes, iou_threshold, rnd):
    scores = torch.tensor(rnd.sample(range(1000), len(boxes)), dtype=torch.float32)
    keep = detection.nms(boxes, scores, iou_threshold)
    assert len(set(keep.tolist())) == len(keep) and all(0 <= k < len(boxes) for k in keep)
    assert (scores[keep].diff() < 0).all()
    iou = detection.box_iou(boxes[keep], boxes[keep]).fill_diagonal_(0)
    assert (iou <= iou_threshold).all()
    assert torch.equal(keep, ops.nms(boxes, scores, iou_threshold))


# ---------------------------------------------------------------- anchors and box coding
def test_make_anchors_shape_order_and_geometry():
    anchors = detection.make_anchors((2, 3), stride=16, scales=(32, 64, 128), ratios=(0.5, 1, 2))
    assert anchors.shape == (2 * 3 * 9, 4)
    cxcywh = detection.box_convert(anchors, "xyxy", "cxcywh")
    # row ((i * w + j) * R + k) * S + m: cell (i=1, j=2) centred on (40, 24)
    cell = cxcywh[(1 * 3 + 2) * 9:(1 * 3 + 2) * 9 + 9]
    torch.testing.assert_close(cell[:, :2], torch.tensor([[40.0, 24.0]]).expand(9, 2))
    torch.testing.assert_close(cell[:, 2] * cell[:, 3], torch.tensor([32.0, 64, 128] * 3) ** 2)
    torch.testing.assert_close(cell[:, 3] / cell[:, 2], torch.tensor([0.5] * 3 + [1.0] * 3 + [2.0] * 3))


def test_make_anchors_match_torchvision_anchor_generator():
    # torchvision centres anchors on the cell's top-left corner and rounds the base
    # anchors to integers; ours sit on the cell centre, unrounded.
    gen = AnchorGenerator(sizes=((32, 64, 128),), aspect_ratios=((0.5, 1.0, 2.0),))
    theirs = gen.grid_anchors([[4, 5]], [[torch.tensor(8), torch.tensor(8)]])[0]
    ours = detection.make_anchors((4, 5), stride=8, scales=(32, 64, 128), ratios=(0.5, 1.0, 2.0))
    torch.testing.assert_close(ours - 4.0, theirs, atol=0.5, rtol=0)


@pytest.mark.parametrize("weights", [(1.0, 1.0, 1.0, 1.0), (10.0, 10.0, 5.0, 5.0)])
def test_encode_decode_match_torchvision_box_coder(weights):
    g = torch.Generator().manual_seed(3)
    gt, anchors = random_boxes(40, g), random_boxes(40, g)
    coder = BoxCoder(weights)
    deltas = detection.encode_boxes(gt, anchors, weights)
    torch.testing.assert_close(deltas, coder.encode_single(gt, anchors), atol=1e-4, rtol=1e-4)
    torch.testing.assert_close(detection.decode_boxes(deltas, anchors, weights),
                               coder.decode_single(deltas, anchors), atol=1e-4, rtol=1e-4)


def test_encode_hand_case():
    anchor = torch.tensor([[0.0, 0.0, 10.0, 20.0]])           # centre (5, 10), 10 x 20
    gt = torch.tensor([[5.0, 0.0, 25.0, 20.0]])               # centre (15, 10), 20 x 20
    expected = torch.tensor([[1.0, 0.0, math.log(2.0), 0.0]])
    torch.testing.assert_close(detection.encode_boxes(gt, anchor), expected)


@FAST
@given(boxes_strategy(min_size=1, min_wh=0.5), st.data())
def test_encode_decode_round_trip(gt, data):
    anchors = data.draw(boxes_strategy(min_size=len(gt), max_size=len(gt), min_wh=0.5))
    weights = data.draw(st.sampled_from([(1.0, 1.0, 1.0, 1.0), (10.0, 10.0, 5.0, 5.0)]))
    deltas = detection.encode_boxes(gt, anchors, weights)
    # clip=None: the default clamp (torchvision's) stops boxes > 62.5x the anchor's side
    torch.testing.assert_close(detection.decode_boxes(deltas, anchors, weights, clip=None), gt,
                               atol=1e-3, rtol=1e-5)


# ---------------------------------------------------------------- matching
@pytest.mark.parametrize("seed", range(5))
def test_match_anchors_matches_torchvision_matcher(seed):
    g = torch.Generator().manual_seed(seed)
    anchors = detection.make_anchors((8, 8), stride=16, scales=(16, 32, 64))
    gt = random_boxes(6, g, size=110)
    assert (detection.box_iou(gt, anchors).max(dim=1).values > 0).all()
    theirs = Matcher(0.5, 0.4, allow_low_quality_matches=True)(ops.box_iou(gt, anchors))
    assert torch.equal(detection.match_anchors(anchors, gt), theirs)


def test_match_anchors_hand_case_and_gt_without_overlap():
    anchors = torch.tensor([[0.0, 0, 10, 10], [0, 0, 10, 12], [0, 0, 10, 20], [50, 50, 60, 60]])
    gt = torch.tensor([[0.0, 0, 10, 11], [100, 100, 110, 110]])
    # IoUs with gt 0: 10/11, 10/12 -> fg; 11/20 = 0.55 -> fg at 0.5, -2 at fg_iou 0.6;
    # anchor 3 overlaps nothing -> background. gt 1 overlaps no anchor: torchvision's
    # Matcher would make every zero-IoU anchor "match" it; we skip it.
    assert detection.match_anchors(anchors, gt).tolist() == [0, 0, 0, -1]
    assert detection.match_anchors(anchors, gt, fg_iou=0.6, bg_iou=0.4).tolist() == [0, 0, -2, -1]
    low = detection.match_anchors(anchors[2:], gt[:1], fg_iou=0.9, bg_iou=0.1)
    assert low.tolist() == [0, -1]   # gt 0's best anchor is promoted to foreground
    theirs = Matcher(0.5, 0.4, allow_low_quality_matches=True)(ops.box_iou(gt, anchors))
    assert theirs.tolist() == [0, 0, 0, 0]


# ---------------------------------------------------------------- AP and mAP
def test_average_precision_hand_case():
    scores = torch.tensor([0.9, 0.8, 0.7, 0.6, 0.5])
    tp = torch.tensor([True, False, True, False, True])
    precision, recall = detection.precision_recall_curve(scores, tp, num_gt=4)
    torch.testing.assert_close(precision, torch.tensor([1, 1 / 2, 2 / 3, 2 / 4, 3 / 5], dtype=torch.float64))
    torch.testing.assert_close(recall, torch.tensor([.25, .25, .5, .5, .75], dtype=torch.float64))
    # envelope: 1 up to recall .25, 2/3 up to .5, 3/5 up to .75, nothing after
    expected = 0.25 * 1 + 0.25 * 2 / 3 + 0.25 * 3 / 5
    assert detection.average_precision(scores, tp, 4) == pytest.approx(expected)
    # 101 points: recall 0..0.25 (26 points) -> 1, .26...5 (25) -> 2/3, .51...75 (25) -> 3/5
    expected_101 = (26 * 1 + 25 * 2 / 3 + 25 * 3 / 5) / 101
    assert detection.average_precision(scores, tp, 4, "101_points") == pytest.approx(expected_101)


def test_average_precision_edge_cases():
    none = torch.zeros(0)
    assert math.isnan(detection.average_precision(none, none.bool(), 0))
    assert detection.average_precision(none, none.bool(), 3) == 0.0
    perfect = torch.tensor([True, True])
    assert detection.average_precision(torch.tensor([0.9, 0.1]), perfect, 2) == 1.0
    # unsorted input is ranked by score first
    tp = torch.tensor([False, True])
    assert detection.average_precision(torch.tensor([0.1, 0.9]), tp, 1) == 1.0


def make_detections(seed: int, num_images: int = 12, num_classes: int = 3):
    """Seeded noisy predictions around random ground truth, plus false positives."""
    g = torch.Generator().manual_seed(seed)
    preds, targets = [], []
    for _ in range(num_images):
        n = int(torch.randint(1, 6, (1,), generator=g))
        gt, labels = random_boxes(n, g, size=200), torch.randint(1, num_classes + 1, (n,), generator=g)
        jitter = torch.randn(n, 4, generator=g) * 6
        noisy = gt + jitter
        noisy = torch.cat([noisy[:, :2].minimum(noisy[:, 2:]), noisy[:, :2].maximum(noisy[:, 2:])], 1)
        m = int(torch.randint(0, 5, (1,), generator=g))
        boxes = torch.cat([noisy, random_boxes(m, g, size=200)])
        pred_labels = torch.cat([labels, torch.randint(1, num_classes + 1, (m,), generator=g)])
        flip = torch.rand(n + m, generator=g) < 0.1                  # some wrong classes
        pred_labels[flip] = torch.randint(1, num_classes + 1, (int(flip.sum()),), generator=g)
        scores = torch.rand(n + m, generator=g)
        preds.append({"boxes": boxes, "scores": scores, "labels": pred_labels})
        targets.append({"boxes": gt, "labels": labels})
    return preds, targets


def test_mean_average_precision_hand_case():
    gt = torch.tensor([[0.0, 0, 10, 10], [20, 20, 30, 30]])
    targets = [{"boxes": gt, "labels": torch.tensor([1, 2])}]
    preds = [{"boxes": torch.tensor([[0.0, 0, 10, 10], [0, 0, 10, 10], [20, 20, 30, 26]]),
              "scores": torch.tensor([0.9, 0.8, 0.7]), "labels": torch.tensor([1, 1, 2])}]
    # class 1: TP then a duplicate (FP) -> AP 1; class 2: IoU 0.6 -> TP at 0.5, FP at 0.75
    out = detection.mean_average_precision(preds, targets, iou_threshold=0.5)
    assert out["classes"].tolist() == [1, 2] and out["map_per_class"].tolist() == [1.0, 1.0]
    out = detection.mean_average_precision(preds, targets, iou_threshold=0.75)
    assert out["map_per_class"].tolist() == [1.0, 0.0] and float(out["map"]) == 0.5
    # a class predicted but absent from the targets is NaN and left out of the mean
    preds[0]["labels"] = torch.tensor([1, 1, 3])
    out = detection.mean_average_precision(preds, targets)
    assert out["classes"].tolist() == [1, 2, 3] and math.isnan(out["map_per_class"][2])
    assert float(out["map"]) == 0.5


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_map_matches_torchmetrics(seed):
    """torchmetrics (pycocotools backend) interpolates the precision envelope at 101 recall
    points (COCO); our default sums it over every recall step (VOC 2010+). Both integrate
    the same non-increasing step function of recall, and the 101-point mean lies between
    its left and right Riemann sums on a 0.01 grid, which bracket the exact integral: they
    differ by at most 0.01 per class, so also in the mean. With '101_points' we match
    pycocotools to float precision. torchmetrics' default recall points come from a
    float32 torch.linspace (its 0.3 is 0.30000001), so a recall of exactly 3/10 misses
    the 0.3 point there but not in pycocotools (np.linspace, float64); we pass
    pycocotools' points to compare like with like."""
    pytest.importorskip("pycocotools")
    from torchmetrics.detection import MeanAveragePrecision

    preds, targets = make_detections(seed)
    metric = MeanAveragePrecision(box_format="xyxy", iou_type="bbox", class_metrics=True,
                                  backend="pycocotools",
                                  rec_thresholds=np.linspace(0.0, 1.0, 101).tolist())
    metric.update(preds, targets)
    ref = metric.compute()
    ours = detection.coco_map(preds, targets)
    assert float(ours["map"]) == pytest.approx(float(ref["map"]), abs=1e-5)
    assert float(ours["map_50"]) == pytest.approx(float(ref["map_50"]), abs=1e-5)
    assert float(ours["map_75"]) == pytest.approx(float(ref["map_75"]), abs=1e-5)
    assert torch.equal(ours["classes"], ref["classes"].long())
    torch.testing.assert_close(ours["map_per_class"].float(), ref["map_per_class"], atol=1e-5, rtol=0)
    voc = detection.mean_average_precision(preds, targets, iou_threshold=0.5)
    assert float(voc["map"]) == pytest.approx(float(ref["map_50"]), abs=0.01 + 1e-6)


def test_match_detections_pools_images():
    preds, targets = make_detections(0, num_images=4)
    scores, tp, num_gt = detection.match_detections(preds, targets, label=1)
    assert num_gt == sum(int((t["labels"] == 1).sum()) for t in targets)
    assert len(scores) == len(tp) == sum(int((p["labels"] == 1).sum()) for p in preds)
    assert int(tp.sum()) <= num_gt


# ---------------------------------------------------------------- clear errors
BOX = torch.tensor([[0.0, 0.0, 1.0, 1.0]])


@pytest.mark.parametrize("call, match", [
    (lambda: detection.box_iou(torch.zeros(3, 5), BOX), r"shape \(N, 4\), got \(3, 5\)"),
    (lambda: detection.box_area(torch.zeros(4)), r"shape \(N, 4\), got \(4,\)"),
    (lambda: detection.box_iou(BOX, [[0, 0, 1, 1]]), "must be a torch.Tensor"),
    (lambda: detection.box_iou(torch.tensor([[5.0, 0, 1, 1]]), BOX), "x2 >= x1"),
    (lambda: detection.box_convert(torch.tensor([[0.0, 0, -1, 1]]), "xywh", "xyxy"), "width and height"),
    (lambda: detection.box_convert(BOX, "xyxy", "yxyx"), "unknown box format 'yxyx'"),
    (lambda: detection.nms(BOX, torch.ones(2), 0.5), r"scores must have shape \(1,\)"),
    (lambda: detection.nms(BOX, torch.ones(1), 1.5), r"iou_threshold must be in \[0, 1\]"),
    (lambda: detection.batched_nms(BOX, torch.ones(1), torch.zeros(3), 0.5), "idxs must have shape"),
    (lambda: detection.make_anchors((0, 3), 16), "positive ints"),
    (lambda: detection.make_anchors((2, 3), 16, ratios=(0.5, -1)), "positive"),
    (lambda: detection.encode_boxes(BOX, torch.zeros(2, 4)), "same shape"),
    (lambda: detection.encode_boxes(torch.tensor([[0.0, 0, 0, 1]]), BOX), "positive width"),
    (lambda: detection.decode_boxes(torch.zeros(1, 4), torch.zeros(1, 4)), "positive width"),
    (lambda: detection.match_anchors(BOX, BOX, fg_iou=0.3, bg_iou=0.5), "bg_iou <= fg_iou"),
    (lambda: detection.average_precision(torch.ones(2), torch.ones(3).bool(), 3), "must have shape"),
    (lambda: detection.average_precision(torch.ones(2), torch.ones(2), 3), "bool tensor"),
    (lambda: detection.average_precision(torch.ones(2), torch.ones(2).bool(), 1), "num_gt must be"),
    (lambda: detection.average_precision(torch.ones(1), torch.ones(1).bool(), 1, "11_points"),
     "unknown interpolation"),
    (lambda: detection.mean_average_precision([{}], []), "same images"),
    (lambda: detection.mean_average_precision([{"boxes": BOX}], [{"boxes": BOX, "labels": torch.ones(1)}]),
     r"preds\[0\] lacks keys \['scores', 'labels'\]"),
    (lambda: detection.mean_average_precision(
        [{"boxes": BOX, "scores": torch.ones(1), "labels": torch.ones(2)}],
        [{"boxes": BOX, "labels": torch.ones(1)}]), r"preds\[0\]\['labels'\] must have shape \(1,\)"),
    (lambda: detection.coco_map([], [], iou_thresholds=()), "at least one"),
])
def test_clear_errors(call, match):
    with pytest.raises(ValueError, match=match):
        call()


# ---------------------------------------------------------------- bad inputs (name the argument)
BAD_INPUTS = [
    (detection.box_convert, (BOX, "xyxy", "yxyx"), {}, ValueError, "box format"),
    (detection.box_area, (torch.zeros(4),), {}, ValueError, "boxes"),
    (detection.box_iou, (torch.zeros(3, 5), BOX), {}, ValueError, "boxes"),
    (detection.nms, (BOX, torch.ones(2), 0.5), {}, ValueError, "scores"),
    (detection.nms, (BOX, torch.ones(1), 1.5), {}, ValueError, "iou_threshold"),
    (detection.batched_nms, (BOX, torch.ones(1), torch.zeros(3), 0.5), {}, ValueError, "idxs"),
    (detection.make_anchors, ((0, 3), 16), {}, ValueError, "feature_size"),
    (detection.encode_boxes, (torch.tensor([[0.0, 0, 0, 1]]), BOX), {}, ValueError, "gt"),
    (detection.decode_boxes, (torch.zeros(1, 4), torch.zeros(1, 4)), {}, ValueError, "anchors"),
    (detection.match_anchors, (BOX, BOX), {"fg_iou": 0.3, "bg_iou": 0.5}, ValueError, "bg_iou"),
]


@pytest.mark.parametrize("fn, args, kwargs, exc, name", BAD_INPUTS)
def test_bad_inputs_raise_naming_the_argument(fn, args, kwargs, exc, name):
    with pytest.raises(exc) as info:
        fn(*args, **kwargs)
    assert name in str(info.value)
