"""Tests of course_utils.competition and of the exercise checks of 09_competition_pipeline."""
from __future__ import annotations

import itertools
import json
import pickle
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
import torch.nn.functional as F
from sklearn.metrics import accuracy_score, f1_score
from torch.utils.data import DataLoader, TensorDataset
from torchvision.transforms import v2

from course_utils import checks, competition

NOTEBOOK = Path(__file__).resolve().parent.parent / "notebooks" / "09_competition_pipeline.ipynb"


@pytest.fixture(scope="module")
def comp():
    return competition.make_competition(n_train=600, n_test=180, seed=1, n_duplicates=6)


# --- labels -------------------------------------------------------------------------------

def test_labels_round_trip_and_names():
    combos = list(itertools.product(range(3), range(3), range(2)))
    assert [competition.encode_label(*c) for c in combos] == list(range(18))
    assert [competition.decode_label(i) for i in range(18)] == combos
    expected = [f"{competition.SHAPES[s]}-{competition.COLOURS[c]}-{competition.SIZES[z]}" for s, c, z in combos]
    assert list(competition.CLASS_NAMES) == expected and competition.NUM_CLASSES == 18


# --- the generated data -------------------------------------------------------------------

def test_shapes_dtypes_and_determinism(comp):
    assert comp.train_images.shape == (606, 24, 24, 3) and comp.train_images.dtype == np.uint8
    assert comp.test_images.shape == (180, 24, 24, 3)
    assert comp.train_labels.dtype == np.int64 and comp.train_labels.min() >= 0 and comp.train_labels.max() < 18
    assert len(set(comp.train_ids)) == 606 and len(set(comp.test_ids)) == 180
    again = competition.make_competition(n_train=600, n_test=180, seed=1, n_duplicates=6)
    np.testing.assert_array_equal(again.train_images, comp.train_images)
    np.testing.assert_array_equal(again.train_labels, comp.train_labels)
    other = competition.make_competition(n_train=600, n_test=180, seed=2, n_duplicates=6)
    assert not np.array_equal(other.train_images, comp.train_images)
    assert "_test_labels" not in repr(comp)                                           # hidden from repr


def test_imbalance_follows_the_ratio():
    c = competition.make_competition(n_train=1800, n_test=720, seed=0, imbalance=15.0, noise_rate=0.0,
                                     n_duplicates=0)
    for labels, n in ((c.train_labels, 1800), (c._test_labels, 720)):
        counts = np.bincount(labels, minlength=18)
        assert counts.sum() == n and counts.min() > 0
        assert 12 <= counts.max() / counts.min() <= 18
    # the same class order in both splits
    assert np.argmax(np.bincount(c.train_labels)) == np.argmax(np.bincount(c._test_labels))


def _object_colour(image: np.ndarray) -> tuple[int, int]:
    """Colour id and pixel count of the saturated (non-grey) pixels: an independent reading."""
    img = image.astype(float) / 255
    coloured = (img.max(axis=2) - img.min(axis=2)) > 0.3
    return int(np.argmax(img[coloured].mean(axis=0))), int(coloured.sum())


def test_pixels_agree_with_clean_labels_and_noise_changes_one_attribute(comp):
    noisy = set(comp.noisy_ids)
    assert round(0.03 * 600) <= len(noisy) <= round(0.03 * 600) + 6     # + copies of noisy images
    colour_mismatch_noisy = 0
    areas = {0: [], 1: []}
    for image_id, image, label in zip(comp.train_ids, comp.train_images, comp.train_labels):
        colour, area = _object_colour(image)
        _, label_colour, size = competition.decode_label(int(label))
        if image_id in noisy:
            colour_mismatch_noisy += colour != label_colour
        else:
            assert colour == label_colour, image_id
            areas[size].append(area)
    assert colour_mismatch_noisy >= 1                       # some noise flips the colour...
    assert colour_mismatch_noisy < len(noisy)               # ...but most flips touch another attribute
    assert np.median(areas[1]) > 1.8 * np.median(areas[0])  # large shapes are clearly larger
    for image, label in zip(comp.test_images, comp._test_labels):   # test labels are clean
        assert _object_colour(image)[0] == competition.decode_label(int(label))[1]


def test_planted_duplicates_are_exact_and_the_only_ones(comp):
    assert len(comp.planted_duplicates) == 6
    index = {image_id: i for i, image_id in enumerate(comp.train_ids)}
    for original, copy in comp.planted_duplicates:
        a, b = index[original], index[copy]
        np.testing.assert_array_equal(comp.train_images[a], comp.train_images[b])
        assert comp.train_labels[a] == comp.train_labels[b]
    flat = comp.train_images.reshape(len(comp.train_images), -1)
    _, first, counts = np.unique(flat, axis=0, return_index=True, return_counts=True)
    assert counts.sum() - len(counts) == 6 and counts.max() == 2


# --- scoring ----------------------------------------------------------------------------

def test_score_submission_matches_sklearn(comp):
    rng = np.random.default_rng(0)
    pred = np.where(rng.random(180) < 0.3, rng.integers(0, 18, 180), comp._test_labels)
    sub = pd.DataFrame({"id": comp.test_ids, "label": pred}).sample(frac=1.0, random_state=0)  # any order
    score = competition.score_submission(comp, sub)
    assert score["macro_f1"] == pytest.approx(f1_score(comp._test_labels, pred, average="macro"))
    assert score["accuracy"] == pytest.approx(accuracy_score(comp._test_labels, pred))
    perfect = pd.DataFrame({"id": comp.test_ids, "label": comp._test_labels})
    assert competition.score_submission(comp, perfect) == {"macro_f1": 1.0, "accuracy": 1.0}


@pytest.mark.parametrize("change, message", [
    (lambda s: s.rename(columns={"label": "ans"}), "columns"),
    (lambda s: s.iloc[1:], "ids"),
    (lambda s: pd.concat([s.iloc[:1], s.iloc[:-1]]), "ids"),
    (lambda s: s.assign(label=s["label"].astype(float)), "integers"),
    (lambda s: s.assign(label=s["label"] + 18), "integers"),
])
def test_score_submission_rejects_bad_files(comp, change, message):
    sub = pd.DataFrame({"id": comp.test_ids, "label": comp._test_labels})
    with pytest.raises(ValueError, match=message):
        competition.score_submission(comp, change(sub))


# --- dataset and model --------------------------------------------------------------------

def test_dataset_matches_tensordataset(comp):
    ds = competition.CompetitionDataset(comp.train_images, comp.train_labels)
    ref = TensorDataset(torch.from_numpy(comp.train_images).permute(0, 3, 1, 2).float() / 255,
                        torch.from_numpy(comp.train_labels))
    assert len(ds) == len(ref)
    for i in (0, 5, len(ds) - 1):
        torch.testing.assert_close(ds[i][0], ref[i][0])
        assert ds[i][1] == int(ref[i][1])
    X, y = next(iter(DataLoader(ds, batch_size=8)))
    assert X.shape == (8, 3, 24, 24) and y.dtype == torch.int64
    unlabelled = competition.CompetitionDataset(comp.test_images)
    assert unlabelled[0][1] == -1


def test_dataset_transform_and_pickles(comp):
    ds = competition.CompetitionDataset(comp.train_images, comp.train_labels, transform=v2.RandomHorizontalFlip(p=1.0))
    torch.testing.assert_close(ds[3][0], torch.from_numpy(comp.train_images[3]).permute(2, 0, 1).float().flip(-1) / 255)
    clone = pickle.loads(pickle.dumps(ds))      # what spawned DataLoader workers need
    torch.testing.assert_close(clone[3][0], ds[3][0])


def test_small_cnn_shapes_and_gradients():
    net = competition.small_cnn(width=4)
    x = torch.randn(5, 3, 24, 24)
    out = net(x)
    assert out.shape == (5, 18)
    out.sum().backward()
    assert all(p.grad is not None for p in net.parameters())
    assert competition.small_cnn(num_classes=3)(torch.randn(2, 3, 32, 32)).shape == (2, 3)


_COMP = competition.make_competition(n_train=60, n_test=20, seed=0, n_duplicates=2)

_IMAGES = np.zeros((2, 24, 24, 3), np.uint8)
BAD_INPUTS = [
    (competition.Competition, (_IMAGES.astype(np.float32), np.zeros(2, np.int64), ["a", "b"], _IMAGES, ["c", "d"],
                               [], [], np.zeros(2, np.int64)), {}, ValueError, "train_images"),
    (competition.Competition, (_IMAGES, np.zeros(3, np.int64), ["a", "b"], _IMAGES, ["c", "d"], [], [],
                               np.zeros(2, np.int64)), {}, ValueError, "train_labels"),
    (competition.encode_label, (3, 0, 0), {}, ValueError, "shape"),
    (competition.encode_label, (0, 0, 2), {}, ValueError, "size"),
    (competition.decode_label, (18,), {}, ValueError, "label"),
    (competition.decode_label, (1.0,), {}, ValueError, "label"),
    (competition.make_competition, (), {"n_train": 10}, ValueError, "n_train"),
    (competition.make_competition, (), {"n_test": 5}, ValueError, "n_test"),
    (competition.make_competition, (), {"size": 8}, ValueError, "size"),
    (competition.make_competition, (), {"imbalance": 0.5}, ValueError, "imbalance"),
    (competition.make_competition, (), {"noise_rate": 0.9}, ValueError, "noise_rate"),
    (competition.make_competition, (), {"n_duplicates": -1}, ValueError, "n_duplicates"),
    (competition.score_submission, ("not a competition", pd.DataFrame()), {}, TypeError, "competition"),
    (competition.score_submission, (_COMP, [("test_00000", 1)]), {}, ValueError, "submission"),
    (competition.CompetitionDataset, (_COMP.train_images.astype(np.float32),), {}, ValueError, "images"),
    (competition.CompetitionDataset, (_COMP.train_images, _COMP.train_labels[:3]), {}, ValueError, "labels"),
    (competition.small_cnn, (), {"width": 0}, ValueError, "width"),
    (competition.small_cnn, (), {"num_classes": 1}, ValueError, "num_classes"),
    (competition.small_cnn, (), {"dropout": 1.0}, ValueError, "dropout"),
]


@pytest.mark.parametrize("fn, args, kwargs, exc, text", BAD_INPUTS,
                         ids=lambda v: getattr(v, "__name__", None) if callable(v) else None)
def test_bad_inputs(fn, args, kwargs, exc, text):
    with pytest.raises(exc, match=text):
        fn(*args, **kwargs)


# --- the exercise checks of 09 reject wrong answers and accept right ones -----------------

def _exercise_checks() -> dict[str, str]:
    """Map each exercise function name to the source of the check cell that follows it."""
    cells = [c for c in json.loads(NOTEBOOK.read_text(encoding="utf-8"))["cells"] if c["cell_type"] == "code"]
    out = {}
    for cell, following in zip(cells, cells[1:]):
        src = "".join(cell["source"])
        if "# BEGIN SOLUTION" in src:
            name = src.split("def ", 1)[1].split("(", 1)[0]
            out[name] = "".join(following["source"])
    return out


def _run_check(name: str, answer) -> None:
    namespace = {"np": np, "torch": torch, "F": F, "checks": checks, name: answer}
    exec(_exercise_checks()[name], namespace)


def _stub(*args, **kwargs):
    raise NotImplementedError


def _focal_right(logits, y, alpha, gamma=2.0):
    p = logits.softmax(dim=1)[torch.arange(len(y)), y]
    return (alpha[y] * (1 - p) ** gamma * -torch.log(p)).mean()


def _focal_right_nll(logits, y, alpha, gamma=2.0):
    log_p = -F.nll_loss(F.log_softmax(logits, 1), y, reduction="none")
    return torch.mean(alpha[y] * (1 - log_p.exp()) ** gamma * -log_p)


def _focal_no_alpha(logits, y, alpha, gamma=2.0):
    return _focal_right(logits, y, torch.ones_like(alpha), gamma)


def _focal_weighted_mean(logits, y, alpha, gamma=2.0):      # divides by sum(alpha[y]), not N
    return _focal_right(logits, y, alpha, gamma) * len(y) / alpha[y].sum()


def _focal_p_not_one_minus_p(logits, y, alpha, gamma=2.0):
    p = logits.softmax(dim=1)[torch.arange(len(y)), y]
    return (alpha[y] * p ** gamma * -torch.log(p)).mean()


def _f1_right(y_true, y_pred, num_classes):
    scores = []
    for c in range(num_classes):
        tp = np.sum((y_true == c) & (y_pred == c))
        denominator = np.sum(y_true == c) + np.sum(y_pred == c)
        scores.append(2 * tp / denominator if denominator else 0.0)
    return float(np.mean(scores))


def _f1_micro(y_true, y_pred, num_classes):
    return float(np.mean(y_true == y_pred))


def _f1_weighted(y_true, y_pred, num_classes):
    return f1_score(y_true, y_pred, labels=range(num_classes), average="weighted", zero_division=0)


def _f1_present_classes_only(y_true, y_pred, num_classes):
    return f1_score(y_true, y_pred, average="macro", zero_division=0)


def _vote_right(logits_list):
    return torch.stack([F.softmax(lg, 1) for lg in logits_list]).sum(0).argmax(1)


def _vote_hard(logits_list):
    return torch.mode(torch.stack([lg.argmax(1) for lg in logits_list]), dim=0).values


def _vote_mean_logits(logits_list):
    return torch.stack(logits_list).mean(0).argmax(1)


def _vote_first_model(logits_list):
    return logits_list[0].argmax(1)


def _vote_probabilities(logits_list):
    return torch.stack([lg.softmax(1) for lg in logits_list]).mean(0)


@pytest.mark.skipif(not NOTEBOOK.exists(), reason="notebook 09 not present")
@pytest.mark.parametrize("name, answer, ok", [
    ("balanced_focal_loss", _focal_right, True),
    ("balanced_focal_loss", _focal_right_nll, True),
    ("balanced_focal_loss", _stub, False),
    ("balanced_focal_loss", _focal_no_alpha, False),
    ("balanced_focal_loss", _focal_weighted_mean, False),
    ("balanced_focal_loss", _focal_p_not_one_minus_p, False),
    ("my_macro_f1", _f1_right, True),
    ("my_macro_f1", _stub, False),
    ("my_macro_f1", _f1_micro, False),
    ("my_macro_f1", _f1_weighted, False),
    ("my_macro_f1", _f1_present_classes_only, False),
    ("soft_vote", _vote_right, True),
    ("soft_vote", _stub, False),
    ("soft_vote", _vote_hard, False),
    ("soft_vote", _vote_mean_logits, False),
    ("soft_vote", _vote_first_model, False),
    ("soft_vote", _vote_probabilities, False),
], ids=lambda v: getattr(v, "__name__", None) if callable(v) else None)
def test_exercise_checks(name, answer, ok):
    if ok:
        _run_check(name, answer)
    else:
        with pytest.raises((AssertionError, NotImplementedError)):
            _run_check(name, answer)
