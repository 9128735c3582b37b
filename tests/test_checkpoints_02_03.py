"""Checkpoints added for 02_data_augmentation and 03_modern_cnns, and ``models.TrainingCurves``.

- ``digits16_teacher_half``: the distillation teacher trained on one half of the training
  split; the other half (the student's pool) must be disjoint from it.
- ``resnet03_degradation``: stored training-loss curves (``TrainingCurves``) of deep plain
  vs residual BatchNorm networks.
"""
from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest
import torch
from sklearn.model_selection import train_test_split

from course_utils import checkpoints, data, models, train

TRAINERS = Path(__file__).resolve().parent.parent / "scripts" / "trainers"


def _trainer(name):
    spec = importlib.util.spec_from_file_location(f"trainers.{name}", TRAINERS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("name", ["digits16_teacher_half", "resnet03_degradation"])
def test_registered_file_matches_its_hash(name):
    path = checkpoints.checkpoint_path(name)
    assert path.is_file() and path.stat().st_size < 1_000_000
    assert checkpoints.sha256_of(path) == checkpoints.CHECKPOINTS[name].sha256


def test_teacher_half_architecture_and_accuracy():
    net = checkpoints.load_model("digits16_teacher_half")
    assert isinstance(net, models.DigitsCNN) and not net.training
    assert train.count_parameters(net) == train.count_parameters(models.DigitsCNN(width=32))
    X, y = data.digits_datasets(size=16)[1].tensors
    with torch.no_grad():
        acc = (net(X).argmax(1) == y).float().mean().item()
    assert acc >= 0.98, f"teacher test accuracy {acc:.3f}"


def test_teacher_half_split_is_disjoint_and_matches_the_notebook():
    y = data.digits_datasets(size=16)[0].tensors[1]
    teacher_idx, pool_idx = _trainer("digits16_teacher_half").teacher_half_indices(y)
    assert not set(teacher_idx) & set(pool_idx)
    assert sorted(np.concatenate([teacher_idx, pool_idx]).tolist()) == list(range(len(y)))
    # the notebook writes the same split out with scikit-learn: it must be this one
    a, b = train_test_split(np.arange(len(y)), test_size=0.5, random_state=0, stratify=y.numpy())
    np.testing.assert_array_equal(np.sort(a), teacher_idx)
    np.testing.assert_array_equal(np.sort(b), pool_idx)
    # stratified: every class is in both halves in nearly equal numbers
    counts_t, counts_p = np.bincount(y[teacher_idx], minlength=10), np.bincount(y[pool_idx], minlength=10)
    assert np.abs(counts_t - counts_p).max() <= 1


def test_degradation_curves_show_degradation():
    curves = checkpoints.load_model("resnet03_degradation")
    assert isinstance(curves, models.TrainingCurves)
    loss = curves.loss
    assert loss.shape == (3, 4, 300) and torch.isfinite(loss).all() and (loss > 0).all()
    final = loss[:, :, -50:].mean(-1)                     # runs: plain 8, plain 32, residual 8, residual 32
    assert (final[:, 1] > final[:, 0]).all(), "the deep plain net should train worse than the shallow one"
    assert (final[:, 1] > final[:, 3]).all(), "the deep plain net should train worse than the deep residual one"
    assert (loss[:, :, :10].mean(-1) > 1.0).all(), "every run starts near chance (ln 10 = 2.3)"


def test_training_curves_buffer_is_saved_and_loaded():
    curves = models.TrainingCurves(2, 3, 5)
    assert curves.loss.shape == (2, 3, 5) and not curves.loss.any()
    curves.loss[1, 2] = torch.arange(5.0)
    copy = models.TrainingCurves(2, 3, 5)
    copy.load_state_dict(curves.state_dict())
    torch.testing.assert_close(copy.loss, curves.loss)
    assert list(copy.state_dict()) == ["loss"] and not list(copy.parameters())


def test_training_curves_has_no_forward():
    with pytest.raises(RuntimeError, match="no forward pass"):
        models.TrainingCurves()(torch.zeros(1))


BAD_INPUTS = [
    (models.TrainingCurves, (0, 4, 300), {}, ValueError, "num_seeds"),
    (models.TrainingCurves, (), {"num_steps": -1}, ValueError, "num_steps"),
]


@pytest.mark.parametrize("fn, args, kwargs, exc, name", BAD_INPUTS)
def test_bad_inputs_raise_naming_the_argument(fn, args, kwargs, exc, name):
    with pytest.raises(exc) as info:
        fn(*args, **kwargs)
    assert name in str(info.value)
