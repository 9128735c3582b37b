"""course_utils.centernet and models.CenterNetLite: round trips, hand cases, plain loops, errors."""
from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from course_utils import centernet, detection, models, shapes


def perfect_output(targets: list[dict], num_classes: int = 3) -> torch.Tensor:
    """The output a perfect model would give: +-20 logits at centres, exact size and offset."""
    enc = centernet.encode_batch(targets, num_classes, (64, 64), stride=4)
    logits = torch.where(enc["heatmap"] == 1, 20.0, -20.0)
    return torch.cat([logits, enc["size"], enc["offset"]], dim=1)


def scene_targets(n: int = 6, seed: int = 5) -> list[dict]:
    s = shapes.make_shapes_scenes(n, seed=seed)
    return [{"boxes": torch.from_numpy(b), "labels": torch.from_numpy(lab)} for b, lab in zip(s.boxes, s.labels)]


def test_encode_decode_round_trip_recovers_boxes():
    targets = scene_targets()
    preds = centernet.decode(perfect_output(targets))
    collisions = 0
    for p, t in zip(preds, targets):
        centres = detection.box_convert(t["boxes"], "xyxy", "cxcywh")[:, :2] // 4
        cells = {(int(lab), int(x), int(y)) for lab, (x, y) in zip(t["labels"], centres)}
        assert len(p["boxes"]) == len(cells)               # objects sharing a centre cell collapse (documented)
        collisions += len(t["boxes"]) - len(cells)
        iou = detection.box_iou(p["boxes"], t["boxes"])
        assert torch.all(iou.max(dim=1).values > 0.999)
        matched = iou.argmax(dim=1)
        assert torch.equal(p["labels"], t["labels"][matched])
    if collisions == 0:
        assert detection.mean_average_precision(preds, targets)["map"] == pytest.approx(1.0)


def test_round_trip_map_is_one_without_collisions():
    targets = scene_targets(6, seed=7)
    assert detection.mean_average_precision(centernet.decode(perfect_output(targets)), targets)["map"] \
        == pytest.approx(1.0)


def test_encode_hand_case():
    boxes = torch.tensor([[10.0, 6.0, 30.0, 14.0]])          # centre (20, 10), size 20 x 8
    enc = centernet.encode_targets(boxes, torch.tensor([2]), num_classes=3, image_size=(32, 32), stride=4)
    assert enc["mask"].nonzero().tolist() == [[2, 5]]         # row 10 / 4 = 2.5 -> 2, col 20 / 4 = 5
    assert enc["heatmap"][1, 2, 5] == 1 and enc["heatmap"][0].sum() == 0 and enc["heatmap"][2].sum() == 0
    torch.testing.assert_close(enc["offset"][:, 2, 5], torch.tensor([0.0, 0.5]))
    torch.testing.assert_close(enc["size"][:, 2, 5], torch.log(torch.tensor([5.0, 2.0])))
    assert enc["heatmap"].max() <= 1 and enc["heatmap"].min() >= 0


def test_heatmap_focal_loss_matches_plain_loop():
    g = torch.Generator().manual_seed(0)
    logits = torch.randn(2, 3, 4, 4, generator=g)
    heat = torch.rand(2, 3, 4, 4, generator=g) * 0.9
    heat[0, 1, 2, 2] = heat[1, 0, 0, 3] = 1.0
    total = 0.0
    for lo, y in zip(logits.flatten().tolist(), heat.flatten().tolist()):
        p = torch.sigmoid(torch.tensor(lo)).item()
        total += -((1 - p) ** 2) * torch.log(torch.tensor(p)).item() if y == 1 else \
            -((1 - y) ** 4) * p ** 2 * torch.log(torch.tensor(1 - p)).item()
    assert centernet.heatmap_focal_loss(logits, heat).item() == pytest.approx(total / 2, rel=1e-4)


def test_centernet_loss_is_zero_for_perfect_size_and_offset():
    targets = scene_targets(3)
    out = perfect_output(targets)
    losses = centernet.centernet_loss(out, centernet.encode_batch(targets, 3, (64, 64)))
    assert losses["size"].item() == pytest.approx(0.0, abs=1e-6)
    assert losses["offset"].item() == pytest.approx(0.0, abs=1e-6)
    assert losses["heatmap"].item() < 1e-3


def test_decode_peaks_are_local_maxima_and_sorted():
    out = torch.randn(2, 7, 16, 16, generator=torch.Generator().manual_seed(1))
    for p in centernet.decode(out, max_detections=10, score_threshold=0.0):
        assert len(p["scores"]) == 10
        assert torch.all(p["scores"][:-1] >= p["scores"][1:])
        assert set(p["labels"].tolist()) <= {1, 2, 3}
    scores = out[:, :3].sigmoid()
    is_peak = F.max_pool2d(scores, 3, 1, 1) == scores
    assert is_peak.sum() >= 20


def test_centernet_lite_output_shape_and_decodes():
    net = models.CenterNetLite().eval()
    out = net(torch.rand(2, 3, 64, 64))
    assert out.shape == (2, 7, 16, 16)
    assert len(centernet.decode(out)) == 2


@pytest.mark.parametrize("call, match", [
    (lambda: centernet.encode_targets(torch.zeros(1, 4), torch.tensor([1]), 3, (64, 64)), "positive width"),
    (lambda: centernet.encode_targets(torch.tensor([[0.0, 0, 8, 8]]), torch.tensor([0]), 3, (64, 64)),
     "labels must be in 1..3"),
    (lambda: centernet.encode_targets(torch.tensor([[0.0, 0, 8, 8]]), torch.tensor([1]), 3, (62, 64)),
     "multiples of stride"),
    (lambda: centernet.encode_targets(torch.tensor([[0.0, 0, 8, 8]]), torch.tensor([1, 2]), 3, (64, 64)),
     "labels must have shape"),
    (lambda: centernet.heatmap_focal_loss(torch.zeros(1, 3, 4, 4), torch.zeros(1, 3, 4, 5)), "must both be"),
    (lambda: centernet.decode(torch.zeros(1, 4, 8, 8)), "C >= 1"),
    (lambda: centernet.decode(torch.zeros(1, 7, 8, 8), score_threshold=2.0), "score_threshold"),
    (lambda: centernet.encode_batch([], 3, (64, 64)), "targets is empty"),
    (lambda: models.CenterNetLite()(torch.zeros(1, 3, 60, 60)), "divisible by 8"),
])
def test_errors_on_bad_input(call, match):
    with pytest.raises(ValueError, match=match):
        call()


# ---------------------------------------------------------------- bad inputs (name the argument)
_BOX = torch.tensor([[0.0, 0, 8, 8]])
_TARGET = centernet.encode_targets(_BOX, torch.tensor([1]), 3, (64, 64))

BAD_INPUTS = [
    (centernet.encode_targets, (torch.tensor([[60.0, 10, 80, 20]]), torch.tensor([1]), 3, (64, 64)), {},
     ValueError, "boxes"),
    (centernet.encode_targets, (_BOX, torch.tensor([0]), 3, (64, 64)), {}, ValueError, "labels"),
    (centernet.encode_targets, (_BOX, torch.tensor([1]), 3, (64, 64)), {"stride": 0}, ValueError, "stride"),
    (centernet.encode_batch, ([], 3, (64, 64)), {}, ValueError, "targets"),
    (centernet.heatmap_focal_loss, (torch.zeros(1, 3, 16, 16), 255 * _TARGET["heatmap"][None]), {},
     ValueError, "heatmap"),
    (centernet.centernet_loss, (torch.zeros(1, 7, 16, 16), _TARGET), {}, ValueError, "target"),
    (centernet.centernet_loss, (torch.zeros(1, 7, 16, 16), {"heatmap": torch.zeros(1)}), {}, TypeError, "target"),
    (centernet.decode, (torch.zeros(1, 7, 16, 16),), {"stride": 0}, ValueError, "stride"),
    (centernet.decode, (torch.zeros(1, 7, 16, 16),), {"score_threshold": 2.0}, ValueError, "score_threshold"),
]


@pytest.mark.parametrize("fn, args, kwargs, exc, name", BAD_INPUTS)
def test_bad_inputs_raise_naming_the_argument(fn, args, kwargs, exc, name):
    with pytest.raises(exc) as info:
        fn(*args, **kwargs)
    assert name in str(info.value)


@pytest.mark.parametrize("box", [[-6.0, 10, 2, 20], [60.0, 10, 80, 20], [10.0, 60, 20, 70]])
def test_encode_targets_refuses_centres_outside_the_image(box):
    """Such centres used to be clamped or truncated into a wrong cell, with offsets outside [0, 1)."""
    with pytest.raises(ValueError, match="centre of every box"):
        centernet.encode_targets(torch.tensor([box]), torch.tensor([1]), 3, (64, 64))


def test_boxes_partly_outside_with_centre_inside_keep_offsets_in_unit_interval():
    enc = centernet.encode_targets(torch.tensor([[-4.0, 50, 6, 70], [55.0, 0, 70, 3.9]]),
                                   torch.tensor([1, 2]), 3, (64, 64))
    off = enc["offset"][:, enc["mask"]]
    assert ((off >= 0) & (off < 1)).all()


def test_heatmap_focal_loss_refuses_0_255_heatmaps():
    with pytest.raises(ValueError, match="divided by 255"):
        centernet.heatmap_focal_loss(torch.zeros(1, 3, 16, 16), 255 * _TARGET["heatmap"][None])


def test_centernet_loss_names_the_unbatched_target():
    """It used to blame 'output' when the target came from encode_targets (no batch dim)."""
    with pytest.raises(ValueError, match="encode_batch"):
        centernet.centernet_loss(torch.zeros(1, 7, 16, 16), _TARGET)
    batched = centernet.encode_batch([{"boxes": _BOX, "labels": torch.tensor([1])}], 3, (64, 64))
    assert centernet.centernet_loss(torch.zeros(1, 7, 16, 16), batched)["total"].isfinite()
