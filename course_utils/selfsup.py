"""Self-supervised learning: rotation pretext, SimCLR-style contrastive learning, linear probes.

The pieces 10_self_supervised writes out once and then reuses, and that its checkpoint
trainers (``scripts/trainers/digits10_*.py``) train with: a small convolutional encoder
with a replaceable head, the rotation pretext batch, per-sample random augmentations for
two views of every image, the NT-Xent loss, frozen-feature extraction and a linear probe
(scikit-learn's ``LogisticRegression`` with ``C`` chosen on a validation split).
Introduced in 10_self_supervised.
"""
from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ._validate import check_image_batch
from .models import conv_bn_relu, standardize_per_image

HEADS = ("linear", "mlp")


class SmallEncoder(nn.Module):
    """Four conv-BN-ReLU blocks (``block1``..``block4``) with three max-poolings, then global
    average pooling.

    Input ``(N, in_channels, H, W)`` in [0, 1] (standardized per image inside when
    ``standardize``); output features ``(N, 4 * width)``. ``features`` is the conv stack
    (read an earlier block with :func:`block_encoder`), ``pool`` the global average.
    Introduced in 10_self_supervised.
    """

    def __init__(self, in_channels: int = 1, width: int = 16, standardize: bool = False):
        super().__init__()
        if in_channels < 1 or width < 1:
            raise ValueError(f"in_channels and width must be positive, got {in_channels}, {width}")
        self.in_channels, self.out_dim, self.standardize = in_channels, 4 * width, standardize
        self.features = nn.Sequential(
            conv_bn_relu(in_channels, width), nn.MaxPool2d(2),
            conv_bn_relu(width, 2 * width), nn.MaxPool2d(2),
            conv_bn_relu(2 * width, 4 * width), nn.MaxPool2d(2),
            conv_bn_relu(4 * width, 4 * width))
        self.pool = nn.AdaptiveAvgPool2d(1)

    def forward(self, x: Tensor) -> Tensor:
        check_image_batch("x", x, channels=self.in_channels)
        if self.standardize:
            x = standardize_per_image(x)
        return self.pool(self.features(x)).flatten(1)


class SelfSupNet(nn.Module):
    """A ``SmallEncoder`` and a head: ``linear`` (rotation or class logits) or ``mlp``
    (SimCLR's projection head, ``Linear -> ReLU -> Linear``).

    ``embed(x)`` gives the encoder features ``(N, 4 * width)`` used by linear probes;
    ``forward(x)`` gives the head's output ``(N, out_dim)``. Introduced in 10_self_supervised.
    """

    def __init__(self, out_dim: int, in_channels: int = 1, width: int = 16, head: str = "linear",
                 standardize: bool = False):
        super().__init__()
        if head not in HEADS:
            raise ValueError(f"head must be one of {HEADS}, got {head!r}")
        if out_dim < 1:
            raise ValueError(f"out_dim must be positive, got {out_dim}")
        self.encoder = SmallEncoder(in_channels, width, standardize)
        d = self.encoder.out_dim
        self.head = (nn.Linear(d, out_dim) if head == "linear" else
                     nn.Sequential(nn.Linear(d, d), nn.ReLU(inplace=True), nn.Linear(d, out_dim)))

    def embed(self, x: Tensor) -> Tensor:
        return self.encoder(x)

    def forward(self, x: Tensor) -> Tensor:
        return self.head(self.encoder(x))


def rotate_batch(x: Tensor) -> tuple[Tensor, Tensor]:
    """The rotation pretext batch: every image at 0, 90, 180 and 270 degrees (counter-clockwise).

    ``x``: ``(N, C, H, W)`` with ``H == W``. Returns images ``(4N, C, H, W)`` ordered in
    four blocks (all images at 0 degrees, then all at 90, ...) and labels ``(4N,)`` in 0..3
    (label ``k`` means rotated by ``90 k`` degrees). Introduced in 10_self_supervised.
    """
    check_image_batch("x", x)
    if x.shape[2] != x.shape[3]:
        raise ValueError(f"x: rotation needs square images, got shape {tuple(x.shape)}")
    images = torch.cat([torch.rot90(x, k, dims=(2, 3)) for k in range(4)])
    labels = torch.arange(4).repeat_interleave(len(x))
    return images, labels


def nt_xent(z1: Tensor, z2: Tensor, temperature: float = 0.5) -> Tensor:
    """SimCLR's NT-Xent loss of ``N`` positive pairs ``(z1[i], z2[i])``; every other of the
    ``2N - 2`` embeddings in the batch is a negative.

    ``z1``, ``z2``: ``(N, D)`` (normalised inside). Returns the mean over all ``2N``
    anchors of ``-log(exp(s_pos / t) / sum_{k != anchor} exp(s_k / t))`` with cosine
    similarities ``s``. Introduced in 10_self_supervised.
    """
    if not isinstance(z1, Tensor) or not isinstance(z2, Tensor):
        raise TypeError(f"z1, z2: expected tensors (N, D), got {type(z1).__name__}, {type(z2).__name__}")
    if z1.ndim != 2 or z1.shape != z2.shape or len(z1) < 2:
        raise ValueError(f"z1, z2: expected two (N, D) tensors of the same shape with N >= 2, "
                         f"got {tuple(z1.shape)} and {tuple(z2.shape)}")
    if not temperature > 0:
        raise ValueError(f"temperature must be positive, got {temperature}")
    n = len(z1)
    z = F.normalize(torch.cat([z1, z2]), dim=1)                      # (2N, D)
    sim = z @ z.T / temperature                                      # (2N, 2N)
    sim = sim.masked_fill(torch.eye(2 * n, dtype=torch.bool, device=z.device), float("-inf"))
    positive = torch.cat([torch.arange(n, 2 * n), torch.arange(n)]).to(z.device)
    return F.cross_entropy(sim, positive)


def augment(x: Tensor, gen: torch.Generator, min_scale: float = 0.5, flip: bool = True,
            max_angle: float = 0.0, color: float = 0.4, gray_p: float = 0.2,
            shuffle_channels: bool = False) -> Tensor:
    """One random view of each image: a resized crop (area ``min_scale``..1, in a random
    place), a left-right flip, a rotation by up to ``max_angle`` degrees either way,
    brightness/contrast/saturation jitter of strength ``color``, a random order of the
    colour channels when ``shuffle_channels`` (a crude hue change) and grayscale with
    probability ``gray_p`` (colour steps only for 3 channels).

    ``x``: ``(N, C, H, W)`` in [0, 1] -> same shape in [0, 1]; each image gets its own
    parameters drawn from ``gen`` (CPU generator). Introduced in 10_self_supervised.
    """
    check_image_batch("x", x)
    if not 0 < min_scale <= 1:
        raise ValueError(f"min_scale must be in (0, 1], got {min_scale}")
    if not isinstance(gen, torch.Generator):
        raise TypeError(f"gen: expected a torch.Generator, got {type(gen).__name__}")
    n = len(x)
    rand = lambda *shape: torch.rand(*shape, generator=gen).to(x.device)  # noqa: E731
    scale = (min_scale + (1 - min_scale) * rand(n)).sqrt()           # side fraction kept
    sign = torch.where(rand(n) < 0.5, -1.0, 1.0) if flip else torch.ones(n, device=x.device)
    angle = torch.deg2rad(max_angle * (2 * rand(n) - 1))
    cos, sin = torch.cos(angle) * scale, torch.sin(angle) * scale
    theta = torch.zeros(n, 2, 3, device=x.device)
    theta[:, 0, 0], theta[:, 0, 1] = cos * sign, -sin
    theta[:, 1, 0], theta[:, 1, 1] = sin * sign, cos
    theta[:, :, 2] = (1 - scale)[:, None] * (2 * rand(n, 2) - 1)     # crop centre
    grid = F.affine_grid(theta, list(x.shape), align_corners=False)
    out = F.grid_sample(x, grid, mode="bilinear", padding_mode="reflection", align_corners=False)
    if x.shape[1] == 3 and color > 0:
        jitter = lambda: (1 + color * (2 * rand(n) - 1))[:, None, None, None]  # noqa: E731
        out = out * jitter()                                          # brightness
        mean = out.mean(dim=(1, 2, 3), keepdim=True)
        out = (out - mean) * jitter() + mean                          # contrast
        gray = out.mean(dim=1, keepdim=True)
        out = (out - gray) * jitter() + gray                          # saturation
        if shuffle_channels:
            order = torch.stack([torch.randperm(3, generator=gen) for _ in range(n)]).to(x.device)
            out = out.gather(1, order[:, :, None, None].expand_as(out))
        to_gray = (rand(n) < gray_p)[:, None, None, None]
        out = torch.where(to_gray, out.mean(dim=1, keepdim=True).expand_as(out), out)
    return out.clamp(0.0, 1.0)


@torch.no_grad()
def extract_features(encoder: nn.Module, x: Tensor, batch_size: int = 256) -> np.ndarray:
    """Frozen features of ``x`` ``(N, C, H, W)``: ``encoder`` in eval mode, batch by batch.

    Returns a ``float32`` NumPy array ``(N, D)`` for scikit-learn. Introduced in 10_self_supervised.
    """
    check_image_batch("x", x)
    if not isinstance(encoder, nn.Module):
        raise TypeError(f"encoder: expected an nn.Module, got {type(encoder).__name__}")
    was_training = encoder.training
    encoder.eval()
    device = next((p.device for p in encoder.parameters()), x.device)
    out = [encoder(x[i:i + batch_size].to(device)).flatten(1).cpu() for i in range(0, len(x), batch_size)]
    encoder.train(was_training)
    return torch.cat(out).numpy().astype(np.float32)


BLOCK_ENDS = {"block1": 1, "block2": 3, "block3": 5, "block4": 7}   # end index in encoder.features


def block_encoder(encoder: SmallEncoder, block: str, pool: int = 2) -> nn.Module:
    """A frozen feature extractor from the input to ``block`` of ``encoder``, then ``pool x pool``
    average pooling and flattening: ``(N, C, H, W) -> (N, channels * pool**2)``.

    Shares the encoder's weights (no copy). Introduced in 10_self_supervised.
    """
    if not isinstance(encoder, SmallEncoder):
        raise TypeError(f"encoder: expected a SmallEncoder, got {type(encoder).__name__}")
    if block not in BLOCK_ENDS:
        raise ValueError(f"block must be one of {tuple(BLOCK_ENDS)}, got {block!r}")
    if not isinstance(pool, int) or pool < 1:
        raise ValueError(f"pool must be a positive int, got {pool!r}")
    if encoder.standardize:
        raise ValueError("encoder: block_encoder supports encoders without per-image standardization")
    layers = [*encoder.features[:BLOCK_ENDS[block]], nn.AdaptiveAvgPool2d(pool), nn.Flatten()]
    return nn.Sequential(*layers).eval()


def linear_probe(train_x: np.ndarray, train_y: np.ndarray, val_x: np.ndarray, val_y: np.ndarray,
                 Cs: tuple[float, ...] = (0.01, 0.1, 1.0, 10.0)):
    """Fit a linear probe on frozen features, choosing the L2 strength on a validation split.

    Standardizes the features (statistics of ``train_x``) and fits scikit-learn's
    ``LogisticRegression`` for every ``C`` in ``Cs``; keeps the one with the best accuracy
    on ``(val_x, val_y)`` (the first listed ``C`` on ties). ``*_x``: ``(N, D)``; ``*_y``: ``(N,)``.
    Returns ``(model, best_C, val_accuracy_per_C)``; score the test split once with
    ``model.score``. Introduced in 10_self_supervised.
    """
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    for name, a, b in (("train", train_x, train_y), ("val", val_x, val_y)):
        a, b = np.asarray(a), np.asarray(b)
        if a.ndim != 2 or b.ndim != 1 or len(a) != len(b):
            raise ValueError(f"{name}_x, {name}_y: expected features (N, D) and labels (N,), "
                             f"got {a.shape} and {b.shape}")
    if not Cs or any(c <= 0 for c in Cs):
        raise ValueError(f"Cs: expected positive regularization strengths, got {Cs}")
    scores: dict[float, float] = {}
    best_model, best_c = None, Cs[0]
    for c in Cs:
        model = make_pipeline(StandardScaler(), LogisticRegression(C=c, max_iter=2000))
        model.fit(train_x, train_y)
        scores[c] = float(model.score(val_x, val_y))
        if best_model is None or scores[c] > scores[best_c]:
            best_model, best_c = model, c
    return best_model, best_c, scores


def best_probe(features: dict, train_y: np.ndarray, val_y: np.ndarray,
               Cs: tuple[float, ...] = (0.01, 0.1, 1.0, 10.0)):
    """Choose the feature set (e.g. the layer) and ``C`` with the best validation accuracy.

    ``features`` maps a name to ``(train_x, val_x)`` arrays ``(N, D)``; each gets a
    :func:`linear_probe`. Returns ``(model, name, C, val_accuracy)`` of the best (the first
    listed on ties). Introduced in 10_self_supervised.
    """
    if not isinstance(features, dict) or not features:
        raise ValueError(f"features: expected a non-empty dict name -> (train_x, val_x), got {features!r:.80}")
    best = None
    for name, (train_x, val_x) in features.items():
        model, c, scores = linear_probe(train_x, train_y, val_x, val_y, Cs)
        if best is None or scores[c] > best[3]:
            best = (model, name, c, scores[c])
    return best


# --- training without labels -------------------------------------------------------------

def rotation_loss(net: nn.Module, batch: Tensor, gen: torch.Generator) -> Tensor:
    """Cross-entropy of ``net``'s 4-way rotation logits on ``rotate_batch(batch)`` (``gen`` unused)."""
    check_image_batch("batch", batch)
    images, labels = rotate_batch(batch)
    return F.cross_entropy(net(images), labels.to(images.device))


def simclr_loss(net: nn.Module, batch: Tensor, gen: torch.Generator, temperature: float = 0.5,
                **aug) -> Tensor:
    """NT-Xent of ``net``'s projections of two random views (``augment(batch, gen, **aug)``)."""
    check_image_batch("batch", batch)
    return nt_xent(net(augment(batch, gen, **aug)), net(augment(batch, gen, **aug)), temperature)


def pretrain(net: nn.Module, x: Tensor, loss_fn, num_epochs: int, batch_size: int = 256,
             lr: float = 3e-3, seed: int = 0) -> list[float]:
    """Train ``net`` on unlabeled images ``x`` ``(N, C, H, W)`` with ``loss_fn(net, batch, gen)``.

    AdamW with weight decay 1e-4, seeded shuffling and augmentation (``gen``), the last
    incomplete batch dropped. Returns the mean training loss of every epoch. Introduced in
    10_self_supervised.
    """
    check_image_batch("x", x)
    if not isinstance(num_epochs, int) or num_epochs < 1:
        raise ValueError(f"num_epochs must be a positive int, got {num_epochs!r}")
    if not isinstance(batch_size, int) or not 2 <= batch_size <= len(x):
        raise ValueError(f"batch_size must be an int in 2..{len(x)} (len(x)), got {batch_size!r}")
    device = next(net.parameters()).device
    optimizer = torch.optim.AdamW(net.parameters(), lr=lr, weight_decay=1e-4)
    gen, losses = torch.Generator().manual_seed(seed), []
    net.train()
    for _ in range(num_epochs):
        order, total, steps = torch.randperm(len(x), generator=gen), 0.0, len(x) // batch_size
        for i in range(steps):
            loss = loss_fn(net, x[order[i * batch_size:(i + 1) * batch_size]].to(device), gen)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += loss.item()
        losses.append(total / steps)
    return losses


@torch.no_grad()
def rotation_accuracy(net: nn.Module, x: Tensor) -> float:
    """Accuracy of ``net``'s rotation predictions on all four rotations of ``x`` (eval mode)."""
    images, labels = rotate_batch(x)
    was_training = net.training
    net.eval()
    device = next(net.parameters()).device
    pred = torch.cat([net(images[i:i + 512].to(device)).argmax(1).cpu() for i in range(0, len(images), 512)])
    net.train(was_training)
    return float((pred == labels).float().mean())


def retrieval_accuracy(z1: Tensor, z2: Tensor) -> float:
    """Fraction of rows ``i`` whose most cosine-similar row of ``z2`` is ``z2[i]`` (its positive).

    ``z1``, ``z2``: ``(N, D)`` embeddings of two views of the same N images. Chance is 1/N.
    Introduced in 10_self_supervised.
    """
    if not isinstance(z1, Tensor) or not isinstance(z2, Tensor) or z1.ndim != 2 or z1.shape != z2.shape:
        raise ValueError(f"z1, z2: expected two (N, D) tensors of the same shape, got "
                         f"{getattr(z1, 'shape', type(z1).__name__)} and {getattr(z2, 'shape', type(z2).__name__)}")
    sim = F.normalize(z1, dim=1) @ F.normalize(z2, dim=1).T
    return float((sim.argmax(1) == torch.arange(len(z1), device=z1.device)).float().mean())
