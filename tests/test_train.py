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


# --- the loop written out in 09_competition_pipeline -------------------------------------

def _copy(net):
    twin = _net()
    twin.load_state_dict(net.state_dict())
    return twin


def test_train_epoch_is_the_written_out_loop():
    """One epoch equals the plain loop: train(), zero_grad, forward, loss, backward, step."""
    torch.manual_seed(0)
    X, y = torch.randn(40, 2), torch.randint(0, 2, (40,))
    loader = DataLoader(TensorDataset(X, y), batch_size=8)
    net = _net()
    ref = _copy(net)
    opt = torch.optim.SGD(net.parameters(), lr=0.1, momentum=0.9)
    ref_opt = torch.optim.SGD(ref.parameters(), lr=0.1, momentum=0.9)
    out = train.train_epoch(net, loader, nn.CrossEntropyLoss(), opt, torch.device("cpu"), progress=False)
    losses = []
    ref.train()
    for xb, yb in loader:
        ref_opt.zero_grad()
        loss = nn.functional.cross_entropy(ref(xb), yb)
        loss.backward()
        ref_opt.step()
        losses.append(loss.item())
    for p, q in zip(net.parameters(), ref.parameters()):
        torch.testing.assert_close(p, q, rtol=0, atol=0)
    assert out["loss"] == pytest.approx(sum(losses) / len(losses))


@pytest.mark.parametrize("num_samples", [32, 36])   # 36: the last group has a single batch
def test_gradient_accumulation_matches_one_big_batch(num_samples):
    torch.manual_seed(0)
    X, y = torch.randn(num_samples, 2), torch.randint(0, 2, (num_samples,))
    net = _net()
    big = _copy(net)
    opt = torch.optim.SGD(net.parameters(), lr=0.5)
    big_opt = torch.optim.SGD(big.parameters(), lr=0.5)
    train.train_epoch(net, DataLoader(TensorDataset(X[:32], y[:32]), batch_size=8), nn.CrossEntropyLoss(),
                      opt, torch.device("cpu"), progress=False, accumulation_steps=4)
    big_opt.zero_grad()
    nn.functional.cross_entropy(big(X[:32]), y[:32]).backward()
    big_opt.step()
    for p, q in zip(net.parameters(), big.parameters()):
        torch.testing.assert_close(p, q, rtol=1e-5, atol=1e-6)
    if num_samples == 36:   # a trailing partial group still gets its own step
        opt2 = torch.optim.SGD(net.parameters(), lr=0.5)
        before = [p.detach().clone() for p in net.parameters()]
        train.train_epoch(net, DataLoader(TensorDataset(X, y), batch_size=8), nn.CrossEntropyLoss(),
                          opt2, torch.device("cpu"), progress=False, accumulation_steps=4)
        assert all(p.grad is None for p in net.parameters())
        assert any(not torch.equal(a, b) for a, b in zip(before, net.parameters()))


def test_fit_accumulation_and_plateau_scheduler(blobs, monkeypatch):
    monkeypatch.setenv("COURSE_PROGRESS", "0")
    train_loader, val_loader = blobs
    net = _net()
    opt = torch.optim.SGD(net.parameters(), lr=0.1)
    sched = torch.optim.lr_scheduler.ReduceLROnPlateau(opt, factor=0.5, patience=0, threshold=10.0)
    history = train.fit(net, train_loader, val_loader, num_epochs=3, optimizer=opt, scheduler=sched,
                        verbose=False, accumulation_steps=2)
    assert len(history.val_loss) == 3
    # the same scheduler fed the recorded validation losses by hand ends at the same lr
    ref_opt = torch.optim.SGD([nn.Parameter(torch.zeros(1))], lr=0.1)
    ref = torch.optim.lr_scheduler.ReduceLROnPlateau(ref_opt, factor=0.5, patience=0, threshold=10.0)
    for loss in history.val_loss:
        ref.step(loss)
    assert opt.param_groups[0]["lr"] == pytest.approx(ref_opt.param_groups[0]["lr"])
    assert opt.param_groups[0]["lr"] < 0.1


def test_fit_plateau_needs_validation(blobs):
    opt = torch.optim.SGD(_net().parameters(), lr=0.1)
    sched = torch.optim.lr_scheduler.ReduceLROnPlateau(opt)
    with pytest.raises(ValueError, match="val_loader"):
        train.fit(_net(), blobs[0], num_epochs=1, optimizer=opt, scheduler=sched)


_X2 = torch.zeros(4, 2)
_LOADER = DataLoader(TensorDataset(_X2, torch.zeros(4, dtype=torch.int64)), batch_size=2)
_EMPTY = DataLoader(TensorDataset(torch.zeros(0, 2), torch.zeros(0, dtype=torch.int64)))

BAD_INPUTS = [
    (train.accuracy, (torch.zeros(4, 3), torch.zeros(5, dtype=torch.int64)), {}, ValueError, "logits"),
    (train.evaluate, (_net(), _EMPTY), {}, ValueError, "loader"),
    (train.train_epoch, (_net(), _LOADER, nn.CrossEntropyLoss(), torch.optim.SGD(_net().parameters(), lr=0.1),
                         torch.device("cpu")), {"accumulation_steps": 0}, ValueError, "accumulation_steps"),
    (train.fit, (_net(), _LOADER), {"num_epochs": 0}, ValueError, "num_epochs"),
    (train.predict, ("not a net", _LOADER), {}, TypeError, "net"),
    (train.count_parameters, ("not a net",), {}, TypeError, "net"),
    (train.accuracy, ([[0.1, 0.9]], [1]), {}, TypeError, "logits"),
    (train.accuracy, (torch.zeros(2, 3), [0, 1]), {}, TypeError, "y"),
    (train.fit, (_net(), _LOADER), {"num_epochs": 1, "lr": -0.1}, ValueError, "lr"),
    (train.fit, (_net(), _LOADER), {"num_epochs": 1, "optimizer": torch.optim.SGD}, TypeError, "optimizer"),
    (train.fit, (_net(), _LOADER), {"num_epochs": 1, "loss_fn": "cross_entropy"}, TypeError, "loss_fn"),
    (train.predict, (_net(), _EMPTY), {}, ValueError, "loader"),
    (train.History, (), {"train_loss": 0.5}, TypeError, "train_loss"),
    (train.History().last, ("val_accuracy",), {}, ValueError, "name"),
]


@pytest.mark.parametrize("fn, args, kwargs, exc, text", BAD_INPUTS,
                         ids=lambda v: getattr(v, "__name__", None) if callable(v) else None)
def test_bad_inputs(fn, args, kwargs, exc, text):
    with pytest.raises(exc, match=text):
        fn(*args, **kwargs)
