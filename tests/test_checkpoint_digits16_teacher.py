"""The digits16_teacher checkpoint (02_data_augmentation's distillation teacher):
registered hash, architecture, accuracy, and a clear error when the file is damaged.

Never writes into data/: the damaged copy lives in tmp_path."""
from __future__ import annotations

import shutil

import pytest
from torch.utils.data import DataLoader

from course_utils import checkpoints, data, models, train

NAME = "digits16_teacher"


def test_registered_file_matches_its_hash():
    path = checkpoints.checkpoint_path(NAME)
    assert path.name == "digits16_teacher.pt" and path.is_file()
    assert checkpoints.sha256_of(path) == checkpoints.CHECKPOINTS[NAME].sha256


def test_architecture_is_a_width_32_digits_cnn():
    net = checkpoints.load_model(NAME)
    assert isinstance(net, models.DigitsCNN) and not net.training
    assert net.features[0][0].out_channels == 32 and net.head[-1].out_features == 10
    assert train.count_parameters(net) == train.count_parameters(models.DigitsCNN(width=32))


def test_accuracy_on_the_16x16_test_split():
    net = checkpoints.load_model(NAME)
    test = data.digits_datasets(size=16)[1]
    acc = train.evaluate(net, DataLoader(test, batch_size=256))["acc"]
    assert acc >= 0.98, f"{NAME} test accuracy {acc:.3f} on the 16x16 digits"


def test_damaged_copy_is_refused(monkeypatch, tmp_path):
    shutil.copy(checkpoints.checkpoint_path(NAME), tmp_path)
    monkeypatch.setattr(checkpoints, "CHECKPOINT_DIR", tmp_path)
    path = tmp_path / "digits16_teacher.pt"
    path.write_bytes(path.read_bytes()[:-10])
    with pytest.raises(ValueError, match="SHA-256"):
        checkpoints.load_model(NAME)


def test_wrong_input_shape_is_a_clear_error():
    net = checkpoints.load_model(NAME)
    test = data.digits_datasets(size=16)[1]
    with pytest.raises(ValueError, match=r"\(N, C, H, W\)"):
        net(test.tensors[0][0])          # one image without its batch dimension
