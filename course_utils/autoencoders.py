"""Autoencoders: a dense and a convolutional model, noise, PSNR, training and errors.

The notebook writes the encoder, decoder, loss and training step out once; this module
keeps the same pieces for the sweeps later in the notebook and for the checkpoint
trainers (``scripts/trainers/digits_dae.py``, ``scripts/trainers/digits04_ae.py``).
Images are ``float32`` in [0, 1]. Introduced in 07_autoencoders.
"""
from __future__ import annotations

import copy

import torch
from torch import Tensor, nn


def _check_tensor(name: str, x, min_ndim: int = 2) -> None:
    if not isinstance(x, Tensor):
        raise TypeError(f"{name} must be a torch.Tensor, got {type(x).__name__}")
    if not x.is_floating_point():
        raise TypeError(f"{name} must be a float tensor (images in [0, 1]), got dtype {x.dtype}")
    if x.ndim < min_ndim:
        raise ValueError(f"{name} must be a batch with at least {min_ndim} dimensions "
                         f"(N, ...), got shape {tuple(x.shape)}")


def _check_unit_range(name: str, x: Tensor) -> None:
    if x.numel() and (x.min() < 0 or x.max() > 1):
        raise ValueError(f"{name} must hold values in [0, 1] (divide 0-255 images by 255), got "
                         f"min {x.min().item():.3g}, max {x.max().item():.3g}")


def _check_positive_int(**values) -> None:
    for name, v in values.items():
        if isinstance(v, bool) or not isinstance(v, int) or v < 1:
            raise ValueError(f"{name} must be a positive int, got {v!r}")


def add_noise(images: Tensor, factor: float, generator: torch.Generator | None = None) -> Tensor:
    """``images + factor * N(0, 1)``, clipped to [0, 1] (the denoising autoencoder's input).

    ``images``: float ``(N, ...)`` in [0, 1]; ``factor``: the noise's standard deviation
    before clipping, >= 0. Returns a new tensor of the same shape.
    """
    _check_tensor("images", images, min_ndim=1)
    _check_unit_range("images", images)
    if isinstance(factor, bool) or not isinstance(factor, (int, float)) or not factor >= 0:
        raise ValueError(f"factor must be a number >= 0, got {factor!r}")
    noise = torch.randn(images.shape, generator=generator, dtype=images.dtype)
    return (images + factor * noise.to(images.device)).clamp(0.0, 1.0)


def psnr(images: Tensor, reference: Tensor, data_range: float = 1.0) -> Tensor:
    """Peak signal-to-noise ratio of each image in dB: ``10 log10(data_range^2 / MSE)``.

    ``images``, ``reference``: float ``(N, C, H, W)`` (or ``(N, D)``) of the same shape.
    Returns ``(N,)``; identical images give ``inf``. Average the returned values to
    report a mean PSNR (the mean of per-image PSNRs, as scikit-image computes per image).
    """
    _check_tensor("images", images)
    _check_tensor("reference", reference)
    if images.shape != reference.shape:
        raise ValueError(f"images and reference must have the same shape, got "
                         f"{tuple(images.shape)} and {tuple(reference.shape)}")
    if isinstance(data_range, bool) or not isinstance(data_range, (int, float)) or data_range <= 0:
        raise ValueError(f"data_range must be a positive number (1.0 for [0, 1] images), got {data_range!r}")
    mse = ((images.double() - reference.double()) ** 2).flatten(1).mean(dim=1)
    return 10 * torch.log10(data_range ** 2 / mse)


class DenseAutoencoder(nn.Module):
    """Fully connected autoencoder: ``in_features -> hidden -> latent_dim -> hidden -> in_features``.

    Accepts ``(N, in_features)`` vectors or images ``(N, C, H, W)`` with ``C*H*W ==
    in_features`` and returns the reconstruction in the input's shape. ``output``:
    ``"sigmoid"`` for data in [0, 1] (min-max scaled), ``"linear"`` for standardised data.
    ``encode`` gives the latent vectors ``(N, latent_dim)``.
    """

    def __init__(self, in_features: int = 256, latent_dim: int = 16, hidden: int = 128,
                 output: str = "sigmoid"):
        super().__init__()
        _check_positive_int(in_features=in_features, latent_dim=latent_dim, hidden=hidden)
        if output not in ("sigmoid", "linear"):
            raise ValueError(f"output must be 'sigmoid' or 'linear', got {output!r}")
        self.in_features = in_features
        self.encoder = nn.Sequential(nn.Linear(in_features, hidden), nn.ReLU(),
                                     nn.Linear(hidden, latent_dim))
        self.decoder = nn.Sequential(nn.Linear(latent_dim, hidden), nn.ReLU(),
                                     nn.Linear(hidden, in_features),
                                     nn.Sigmoid() if output == "sigmoid" else nn.Identity())

    def _flat(self, x: Tensor) -> Tensor:
        if x.ndim < 2 or x[0].numel() != self.in_features:
            raise ValueError(f"x must be a batch (N, {self.in_features}) or (N, C, H, W) with "
                             f"C*H*W = {self.in_features}, got shape {tuple(x.shape)}")
        return x.flatten(1)

    def encode(self, x: Tensor) -> Tensor:
        return self.encoder(self._flat(x))

    def forward(self, x: Tensor) -> Tensor:
        return self.decoder(self.encode(x)).view(x.shape)


class ConvDenoiser(nn.Module):
    """Convolutional autoencoder: two stride-2 convolutions down, two transposed ones up.

    ``(N, 1, H, W)`` -> code ``(N, width // 2, H/4, W/4)`` -> ``(N, 1, H, W)`` in [0, 1];
    H and W divisible by 4 (16x16 digits in the course: a 256-number code at width 32).
    """

    def __init__(self, width: int = 32):
        super().__init__()
        _check_positive_int(width=width)
        if width < 2 or width % 2:
            raise ValueError(f"width must be an even int >= 2, got {width!r}")
        w, h = width, width // 2
        self.encoder = nn.Sequential(nn.Conv2d(1, w, 3, stride=2, padding=1), nn.ReLU(),
                                     nn.Conv2d(w, h, 3, stride=2, padding=1), nn.ReLU())
        self.decoder = nn.Sequential(
            nn.ConvTranspose2d(h, h, 3, stride=2, padding=1, output_padding=1), nn.ReLU(),
            nn.ConvTranspose2d(h, w, 3, stride=2, padding=1, output_padding=1), nn.ReLU(),
            nn.Conv2d(w, 1, 3, padding=1), nn.Sigmoid())

    def forward(self, x: Tensor) -> Tensor:
        if x.ndim != 4 or x.shape[1] != 1 or x.shape[-1] % 4 or x.shape[-2] % 4:
            raise ValueError(f"x must be a batch (N, 1, H, W) with H and W divisible by 4, "
                             f"got shape {tuple(x.shape)}")
        return self.decoder(self.encoder(x))


@torch.no_grad()
def reconstruction_errors(net: nn.Module, X: Tensor, batch_size: int = 512) -> Tensor:
    """Mean squared reconstruction error of each example: ``(N,)`` (eval mode, no grad)."""
    if not isinstance(net, nn.Module):
        raise TypeError(f"net must be a torch.nn.Module, got {type(net).__name__}")
    _check_tensor("X", X)
    _check_positive_int(batch_size=batch_size)
    was_training = net.training
    net.eval()
    errors = torch.cat([((net(xb) - xb) ** 2).flatten(1).mean(dim=1) for xb in X.split(batch_size)])
    net.train(was_training)
    return errors


def fit_autoencoder(net: nn.Module, X: Tensor, num_epochs: int, lr: float = 3e-3,
                    batch_size: int = 64, noise_factor: float = 0.0, seed: int = 0,
                    X_val: Tensor | None = None) -> dict[str, list[float] | int]:
    """Train ``net`` to reconstruct ``X`` ``(N, ...)`` with MSE and Adam; returns the history.

    With ``noise_factor > 0`` the input is ``add_noise(x, noise_factor)`` and the target
    the clean ``x`` (a denoising autoencoder). Shuffling and noise come from one generator
    seeded with ``seed``. With ``X_val`` the validation loss is recorded after each epoch
    (validation noise fixed by ``seed + 1``) and the weights of the epoch with the lowest
    validation loss are restored: ``best_epoch`` (1-based) says which.
    Returns ``{"train_loss": [...], "val_loss": [...], "best_epoch": int}``.
    """
    if not isinstance(net, nn.Module):
        raise TypeError(f"net must be a torch.nn.Module, got {type(net).__name__}")
    _check_tensor("X", X)
    _check_positive_int(num_epochs=num_epochs, batch_size=batch_size)
    if X_val is not None:
        _check_tensor("X_val", X_val)
    if not lr > 0:
        raise ValueError(f"lr must be > 0, got {lr!r}")
    gen = torch.Generator().manual_seed(seed)
    val_input = None if X_val is None else (
        add_noise(X_val, noise_factor, torch.Generator().manual_seed(seed + 1)) if noise_factor else X_val)
    optimizer = torch.optim.Adam(net.parameters(), lr=lr)
    history: dict = {"train_loss": [], "val_loss": [], "best_epoch": num_epochs}
    best_state, best_loss = None, float("inf")
    for epoch in range(1, num_epochs + 1):
        net.train()
        total = 0.0
        for idx in torch.randperm(len(X), generator=gen).split(batch_size):
            target = X[idx]
            inputs = add_noise(target, noise_factor, gen) if noise_factor else target
            loss = ((net(inputs) - target) ** 2).mean()
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += loss.item() * len(idx)
        history["train_loss"].append(total / len(X))
        if X_val is not None:
            net.eval()
            with torch.no_grad():
                val_loss = ((net(val_input) - X_val) ** 2).mean().item()
            history["val_loss"].append(val_loss)
            if val_loss < best_loss:
                best_loss, best_state, history["best_epoch"] = val_loss, copy.deepcopy(net.state_dict()), epoch
    if best_state is not None:
        net.load_state_dict(best_state)
    net.eval()
    return history
