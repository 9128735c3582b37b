"""Tests of course_utils.checkpoints: hashing, verified loading, and the real checkpoint.

Never writes into data/: corrupted copies live in tmp_path."""
from __future__ import annotations

import hashlib
import shutil

import pytest
import torch
from torch.utils.data import DataLoader

from course_utils import checkpoints, core, data, models, train

NAME = "digits04_cnn"


@pytest.fixture
def tmp_checkpoint_dir(monkeypatch, tmp_path):
    """A copy of the checkpoint folder under tmp_path, used in place of data/checkpoints."""
    shutil.copy(checkpoints.CHECKPOINT_DIR / checkpoints.CHECKPOINTS[NAME].file, tmp_path)
    monkeypatch.setattr(checkpoints, "CHECKPOINT_DIR", tmp_path)
    return tmp_path


def test_sha256_of_matches_hashlib(tmp_path):
    path = tmp_path / "blob.bin"
    payload = bytes(range(256)) * 5000          # > 1 MiB block size: several reads
    path.write_bytes(payload)
    assert checkpoints.sha256_of(path) == hashlib.sha256(payload).hexdigest()
    assert checkpoints.sha256_of(str(path)) == hashlib.sha256(payload).hexdigest()
    empty = tmp_path / "empty"
    empty.write_bytes(b"")
    assert checkpoints.sha256_of(empty) == hashlib.sha256(b"").hexdigest()


def test_registered_file_matches_its_hash():
    path = checkpoints.checkpoint_path(NAME)
    assert path == checkpoints.CHECKPOINT_DIR / "digits04_cnn.pt" and path.is_file()
    assert checkpoints.sha256_of(path) == checkpoints.CHECKPOINTS[NAME].sha256


def test_load_state_dict_real_checkpoint():
    state = checkpoints.load_state_dict(NAME)
    expected = models.DigitsCNN(num_classes=5).state_dict()
    assert set(state) == set(expected)
    for key, value in expected.items():
        assert state[key].shape == value.shape, key
    assert state["head.2.weight"].shape == (5, 64)


def test_load_model_accuracy_on_digits04_test_split():
    net = checkpoints.load_model(NAME)
    assert isinstance(net, models.DigitsCNN) and not net.training
    assert net.head[-1].out_features == 5
    assert next(net.parameters()).device.type == "cpu"
    test = data.digits_datasets(classes=range(5))[1]
    acc = train.evaluate(net, DataLoader(test, batch_size=256))["acc"]
    assert acc >= 0.95, f"digits04_cnn test accuracy {acc:.3f} on {len(test)} digits 0-4"


def test_build_model_is_untrained_architecture():
    net = checkpoints.build_model(NAME)
    assert isinstance(net, models.DigitsCNN) and net.head[-1].out_features == 5


def test_wrong_hash_is_a_clear_error(tmp_checkpoint_dir):
    path = tmp_checkpoint_dir / "digits04_cnn.pt"
    raw = bytearray(path.read_bytes())
    raw[-1] ^= 0xFF
    path.write_bytes(bytes(raw))
    with pytest.raises(ValueError, match="corrupted or was replaced") as err:
        checkpoints.load_state_dict(NAME)
    assert checkpoints.CHECKPOINTS[NAME].sha256 in str(err.value)
    with pytest.raises(ValueError, match="SHA-256"):
        checkpoints.load_model(NAME)


def test_wrong_registered_hash(monkeypatch, tmp_checkpoint_dir):
    entry = checkpoints.CHECKPOINTS[NAME]
    fake = checkpoints.Checkpoint(entry.file, "0" * 64, entry.builder, entry.kwargs, "fake")
    monkeypatch.setitem(checkpoints.CHECKPOINTS, "fake", fake)
    with pytest.raises(ValueError, match="'fake' has SHA-256"):
        checkpoints.load_state_dict("fake")


def test_copy_with_right_hash_loads(tmp_checkpoint_dir):
    assert checkpoints.checkpoint_path(NAME).parent == tmp_checkpoint_dir
    assert set(checkpoints.load_state_dict(NAME)) == set(models.DigitsCNN(5).state_dict())


def test_unknown_name():
    for fn in (checkpoints.load_state_dict, checkpoints.load_model, checkpoints.checkpoint_path,
               checkpoints.build_model):
        with pytest.raises(KeyError, match="unknown checkpoint 'imagenet_vgg'"):
            fn("imagenet_vgg")


def test_missing_file(monkeypatch, tmp_path):
    monkeypatch.setattr(checkpoints, "CHECKPOINT_DIR", tmp_path)
    with pytest.raises(FileNotFoundError, match="./course checkpoints"):
        checkpoints.load_state_dict(NAME)


def test_torch_load_uses_weights_only(monkeypatch):
    calls = []
    real_load = torch.load

    def spy(*args, **kwargs):
        calls.append(kwargs)
        return real_load(*args, **kwargs)

    monkeypatch.setattr(torch, "load", spy)
    checkpoints.load_state_dict(NAME)
    assert len(calls) == 1
    assert calls[0].get("weights_only") is True
    assert calls[0].get("map_location") == "cpu"


@pytest.mark.parametrize("name", sorted(checkpoints.CHECKPOINTS))
def test_every_registered_checkpoint_is_stored_verified_and_loadable(name):
    """Each registry entry has its file, the right hash, a trainer script, and loads
    into the registered architecture."""
    path = checkpoints.checkpoint_path(name)
    assert path.is_file(), f"{path} missing"
    assert checkpoints.sha256_of(path) == checkpoints.CHECKPOINTS[name].sha256
    assert (core.REPO_ROOT / "scripts" / "trainers" / f"{name}.py").is_file(), \
        f"no trainer script for {name}"
    assert path.stat().st_size < 5 * 1024 * 1024, "checkpoints stay small (< 5 MB)"
    checkpoints.load_model(name)


def test_every_stored_checkpoint_is_registered():
    stored = {p.name for p in checkpoints.CHECKPOINT_DIR.glob("*.pt")}
    registered = {c.file for c in checkpoints.CHECKPOINTS.values()}
    assert stored <= registered, f"unregistered checkpoint files: {sorted(stored - registered)}"


def test_shapes06_gapnet_checkpoint():
    """The multi-label GAP network of 06_cnn_visualization: hash, architecture, held-out mAP."""
    from sklearn.metrics import average_precision_score

    from course_utils import shapes

    name = "shapes06_gapnet"
    assert checkpoints.sha256_of(checkpoints.checkpoint_path(name)) == checkpoints.CHECKPOINTS[name].sha256
    net = checkpoints.load_model(name)
    assert isinstance(net, models.ShapesGAPNet) and not net.training
    assert net.fc.out_features == 3 and net.fc.in_features == 64
    scenes = shapes.make_shapes_scenes(200, seed=2002, min_objects=1, max_objects=3, radius=(5.0, 12.0))
    ds = data.ShapesDataset(scenes, "multilabel")
    with torch.no_grad():
        probs = torch.sigmoid(net(ds.images))
    mean_ap = average_precision_score(scenes.multilabel_targets(), probs.numpy(), average="macro")
    assert mean_ap >= 0.9, f"{name} held-out mAP {mean_ap:.3f}"


# --- bad inputs (collected by tests/test_bad_inputs.py) ---------------------------------

_GOOD = dict(file="x.pt", sha256="0" * 64, builder="DigitsCNN", kwargs=(), description="")

BAD_INPUTS = [
    (checkpoints.Checkpoint, (), {**_GOOD, "sha256": "0" * 63}, ValueError, "sha256"),
    (checkpoints.Checkpoint, (), {**_GOOD, "sha256": "A" * 64}, ValueError, "sha256"),
    (checkpoints.Checkpoint, (), {**_GOOD, "file": "/tmp/x.pt"}, ValueError, "file"),
    (checkpoints.Checkpoint, (), {**_GOOD, "kwargs": {"width": 32}}, ValueError, "kwargs"),
    (checkpoints.Checkpoint, (), {**_GOOD, "builder": "models/DigitsCNN"}, ValueError, "builder"),
    (checkpoints.sha256_of, (None,), {}, TypeError, "path"),
    (checkpoints.sha256_of, ("no/such/file.pt",), {}, FileNotFoundError, "path"),
    (checkpoints.checkpoint_path, ("imagenet_vgg",), {}, KeyError, "name"),
    (checkpoints.load_state_dict, (models.DigitsCNN(),), {}, TypeError, "name"),
    (checkpoints.build_model, ("digits04-cnn",), {}, KeyError, "name"),
    (checkpoints.load_model, (["digits04_cnn"],), {}, TypeError, "name"),
]


@pytest.mark.parametrize("fn, args, kwargs, exc, name", BAD_INPUTS)
def test_bad_inputs(fn, args, kwargs, exc, name):
    with pytest.raises(exc, match=name):
        fn(*args, **kwargs)
