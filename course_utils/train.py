"""A small, device-aware training loop: ``fit`` / ``evaluate`` and their ``History``.

Introduced in 01_cnn_basics. 09_competition_pipeline writes the same loop out step by
step (``model.train()``, ``zero_grad``, loss, ``backward``, ``step``, gradient accumulation,
``model.eval()`` + ``torch.no_grad()``), so after that lecture every line here is familiar.
"""
from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field

import torch
from torch import nn
from torch.utils.data import DataLoader

from ._validate import check_number, check_tensor, describe


@dataclass
class History:
    """Per-epoch metrics recorded by ``fit`` (one list entry per epoch)."""

    epoch: list[int] = field(default_factory=list)
    train_loss: list[float] = field(default_factory=list)
    train_acc: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    val_acc: list[float] = field(default_factory=list)

    def __post_init__(self) -> None:
        for name, values in self.__dict__.items():
            if not isinstance(values, list):
                raise TypeError(f"{name} must be a list with one value per epoch, got {describe(values)}")

    def as_dict(self) -> dict[str, list]:
        return {k: v for k, v in self.__dict__.items() if v}

    def last(self, name: str) -> float:
        if name not in self.__dict__:
            raise ValueError(f"name must be one of {list(self.__dict__)}, got {name!r}")
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
    check_tensor("logits", logits, shape="(N, C)")
    check_tensor("y", y, shape="(N,)")
    if logits.ndim != 2 or y.ndim != 1 or len(logits) != len(y):
        raise ValueError(f"expected logits (N, C) and labels (N,), got {tuple(logits.shape)} "
                         f"and {tuple(y.shape)}")
    return float((logits.argmax(dim=1) == y).sum())


def _check_net(net) -> None:
    if not isinstance(net, nn.Module):
        raise TypeError(f"net must be a torch.nn.Module, got {type(net).__name__}")


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
    _check_net(net)
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
                device: torch.device, progress: bool | None = None,
                accumulation_steps: int = 1) -> dict[str, float]:
    """One pass over ``loader``; returns the mean loss and accuracy of the batches seen.

    The steps, in the order 09_competition_pipeline writes them out: ``net.train()``;
    ``optimizer.zero_grad()``; per batch forward, loss, ``loss.backward()``; every
    ``accumulation_steps`` batches (and after the last one) ``optimizer.step()`` and
    ``optimizer.zero_grad()``. With ``accumulation_steps=k`` each loss is divided by ``k``,
    so ``k`` batches of ``B`` add up to the gradient of one batch of ``k*B``
    (gradient accumulation).
    """
    _check_net(net)
    if not isinstance(accumulation_steps, int) or accumulation_steps < 1:
        raise ValueError(f"accumulation_steps must be a positive int, got {accumulation_steps!r}")
    net.train()
    optimizer.zero_grad()
    total, correct, loss_sum = 0, 0.0, 0.0
    num_batches = len(loader)
    for step, (X, y) in enumerate(_progress(_batches(loader, device), progress, total=num_batches), 1):
        logits = net(X)
        loss = loss_fn(logits, y)
        (loss / accumulation_steps if accumulation_steps > 1 else loss).backward()
        if step % accumulation_steps == 0 or step == num_batches:
            optimizer.step()
            optimizer.zero_grad()
        loss_sum += loss.item() * len(y)
        correct += accuracy(logits.detach(), y)
        total += len(y)
    if total == 0:
        raise ValueError("the loader yielded no examples")
    return {"loss": loss_sum / total, "acc": correct / total}


def fit(net: nn.Module, train_loader: DataLoader, val_loader: DataLoader | None = None, *,
        num_epochs: int, lr: float = 1e-3, optimizer: torch.optim.Optimizer | None = None,
        loss_fn: Callable | None = None, scheduler=None, device: torch.device | None = None,
        verbose: bool = True, progress: bool | None = None, accumulation_steps: int = 1) -> History:
    """Train a classifier and return its ``History``.

    Args:
        net: model mapping a batch ``(N, ...)`` to logits ``(N, C)``.
        train_loader, val_loader: loaders of ``(X, y)`` with integer labels ``y`` ``(N,)``.
        num_epochs: number of passes over ``train_loader``.
        lr: learning rate of the default Adam optimizer (ignored when ``optimizer`` is given).
        loss_fn: defaults to ``nn.CrossEntropyLoss()``.
        scheduler: optional LR scheduler, stepped once per epoch (``ReduceLROnPlateau`` is
            stepped with the validation loss, so it needs ``val_loader``).
        verbose: print one rounded line per epoch.
        progress: tqdm bar per epoch; ``None`` follows ``COURSE_PROGRESS``.
        accumulation_steps: batches whose gradients add up before each optimizer step.

    Each epoch is ``train_epoch`` (train mode, zero_grad, forward, loss, backward, step),
    then ``evaluate`` on ``val_loader`` (eval mode, ``torch.no_grad()``); 09_competition_pipeline
    writes this loop out step by step.
    """
    _check_net(net)
    if not isinstance(num_epochs, int) or num_epochs < 1:
        raise ValueError(f"num_epochs must be a positive int, got {num_epochs!r}")
    check_number("lr", lr, low=0.0, low_open=True)
    if optimizer is not None and not isinstance(optimizer, torch.optim.Optimizer):
        raise TypeError(f"optimizer must be a torch.optim.Optimizer built on net.parameters(), "
                        f"got {describe(optimizer)}")
    if loss_fn is not None and not callable(loss_fn):
        raise TypeError(f"loss_fn must be callable, e.g. nn.CrossEntropyLoss(), got {describe(loss_fn)}")
    on_plateau = isinstance(scheduler, torch.optim.lr_scheduler.ReduceLROnPlateau)
    if on_plateau and val_loader is None:
        raise ValueError("scheduler ReduceLROnPlateau needs a val_loader to watch the validation loss")
    device = device or _device_of(net)
    net.to(device)
    loss_fn = loss_fn or nn.CrossEntropyLoss()
    optimizer = optimizer or torch.optim.Adam(net.parameters(), lr=lr)
    history = History()
    for epoch in range(1, num_epochs + 1):
        train_metrics = train_epoch(net, train_loader, loss_fn, optimizer, device, progress,
                                    accumulation_steps)
        if scheduler is not None and not on_plateau:
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
            if on_plateau:
                scheduler.step(val["loss"])
        if verbose:
            print(line)
    return history


def predict(net: nn.Module, loader: DataLoader, device: torch.device | None = None) -> torch.Tensor:
    """Concatenated logits ``(N, C)`` of ``net`` over ``loader`` (eval mode, no grad), on the CPU."""
    _check_net(net)
    device = device or _device_of(net)
    was_training = net.training
    net.eval()
    with torch.no_grad():
        outputs = [net(X.to(device)).cpu() for X, _ in loader]
    net.train(was_training)
    if not outputs:
        raise ValueError("loader: the loader yielded no batches, so there is nothing to predict")
    return torch.cat(outputs)


def count_parameters(net: nn.Module, trainable_only: bool = False) -> int:
    """Number of (trainable) parameters of ``net``."""
    _check_net(net)
    return sum(p.numel() for p in net.parameters() if p.requires_grad or not trainable_only)
