"""Tests of course_utils.train: accuracy, evaluate, fit, predict and parameter counts."""
from __future__ import annotations

import pytest
import torch
from sklearn.datasets import make_blobs
from sklearn.metrics import accuracy_score
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from course_utils import train


@pytest.fixture
def blobs():
    X, y = make_blobs(n_samples=200, centers=[[-3, -3], [3, 3]], cluster_std=1.0, random_state=0)
    ds = TensorDataset(torch.tensor(X, dtype=torch.float32), torch.tensor(y, dtype=torch.int64))
    gen = torch.Generator().manual_seed(0)
    return (DataLoader(ds, batch_size=32, shuffle=True, generator=gen),
            DataLoader(ds, batch_size=50))


def _net(dropout: float = 0.0):
    return nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Dropout(dropout), nn.Linear(16, 2))


# --- accuracy ---------------------------------------------------------------------------

def test_accuracy_matches_sklearn():
    logits = torch.randn(37, 5)
    y = torch.randint(0, 5, (37,))
    expected = accuracy_score(y.numpy(), logits.argmax(1).numpy()) * 37
    assert train.accuracy(logits, y) == pytest.approx(expected)
    assert isinstance(train.accuracy(logits, y), float)


def test_accuracy_hand_computed():
    logits = torch.tensor([[0.1, 0.9], [2.0, -1.0], [0.3, 0.2]])
    assert train.accuracy(logits, torch.tensor([1, 1, 0])) == 2.0


@pytest.mark.parametrize("logits_shape, y_shape", [((4, 3), (5,)), ((4,), (4,)), ((4, 3), (4, 1))])
def test_accuracy_mismatched(logits_shape, y_shape):
    with pytest.raises(ValueError, match=r"expected logits \(N, C\)"):
        train.accuracy(torch.zeros(logits_shape), torch.zeros(y_shape, dtype=torch.int64))


# --- evaluate ---------------------------------------------------------------------------

@pytest.mark.parametrize("start_training", [True, False])
def test_evaluate_matches_manual_loop_and_restores_mode(blobs, start_training):
    _, loader = blobs
    net = _net(dropout=0.5)
    net.train(start_training)
    loss_fn = nn.CrossEntropyLoss()
    out = train.evaluate(net, loader, loss_fn)
    assert net.training is start_training
    net.eval()
    correct = loss_sum = total = 0
    with torch.no_grad():
        for X, y in loader:
            logits = net(X)
            correct += int((logits.argmax(1) == y).sum())
            loss_sum += float(loss_fn(logits, y)) * len(y)
            total += len(y)
    assert out["acc"] == pytest.approx(correct / total)
    assert out["loss"] == pytest.approx(loss_sum / total, rel=1e-6)


def test_evaluate_without_loss(blobs):
    _, loader = blobs
    assert set(train.evaluate(_net(), loader)) == {"acc"}


def test_evaluate_empty_loader():
    empty = DataLoader(TensorDataset(torch.zeros(0, 2), torch.zeros(0, dtype=torch.int64)))
    with pytest.raises(ValueError, match="no examples"):
        train.evaluate(_net(), empty)


# --- fit --------------------------------------------------------------------------------

def test_fit_learns_separable_blobs(blobs, capsys, monkeypatch):
    monkeypatch.setenv("COURSE_PROGRESS", "0")
    train_loader, val_loader = blobs
    net = _net()
    history = train.fit(net, train_loader, val_loader, num_epochs=4, lr=0.05)
    assert history.epoch == [1, 2, 3, 4]
    for name in ("train_loss", "train_acc", "val_loss", "val_acc"):
        assert len(getattr(history, name)) == 4
    assert history.last("val_acc") >= 0.97
    assert history.train_loss[-1] < history.train_loss[0]
    assert train.evaluate(net, val_loader)["acc"] == pytest.approx(history.last("val_acc"))
    captured = capsys.readouterr()
    lines = captured.out.strip().splitlines()
    assert len(lines) == 4
    assert lines[0].startswith("epoch  1: train loss") and "val loss" in lines[0]
    assert captured.err == ""                       # COURSE_PROGRESS=0: no tqdm bar


def test_fit_progress_bar_and_quiet(blobs, capsys, monkeypatch):
    monkeypatch.setenv("COURSE_PROGRESS", "1")
    train_loader, _ = blobs
    history = train.fit(_net(), train_loader, num_epochs=1, verbose=False)
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err != ""                       # tqdm writes its bar to stderr
    assert history.val_acc == [] and set(history.as_dict()) == {"epoch", "train_loss", "train_acc"}


def test_fit_progress_argument_overrides_environment(blobs, capsys, monkeypatch):
    monkeypatch.setenv("COURSE_PROGRESS", "1")
    train.fit(_net(), blobs[0], num_epochs=1, verbose=False, progress=False)
    assert capsys.readouterr().err == ""


def test_fit_uses_given_optimizer_and_scheduler(blobs, monkeypatch):
    monkeypatch.setenv("COURSE_PROGRESS", "0")
    net = _net()
    opt = torch.optim.SGD(net.parameters(), lr=0.1)
    sched = torch.optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)
    train.fit(net, blobs[0], num_epochs=2, optimizer=opt, scheduler=sched, verbose=False)
    assert opt.param_groups[0]["lr"] == pytest.approx(0.025)


@pytest.mark.parametrize("num_epochs", [0, -1, 2.0])
def test_fit_bad_num_epochs(blobs, num_epochs):
    with pytest.raises(ValueError, match="num_epochs"):
        train.fit(_net(), blobs[0], num_epochs=num_epochs)


def test_fit_mismatched_logits_and_labels(monkeypatch):
    monkeypatch.setenv("COURSE_PROGRESS", "0")
    ds = TensorDataset(torch.zeros(8, 2), torch.zeros(8, dtype=torch.int64))
    net = nn.Sequential(nn.Linear(2, 3), nn.Flatten(0))      # logits (N*3,), not (N, C)
    with pytest.raises((ValueError, RuntimeError)):
        train.fit(net, DataLoader(ds, batch_size=4), num_epochs=1, verbose=False)


def test_history_last():
    h = train.History()
    with pytest.raises(ValueError, match="no val_acc recorded"):
        h.last("val_acc")
    h.val_acc.append(0.5)
    assert h.last("val_acc") == 0.5


# --- predict / count_parameters ---------------------------------------------------------

def test_predict(blobs):
    _, loader = blobs
    net = _net(dropout=0.5).train()
    logits = train.predict(net, loader)
    assert logits.shape == (200, 2) and logits.device.type == "cpu"
    assert net.training
    net.eval()
    with torch.no_grad():
        expected = torch.cat([net(X) for X, _ in loader])
    torch.testing.assert_close(logits, expected)


def test_count_parameters():
    net = nn.Sequential(nn.Conv2d(3, 8, 3), nn.BatchNorm2d(8), nn.Flatten(), nn.Linear(8, 4))
    manual = 3 * 8 * 9 + 8 + 8 + 8 + 8 * 4 + 4
    assert train.count_parameters(net) == manual == sum(p.numel() for p in net.parameters())
    for p in net[0].parameters():
        p.requires_grad_(False)
    assert train.count_parameters(net) == manual
    assert train.count_parameters(net, trainable_only=True) == manual - (3 * 8 * 9 + 8)
