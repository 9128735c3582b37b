"""Tests of course_utils.shapes: determinism, consistency of the annotations, and that
the scenes are hard enough for trivial predictors to fail the course's floors."""
from __future__ import annotations

import numpy as np
import pytest

from course_utils import shapes

SIZE = 64
HELD_OUT_SEED = 20240607   # not a seed any notebook trains on


@pytest.fixture(scope="module")
def scenes():
    return shapes.make_shapes_scenes(40, seed=3)


@pytest.fixture(scope="module")
def held_out():
    return shapes.make_shapes_scenes(300, seed=HELD_OUT_SEED)


def _tight_box_loop(mask: np.ndarray) -> list[float]:
    """Plain-loop reference: smallest (x1, y1, x2, y2) with x2, y2 exclusive."""
    x1 = y1 = np.inf
    x2 = y2 = -np.inf
    for r in range(mask.shape[0]):
        for c in range(mask.shape[1]):
            if mask[r, c]:
                x1, y1, x2, y2 = min(x1, c), min(y1, r), max(x2, c + 1), max(y2, r + 1)
    return [x1, y1, x2, y2]


def _box_iou_loop(a: np.ndarray, b: np.ndarray) -> float:
    w = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    h = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = w * h
    area = lambda x: (x[2] - x[0]) * (x[3] - x[1])  # noqa: E731
    return inter / (area(a) + area(b) - inter)


def _confusion(pred: np.ndarray, target: np.ndarray, k: int) -> np.ndarray:
    """Plain numpy confusion matrix: rows true class, columns predicted class."""
    return np.bincount(target.ravel().astype(np.int64) * k + pred.ravel(),
                       minlength=k * k).reshape(k, k)


# --- determinism, shapes, dtypes --------------------------------------------------------

def test_same_seed_same_scenes():
    a = shapes.make_shapes_scenes(5, seed=7)
    b = shapes.make_shapes_scenes(5, seed=7)
    np.testing.assert_array_equal(a.images, b.images)
    np.testing.assert_array_equal(a.masks, b.masks)
    for la, lb, ba, bb, ia, ib in zip(a.labels, b.labels, a.boxes, b.boxes,
                                      a.instance_masks, b.instance_masks):
        np.testing.assert_array_equal(la, lb)
        np.testing.assert_array_equal(ba, bb)
        np.testing.assert_array_equal(ia, ib)


def test_different_seed_differs():
    a = shapes.make_shapes_scenes(5, seed=7)
    b = shapes.make_shapes_scenes(5, seed=8)
    assert not np.array_equal(a.images, b.images)
    assert not np.array_equal(a.masks, b.masks)


def test_shapes_and_dtypes(scenes):
    n = len(scenes)
    assert n == 40
    assert scenes.images.shape == (n, SIZE, SIZE, 3) and scenes.images.dtype == np.uint8
    assert scenes.masks.shape == (n, SIZE, SIZE) and scenes.masks.dtype == np.uint8
    assert len(scenes.labels) == len(scenes.boxes) == len(scenes.instance_masks) == n
    for lab, box, inst in zip(scenes.labels, scenes.boxes, scenes.instance_masks):
        k = len(lab)
        assert lab.dtype == np.int64 and lab.shape == (k,)
        assert box.dtype == np.float32 and box.shape == (k, 4)
        assert inst.dtype == bool and inst.shape == (k, SIZE, SIZE)


def test_size_argument():
    s = shapes.make_shapes_scenes(2, seed=0, size=48, radius=(4.0, 10.0))
    assert s.images.shape == (2, 48, 48, 3)
    assert s.masks.shape == (2, 48, 48)


def test_images_are_not_flat(scenes):
    """Textured, noisy backgrounds: every image uses a spread of values."""
    stds = scenes.images.reshape(len(scenes), -1).std(axis=1)
    assert stds.min() > 5, stds.min()


# --- annotations agree with each other ---------------------------------------------------

def test_labels_in_range(scenes):
    allowed = set(range(1, len(shapes.OBJECT_CLASSES) + 1))
    for lab in scenes.labels:
        assert set(lab.tolist()) <= allowed


def test_boxes_are_tight_boxes_of_instance_masks(scenes):
    for box, inst in zip(scenes.boxes[:10], scenes.instance_masks[:10]):
        expected = np.array([_tight_box_loop(m) for m in inst], dtype=np.float32)
        np.testing.assert_array_equal(box, expected)


def test_boxes_inside_image_and_valid(scenes):
    b = np.concatenate(scenes.boxes)
    assert np.all(b[:, :2] >= 0) and np.all(b[:, 2:] <= SIZE)
    assert np.all(b[:, 2] > b[:, 0]) and np.all(b[:, 3] > b[:, 1])


def test_instance_masks_disjoint_and_non_empty(scenes):
    for inst in scenes.instance_masks:
        assert inst.reshape(len(inst), -1).sum(axis=1).min() > 0
        assert inst.sum(axis=0).max() <= 1            # no pixel belongs to two objects


def test_instance_masks_not_tiny(scenes):
    """Every object keeps a visible area of at least 60% of the smallest possible object."""
    min_area = 0.6 * np.pi * 5.0 ** 2 * 0.5           # radius >= 5; loose lower bound
    for inst in scenes.instance_masks:
        assert inst.reshape(len(inst), -1).sum(axis=1).min() >= min_area


def test_semantic_mask_matches_instances(scenes):
    for sem, lab, inst in zip(scenes.masks, scenes.labels, scenes.instance_masks):
        expected = np.zeros_like(sem)
        for label, m in zip(lab, inst):
            expected[m] = label
        np.testing.assert_array_equal(sem, expected)
        assert sem.max() <= len(shapes.OBJECT_CLASSES)


def test_class_labels_and_multilabel_targets(scenes):
    cls = scenes.class_labels()
    assert cls.dtype == np.int64 and cls.shape == (len(scenes),)
    np.testing.assert_array_equal(cls, [lab[0] - 1 for lab in scenes.labels])
    multi = scenes.multilabel_targets()
    assert multi.shape == (len(scenes), 3) and multi.dtype == np.float32
    for row, lab in zip(multi, scenes.labels):
        assert set(np.flatnonzero(row).tolist()) == set((lab - 1).tolist())


# --- object counts ------------------------------------------------------------------------

def test_object_counts_within_range():
    s = shapes.make_shapes_scenes(60, seed=5, min_objects=2, max_objects=5)
    counts = np.array([len(lab) for lab in s.labels])
    assert counts.min() >= 2 and counts.max() <= 5
    assert set(counts.tolist()) == {2, 3, 4, 5}


def test_crowded_scenes_may_drop_objects_but_never_exceed_or_empty():
    """An object that cannot be placed (visibility rule) is skipped, so the real
    guarantee is 1 <= K <= max_objects; the first object always fits."""
    s = shapes.make_shapes_scenes(30, seed=5, min_objects=6, max_objects=6, radius=(10.0, 16.0))
    counts = np.array([len(lab) for lab in s.labels])
    assert counts.min() >= 1 and counts.max() <= 6
    assert counts.min() < 6, "expected some objects to be skipped in such crowded scenes"
    for inst in s.instance_masks:
        assert inst.sum(axis=0).max() <= 1


def test_exact_count():
    s = shapes.make_shapes_scenes(10, seed=1, min_objects=3, max_objects=3)
    assert all(len(lab) == 3 for lab in s.labels)


def test_distinct_classes():
    s = shapes.make_shapes_scenes(30, seed=2, min_objects=2, max_objects=3, distinct_classes=True)
    for lab in s.labels:
        assert len(set(lab.tolist())) == len(lab)


def test_classification_variant_single_object():
    s = shapes.make_shapes_classification(20, seed=4)
    assert all(len(lab) == 1 for lab in s.labels)
    assert set(s.class_labels().tolist()) <= {0, 1, 2}


# --- errors -------------------------------------------------------------------------------

@pytest.mark.parametrize("kwargs, match", [
    ({"n": 0}, "n must be a positive int"),
    ({"n": 2.0}, "n must be a positive int"),
    ({"n": 2, "size": 16}, "size must be at least 32"),
    ({"n": 2, "min_objects": 0}, "min_objects"),
    ({"n": 2, "min_objects": 3, "max_objects": 2}, "min_objects"),
    ({"n": 2, "max_objects": 7}, "max_objects"),
    ({"n": 2, "radius": (2.0, 5.0)}, "radius"),
    ({"n": 2, "radius": (9.0, 5.0)}, "radius"),
    ({"n": 2, "radius": (5.0, 17.0)}, "radius"),      # > size / 4 = 16
    ({"n": 2, "max_objects": 4, "distinct_classes": True}, "distinct_classes"),
])
def test_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        shapes.make_shapes_scenes(**kwargs)


# --- hardness: trivial predictors fail the course's floors by a wide margin --------------

def test_all_background_predictor_fails_segmentation_floor(held_out):
    """Floor in the course: mean IoU >= 0.85 over the 4 segmentation classes."""
    k = len(shapes.SEGMENTATION_CLASSES)
    cm = _confusion(np.zeros_like(held_out.masks), held_out.masks, k)
    inter = np.diag(cm).astype(float)
    union = cm.sum(axis=0) + cm.sum(axis=1) - inter
    iou = inter / union
    miou = float(iou.mean())
    assert miou < 0.30, f"all-background mean IoU {miou:.3f} (per class {np.round(iou, 3)})"


def test_centre_box_predictor_fails_detection_floor(held_out):
    """Floor in the course: mAP@0.5 >= 0.85, and AP <= recall at IoU 0.5."""
    gt = np.concatenate(held_out.boxes)
    w, h = gt[:, 2] - gt[:, 0], gt[:, 3] - gt[:, 1]
    mw, mh = float(np.median(w)), float(np.median(h))
    c = SIZE / 2
    centre = np.array([c - mw / 2, c - mh / 2, c + mw / 2, c + mh / 2])
    matched = np.mean([_box_iou_loop(b, centre) >= 0.5 for b in gt])
    assert matched < 0.15, (f"centred {mw:.1f}x{mh:.1f} box matches {matched:.3f} of "
                            f"{len(gt)} ground-truth boxes at IoU >= 0.5")


def test_majority_class_fails_classification(held_out):
    s = shapes.make_shapes_classification(300, seed=HELD_OUT_SEED)
    counts = np.bincount(s.class_labels(), minlength=3)
    majority = counts.max() / counts.sum()
    assert majority < 0.40, f"majority-class accuracy {majority:.3f} (counts {counts.tolist()})"


def test_classes_roughly_balanced(held_out):
    labels = np.concatenate(held_out.labels)
    share = np.bincount(labels, minlength=4)[1:] / len(labels)
    assert share.min() >= 0.25 and share.max() <= 0.42, \
        f"object share per class {np.round(share, 3)} over {len(labels)} objects"


def test_every_class_has_enough_pixels(held_out):
    share = np.bincount(held_out.masks.ravel(), minlength=4) / held_out.masks.size
    assert share[1:].min() >= 0.02, f"pixel share per class {np.round(share, 4)}"


# --- bad inputs (collected by tests/test_bad_inputs.py) ---------------------------------

_ONE = shapes.make_shapes_scenes(2, seed=0)

BAD_INPUTS = [
    (shapes.ShapesScenes, (_ONE.images, _ONE.labels * 2, _ONE.boxes, _ONE.masks, _ONE.instance_masks), {},
     ValueError, "labels"),
    (shapes.ShapesScenes, (_ONE.images, _ONE.labels, _ONE.boxes[:1], _ONE.masks, _ONE.instance_masks), {},
     ValueError, "boxes"),
    (shapes.ShapesScenes, (_ONE.images.transpose(0, 3, 1, 2), _ONE.labels, _ONE.boxes, _ONE.masks,
                           _ONE.instance_masks), {}, ValueError, "images"),
    (shapes.ShapesScenes, (_ONE.images / 255.0, _ONE.labels, _ONE.boxes, _ONE.masks, _ONE.instance_masks), {},
     TypeError, "images"),
    (shapes.ShapesScenes, (_ONE.images, _ONE.labels, _ONE.boxes, _ONE.masks[:1], _ONE.instance_masks), {},
     ValueError, "masks"),
    (shapes.ShapesScenes, (_ONE.images, _ONE.labels, [b[:0] for b in _ONE.boxes], _ONE.masks,
                           _ONE.instance_masks), {}, ValueError, "boxes"),
    (shapes.make_shapes_scenes, (0,), {}, ValueError, "n"),
    (shapes.make_shapes_scenes, (2,), {"size": "64"}, ValueError, "size"),
    (shapes.make_shapes_scenes, (2,), {"radius": 8.0}, ValueError, "radius"),
    (shapes.make_shapes_scenes, (2,), {"seed": None}, TypeError, "seed"),
    (shapes.make_shapes_scenes, (2,), {"noise": 10}, ValueError, "noise"),
    (shapes.make_shapes_scenes, (2,), {"max_objects": 2.5}, ValueError, "max_objects"),
    (shapes.make_shapes_classification, (2,), {"size": 16}, ValueError, "size"),
]


@pytest.mark.parametrize("fn, args, kwargs, exc, name", BAD_INPUTS)
def test_bad_inputs(fn, args, kwargs, exc, name):
    with pytest.raises(exc, match=name):
        fn(*args, **kwargs)
