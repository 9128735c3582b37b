"""A small, device-aware training loop: ``fit`` / ``evaluate`` and their ``History``.

Introduced in 01_cnn_basics; the steps inside ``train_epoch`` are taught one by one
in 09_competition_pipeline.
"""
from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field

import torch
from torch import nn
from torch.utils.data import DataLoader


@dataclass
class History:
    """Per-epoch metrics recorded by ``fit`` (one list entry per epoch)."""

    epoch: list[int] = field(default_factory=list)
    train_loss: list[float] = field(default_factory=list)
    train_acc: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    val_acc: list[float] = field(default_factory=list)

    def as_dict(self) -> dict[str, list]:
        return {k: v for k, v in self.__dict__.items() if v}

    def last(self, name: str) -> float:
        values = getattr(self, name)
        if not values:
            raise ValueError(f"no {name} recorded yet")
        return values[-1]


def _progress(iterable, enabled: bool | None, **kwargs):
    """Wrap in a tqdm bar unless disabled (``COURSE_PROGRESS=0`` disables it for the
    stored notebook outputs, where a bar would only add noise)."""
    if enabled is None:
        enabled = os.environ.get("COURSE_PROGRESS", "1") != "0"
    if not enabled:
        return iterable
    from tqdm.auto import tqdm

    return tqdm(iterable, leave=False, **kwargs)


def accuracy(logits: torch.Tensor, y: torch.Tensor) -> float:
    """Number of correct predictions: ``logits`` ``(N, C)`` vs integer labels ``(N,)``."""
    if logits.ndim != 2 or y.ndim != 1 or len(logits) != len(y):
        raise ValueError(f"expected logits (N, C) and labels (N,), got {tuple(logits.shape)} "
                         f"and {tuple(y.shape)}")
    return float((logits.argmax(dim=1) == y).sum())


def _device_of(net: nn.Module) -> torch.device:
    param = next(net.parameters(), None)
    return param.device if param is not None else torch.device("cpu")


def _batches(loader: DataLoader, device: torch.device):
    for X, y in loader:
        yield X.to(device), y.to(device)


def evaluate(net: nn.Module, loader: DataLoader, loss_fn: Callable | None = None,
             device: torch.device | None = None) -> dict[str, float]:
    """Mean loss (when ``loss_fn`` is given) and accuracy of ``net`` over ``loader``.

    Runs in ``eval()`` mode under ``torch.no_grad()`` and restores the previous mode.
    """
    device = device or _device_of(net)
    was_training = net.training
    net.eval()
    total, correct, loss_sum = 0, 0.0, 0.0
    with torch.no_grad():
        for X, y in _batches(loader, device):
            logits = net(X)
            correct += accuracy(logits, y)
            if loss_fn is not None:
                loss_sum += float(loss_fn(logits, y)) * len(y)
            total += len(y)
    net.train(was_training)
    if total == 0:
        raise ValueError("the loader yielded no examples")
    out = {"acc": correct / total}
    if loss_fn is not None:
        out["loss"] = loss_sum / total
    return out


def train_epoch(net: nn.Module, loader: DataLoader, loss_fn: Callable, optimizer: torch.optim.Optimizer,
                device: torch.device, progress: bool | None = None) -> dict[str, float]:
    """One pass over ``loader``: forward, loss, backward, step. Returns mean loss and accuracy."""
    net.train()
    total, correct, loss_sum = 0, 0.0, 0.0
    for X, y in _progress(_batches(loader, device), progress, total=len(loader)):
        logits = net(X)
        loss = loss_fn(logits, y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        loss_sum += loss.item() * len(y)
        correct += accuracy(logits.detach(), y)
        total += len(y)
    return {"loss": loss_sum / total, "acc": correct / total}


def fit(net: nn.Module, train_loader: DataLoader, val_loader: DataLoader | None = None, *,
        num_epochs: int, lr: float = 1e-3, optimizer: torch.optim.Optimizer | None = None,
        loss_fn: Callable | None = None, scheduler=None, device: torch.device | None = None,
        verbose: bool = True, progress: bool | None = None) -> History:
    """Train a classifier and return its ``History``.

    Args:
        net: model mapping a batch ``(N, ...)`` to logits ``(N, C)``.
        train_loader, val_loader: loaders of ``(X, y)`` with integer labels ``y`` ``(N,)``.
        num_epochs: number of passes over ``train_loader``.
        lr: learning rate of the default Adam optimizer (ignored when ``optimizer`` is given).
        loss_fn: defaults to ``nn.CrossEntropyLoss()``.
        scheduler: optional LR scheduler, stepped once per epoch.
        verbose: print one rounded line per epoch.
        progress: tqdm bar per epoch; ``None`` follows ``COURSE_PROGRESS``.
    """
    if not isinstance(num_epochs, int) or num_epochs < 1:
        raise ValueError(f"num_epochs must be a positive int, got {num_epochs!r}")
    device = device or _device_of(net)
    net.to(device)
    loss_fn = loss_fn or nn.CrossEntropyLoss()
    optimizer = optimizer or torch.optim.Adam(net.parameters(), lr=lr)
    history = History()
    for epoch in range(1, num_epochs + 1):
        train_metrics = train_epoch(net, train_loader, loss_fn, optimizer, device, progress)
        if scheduler is not None:
            scheduler.step()
        history.epoch.append(epoch)
        history.train_loss.append(train_metrics["loss"])
        history.train_acc.append(train_metrics["acc"])
        line = f"epoch {epoch:2d}: train loss {train_metrics['loss']:.3f}, acc {train_metrics['acc']:.3f}"
        if val_loader is not None:
            val = evaluate(net, val_loader, loss_fn, device)
            history.val_loss.append(val["loss"])
            history.val_acc.append(val["acc"])
            line += f" | val loss {val['loss']:.3f}, acc {val['acc']:.3f}"
        if verbose:
            print(line)
    return history


def predict(net: nn.Module, loader: DataLoader, device: torch.device | None = None) -> torch.Tensor:
    """Concatenated logits ``(N, C)`` of ``net`` over ``loader`` (eval mode, no grad), on the CPU."""
    device = device or _device_of(net)
    was_training = net.training
    net.eval()
    with torch.no_grad():
        out = torch.cat([net(X.to(device)).cpu() for X, _ in loader])
    net.train(was_training)
    return out


def count_parameters(net: nn.Module, trainable_only: bool = False) -> int:
    """Number of (trainable) parameters of ``net``."""
    return sum(p.numel() for p in net.parameters() if p.requires_grad or not trainable_only)
