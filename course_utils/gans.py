"""Generative adversarial networks: a DCGAN for the 16x16 digits, a CycleGAN for two-style shapes.

The notebook writes every idea out first (generator, discriminator, losses, one training
step, the Fréchet distance, the cycle loss); this module holds the same pieces once, for
the checkpoint trainers ``scripts/trainers/digits_dcgan.py`` and ``shapes_cyclegan.py``
and for the notebook's later cells. Introduced in 08_gans.
"""
from __future__ import annotations

import warnings
from collections.abc import Callable

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ._validate import check_image_batch

DIGIT_SIZE = 16   # the DCGAN makes 16x16 digits, the input size of the digits16_teacher classifier
#: Colours (RGB in [0, 1]) of the two shape styles: A = filled amber shapes on navy,
#: B = dark-red outlines on cream.
STYLE_A = {"background": (0.10, 0.15, 0.35), "shape": (0.95, 0.70, 0.20)}
STYLE_B = {"background": (0.95, 0.93, 0.85), "shape": (0.60, 0.10, 0.10)}


def _check_sizes(**sizes: int) -> None:
    for name, value in sizes.items():
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise ValueError(f"{name} must be a positive int, got {value!r}")


def _check_logits(x, name: str) -> None:
    if not isinstance(x, Tensor) or not x.is_floating_point():
        raise TypeError(f"{name} must be a float tensor of logits, got "
                        f"{type(x).__name__ if not isinstance(x, Tensor) else x.dtype}")


# --- DCGAN ------------------------------------------------------------------------------

def digit_splits(val_fraction: float = 0.2, seed: int = 0) -> dict[str, Tensor]:
    """The 16x16 course digits for the GAN, each ``float32`` ``(N, 1, 16, 16)`` in [0, 1].

    ``"train"`` and ``"val"``: a stratified split of the course train split (the validation
    part chooses the checkpoint's training length); ``"test"``: the course test split.
    """
    from sklearn.model_selection import train_test_split

    from .data import digits_datasets

    if not isinstance(val_fraction, float) or not 0.0 < val_fraction < 1.0:
        raise ValueError(f"val_fraction must be a float in (0, 1), got {val_fraction!r}")
    train, test = digits_datasets(size=DIGIT_SIZE)
    X, y = train.tensors
    idx_train, idx_val = train_test_split(np.arange(len(y)), test_size=val_fraction,
                                          random_state=seed, stratify=y.numpy())
    return {"train": X[np.sort(idx_train)], "val": X[np.sort(idx_val)], "test": test.tensors[0]}


class DCGANGenerator(nn.Module):
    """Noise ``(N, latent_dim)`` -> digits ``(N, 1, 16, 16)`` in [0, 1].

    Transposed convolutions 1 -> 4 -> 8 pixels with batch norm and ReLU, a 3x3 convolution
    with a sigmoid (the DCGAN paper uses tanh on images scaled to [-1, 1]), then the fixed
    bilinear 8 -> 16 enlargement that made the course's 16x16 digits from 8x8 scans.
    """

    def __init__(self, latent_dim: int = 32, width: int = 32, out_channels: int = 1):
        super().__init__()
        _check_sizes(latent_dim=latent_dim, width=width, out_channels=out_channels)
        self.latent_dim = latent_dim
        w = width
        self.net = nn.Sequential(
            nn.ConvTranspose2d(latent_dim, 4 * w, 4, 1, 0, bias=False), nn.BatchNorm2d(4 * w), nn.ReLU(),
            nn.ConvTranspose2d(4 * w, 2 * w, 4, 2, 1, bias=False), nn.BatchNorm2d(2 * w), nn.ReLU(),
            nn.Conv2d(2 * w, out_channels, 3, padding=1), nn.Sigmoid())

    def forward(self, z: Tensor) -> Tensor:
        if not isinstance(z, Tensor) or z.ndim != 2 or z.shape[1] != self.latent_dim:
            raise ValueError(f"z must be noise of shape (N, {self.latent_dim}), got "
                             f"{tuple(z.shape) if isinstance(z, Tensor) else type(z).__name__}")
        small = self.net(z[:, :, None, None])                                  # (N, C, 8, 8)
        return F.interpolate(small, size=(DIGIT_SIZE, DIGIT_SIZE), mode="bilinear", align_corners=False)


class DCGANDiscriminator(nn.Module):
    """Images ``(N, in_channels, 16, 16)`` -> one real/fake logit per image ``(N,)``.

    Strided convolutions 16 -> 8 -> 4 -> 1 with LeakyReLU(0.2), batch norm in the middle.
    """

    def __init__(self, width: int = 32, in_channels: int = 1):
        super().__init__()
        _check_sizes(width=width, in_channels=in_channels)
        w = width
        self.net = nn.Sequential(
            nn.Conv2d(in_channels, w, 4, 2, 1), nn.LeakyReLU(0.2),
            nn.Conv2d(w, 2 * w, 4, 2, 1, bias=False), nn.BatchNorm2d(2 * w), nn.LeakyReLU(0.2),
            nn.Conv2d(2 * w, 1, 4, 1, 0))

    def forward(self, x: Tensor) -> Tensor:
        check_image_batch("x", x, size=DIGIT_SIZE)
        return self.net(x).flatten()


def discriminator_loss(real_logits: Tensor, fake_logits: Tensor) -> Tensor:
    """Real logits against ones plus fake logits against zeros (BCE with logits, mean each)."""
    _check_logits(real_logits, "real_logits")
    _check_logits(fake_logits, "fake_logits")
    return (F.binary_cross_entropy_with_logits(real_logits, torch.ones_like(real_logits))
            + F.binary_cross_entropy_with_logits(fake_logits, torch.zeros_like(fake_logits)))


def generator_loss(fake_logits: Tensor) -> Tensor:
    """Fake logits against ones: the generator wants the discriminator to say "real"."""
    _check_logits(fake_logits, "fake_logits")
    return F.binary_cross_entropy_with_logits(fake_logits, torch.ones_like(fake_logits))


def dcgan_step(G: nn.Module, D: nn.Module, opt_g: torch.optim.Optimizer, opt_d: torch.optim.Optimizer,
               real: Tensor, z: Tensor) -> tuple[float, float]:
    """One DCGAN update: a discriminator step on ``real`` and ``G(z)``, then a generator step.

    Returns ``(d_loss, g_loss)`` as floats.
    """
    check_image_batch("real", real)
    fake = G(z)
    d_loss = discriminator_loss(D(real), D(fake.detach()))   # detach: this step only moves D
    opt_d.zero_grad()
    d_loss.backward()
    opt_d.step()
    g_loss = generator_loss(D(fake))                          # D just improved; G answers it
    opt_g.zero_grad()
    g_loss.backward()
    opt_g.step()
    return d_loss.item(), g_loss.item()


def train_dcgan(G: DCGANGenerator, D: nn.Module, images: Tensor, steps: int, batch_size: int = 64,
                lr: float = 2e-4, seed: int = 0,
                callback: Callable[[int, DCGANGenerator], None] | None = None) -> dict[str, list[float]]:
    """Train ``G`` and ``D`` for ``steps`` updates on random batches of ``images`` ``(N, 1, 16, 16)``.

    Adam(lr, betas=(0.5, 0.999)) for both, batches and noise from a generator seeded with
    ``seed``; ``callback(step, G)`` runs after every step (for snapshots). Returns the
    per-step losses ``{"d_loss": [...], "g_loss": [...]}``.
    """
    check_image_batch("images", images, size=DIGIT_SIZE)
    _check_sizes(steps=steps, batch_size=batch_size)
    gen = torch.Generator().manual_seed(seed)
    opt_g = torch.optim.Adam(G.parameters(), lr=lr, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(D.parameters(), lr=lr, betas=(0.5, 0.999))
    history: dict[str, list[float]] = {"d_loss": [], "g_loss": []}
    G.train()
    D.train()
    for step in range(1, steps + 1):
        real = images[torch.randint(len(images), (batch_size,), generator=gen)]
        z = torch.randn(batch_size, G.latent_dim, generator=gen)
        d_loss, g_loss = dcgan_step(G, D, opt_g, opt_d, real, z)
        history["d_loss"].append(d_loss)
        history["g_loss"].append(g_loss)
        if callback is not None:
            callback(step, G)
    return history


@torch.no_grad()
def generate(G: DCGANGenerator, n: int, seed: int = 0) -> Tensor:
    """``n`` samples ``(n, C, H, W)`` of ``G`` in eval mode from seeded noise (G's mode is restored)."""
    _check_sizes(n=n)
    z = torch.randn(n, G.latent_dim, generator=torch.Generator().manual_seed(seed))
    was_training = G.training
    out = G.eval()(z.to(next(G.parameters()).device)).cpu()
    G.train(was_training)
    return out


# --- Measuring generated digits with a classifier --------------------------------------

@torch.no_grad()
def classifier_report(classifier: nn.Module, images: Tensor, num_classes: int = 10) -> dict[str, Tensor]:
    """A classifier's view of ``images`` ``(N, C, H, W)``.

    Returns ``max_prob`` ``(N,)`` (its confidence), ``pred`` ``(N,)`` (predicted class) and
    ``class_fraction`` ``(num_classes,)`` (fraction of images per predicted class).
    """
    check_image_batch("images", images)
    _check_sizes(num_classes=num_classes)
    classifier.eval()
    probs = torch.cat([classifier(b).softmax(dim=1) for b in images.split(500)])
    if probs.shape[1] != num_classes:
        raise ValueError(f"num_classes={num_classes} but the classifier outputs {probs.shape[1]} classes")
    max_prob, pred = probs.max(dim=1)
    return {"max_prob": max_prob, "pred": pred,
            "class_fraction": torch.bincount(pred, minlength=num_classes).double() / len(pred)}


class PooledFeatures(nn.Module):
    """A ``DigitsCNN``'s globally average-pooled features ``(N, d)``: the feature space of the
    Fréchet distance (the role Inception-v3's pool features play in FID)."""

    def __init__(self, classifier: nn.Module):
        super().__init__()
        features = getattr(classifier, "features", None)
        if not isinstance(features, nn.Module):
            raise TypeError(f"classifier must have a .features module (a DigitsCNN), "
                            f"got {type(classifier).__name__}")
        self.features = features

    def forward(self, x: Tensor) -> Tensor:
        return self.features(x).mean(dim=(2, 3))


def frechet_distance(feats_a: Tensor, feats_b: Tensor) -> float:
    """Fréchet distance between Gaussians fitted to two feature sets ``(N_a, d)``, ``(N_b, d)``:
    ``|mu_a - mu_b|^2 + tr(S_a + S_b - 2 (S_a S_b)^(1/2))`` (float64, scipy's sqrtm)."""
    from scipy import linalg

    for name, f in (("feats_a", feats_a), ("feats_b", feats_b)):
        if not isinstance(f, Tensor) or f.ndim != 2 or len(f) < 2:
            raise ValueError(f"{name} must be a (N, d) tensor with N >= 2, got "
                             f"{tuple(f.shape) if isinstance(f, Tensor) else type(f).__name__}")
    if feats_a.shape[1] != feats_b.shape[1]:
        raise ValueError(f"feats_a and feats_b need the same feature size d, got "
                         f"{feats_a.shape[1]} and {feats_b.shape[1]}")
    a, b = feats_a.double().cpu().numpy(), feats_b.double().cpu().numpy()
    mu_a, mu_b = a.mean(axis=0), b.mean(axis=0)
    cov_a, cov_b = np.atleast_2d(np.cov(a, rowvar=False)), np.atleast_2d(np.cov(b, rowvar=False))
    with warnings.catch_warnings():      # near-singular covariances (dead features) warn
        warnings.simplefilter("ignore", linalg.LinAlgWarning)
        covmean = linalg.sqrtm(cov_a @ cov_b).real
    return float(((mu_a - mu_b) ** 2).sum() + np.trace(cov_a + cov_b - 2 * covmean))


# --- CycleGAN on two-style shapes -------------------------------------------------------

def two_style_shapes(n: int, seed: int = 0, size: int = 32) -> tuple[Tensor, Tensor]:
    """The same ``n`` shape layouts in two styles: ``(A, B)``, each ``float32`` ``(n, 3, size, size)``.

    Style A: filled amber shapes on navy; style B: 1-pixel dark-red outlines on cream
    (``STYLE_A``, ``STYLE_B``). Image ``i`` of A and of B show the same scene, the paired
    ground truth that lets the notebook measure an unpaired translator.
    """
    from .shapes import make_shapes_scenes

    _check_sizes(n=n, size=size)
    scenes = make_shapes_scenes(n, seed=seed, size=size, min_objects=1, max_objects=2,
                                radius=(4.0, size / 5), noise=0.0)
    mask = torch.from_numpy(scenes.masks > 0).float()[:, None]            # (n, 1, H, W)
    inside = 1 - F.max_pool2d(1 - mask, 3, stride=1, padding=1)            # erosion by 3x3
    outline = mask - inside
    return _paint(mask, STYLE_A), _paint(outline, STYLE_B)


def _paint(mask: Tensor, style: dict) -> Tensor:
    bg = torch.tensor(style["background"]).view(1, 3, 1, 1)
    fg = torch.tensor(style["shape"]).view(1, 3, 1, 1)
    return bg * (1 - mask) + fg * mask


class _ResBlock(nn.Module):
    def __init__(self, c: int):
        super().__init__()
        self.body = nn.Sequential(nn.Conv2d(c, c, 3, padding=1, padding_mode="reflect"),
                                  nn.InstanceNorm2d(c), nn.ReLU(),
                                  nn.Conv2d(c, c, 3, padding=1, padding_mode="reflect"),
                                  nn.InstanceNorm2d(c))

    def forward(self, x: Tensor) -> Tensor:
        return x + self.body(x)


class CycleGenerator(nn.Module):
    """Image-to-image generator ``(N, 3, H, W)`` -> ``(N, 3, H, W)`` in [0, 1] (H, W even).

    CycleGAN's design, small: a 3x3 stem, one stride-2 downsampling, ``blocks`` residual
    blocks with instance norm, a transposed-convolution upsampling and a sigmoid output.
    """

    def __init__(self, channels: int = 3, width: int = 16, blocks: int = 3):
        super().__init__()
        _check_sizes(channels=channels, width=width, blocks=blocks)
        w = width
        self.channels = channels
        self.net = nn.Sequential(
            nn.Conv2d(channels, w, 3, padding=1), nn.InstanceNorm2d(w), nn.ReLU(),
            nn.Conv2d(w, 2 * w, 4, 2, 1), nn.InstanceNorm2d(2 * w), nn.ReLU(),
            *[_ResBlock(2 * w) for _ in range(blocks)],
            nn.ConvTranspose2d(2 * w, w, 4, 2, 1), nn.InstanceNorm2d(w), nn.ReLU(),
            nn.Conv2d(w, channels, 3, padding=1), nn.Sigmoid())

    def forward(self, x: Tensor) -> Tensor:
        check_image_batch("x", x, channels=self.channels)
        if x.shape[-1] % 2 or x.shape[-2] % 2:
            raise ValueError(f"x needs an even height and width, got shape {tuple(x.shape)}")
        return self.net(x)


class PatchDiscriminator(nn.Module):
    """PatchGAN discriminator: ``(N, 3, H, W)`` -> real/fake logits per patch ``(N, 1, H/4, W/4)``."""

    def __init__(self, channels: int = 3, width: int = 16):
        super().__init__()
        _check_sizes(channels=channels, width=width)
        w = width
        self.channels = channels
        self.net = nn.Sequential(
            nn.Conv2d(channels, w, 4, 2, 1), nn.LeakyReLU(0.2),
            nn.Conv2d(w, 2 * w, 4, 2, 1), nn.InstanceNorm2d(2 * w), nn.LeakyReLU(0.2),
            nn.Conv2d(2 * w, 1, 3, padding=1))

    def forward(self, x: Tensor) -> Tensor:
        check_image_batch("x", x, channels=self.channels)
        return self.net(x)


class CycleGenerators(nn.Module):
    """The two translators of a CycleGAN: ``g_ab`` (A -> B) and ``g_ba`` (B -> A)."""

    def __init__(self, width: int = 16, blocks: int = 3):
        super().__init__()
        self.g_ab = CycleGenerator(width=width, blocks=blocks)
        self.g_ba = CycleGenerator(width=width, blocks=blocks)

    def forward(self, a: Tensor, b: Tensor) -> tuple[Tensor, Tensor]:
        """``(g_ab(a), g_ba(b))``."""
        return self.g_ab(a), self.g_ba(b)


def cycle_loss(g_ab: nn.Module, g_ba: nn.Module, a: Tensor, b: Tensor) -> Tensor:
    """Cycle consistency, L1 both ways: ``|g_ba(g_ab(a)) - a| + |g_ab(g_ba(b)) - b|`` (means)."""
    check_image_batch("a", a)
    check_image_batch("b", b)
    return F.l1_loss(g_ba(g_ab(a)), a) + F.l1_loss(g_ab(g_ba(b)), b)


def cyclegan_step(gens: CycleGenerators, d_a: nn.Module, d_b: nn.Module, opt_g: torch.optim.Optimizer,
                  opt_d: torch.optim.Optimizer, a: Tensor, b: Tensor,
                  lambda_cycle: float = 10.0) -> dict[str, float]:
    """One CycleGAN update on an unpaired batch: generators first (adversarial both ways +
    ``lambda_cycle`` x cycle loss), then both discriminators. Returns the losses as floats."""
    check_image_batch("a", a)
    check_image_batch("b", b)
    fake_b, fake_a = gens(a, b)
    adv = generator_loss(d_b(fake_b).flatten()) + generator_loss(d_a(fake_a).flatten())
    cyc = F.l1_loss(gens.g_ba(fake_b), a) + F.l1_loss(gens.g_ab(fake_a), b)
    g_loss = adv + lambda_cycle * cyc
    opt_g.zero_grad()
    g_loss.backward()
    opt_g.step()
    d_loss = (discriminator_loss(d_a(a).flatten(), d_a(fake_a.detach()).flatten())
              + discriminator_loss(d_b(b).flatten(), d_b(fake_b.detach()).flatten()))
    opt_d.zero_grad()
    d_loss.backward()
    opt_d.step()
    return {"g_adv": adv.item(), "cycle": cyc.item(), "d_loss": d_loss.item()}


def train_cyclegan(gens: CycleGenerators, d_a: nn.Module, d_b: nn.Module, A: Tensor, B: Tensor,
                   steps: int, batch_size: int = 16, lr: float = 2e-4, lambda_cycle: float = 10.0,
                   seed: int = 0) -> dict[str, list[float]]:
    """Train on unpaired sets ``A`` ``(N_a, 3, H, W)`` and ``B`` ``(N_b, 3, H, W)``: each batch draws
    its A and B images independently. Adam(lr, betas=(0.5, 0.999)); returns per-step losses."""
    check_image_batch("A", A, channels=3)
    check_image_batch("B", B, channels=3)
    _check_sizes(steps=steps, batch_size=batch_size)
    gen = torch.Generator().manual_seed(seed)
    opt_g = torch.optim.Adam(gens.parameters(), lr=lr, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam([*d_a.parameters(), *d_b.parameters()], lr=lr, betas=(0.5, 0.999))
    history: dict[str, list[float]] = {"g_adv": [], "cycle": [], "d_loss": []}
    for _ in range(steps):
        a = A[torch.randint(len(A), (batch_size,), generator=gen)]
        b = B[torch.randint(len(B), (batch_size,), generator=gen)]
        for key, value in cyclegan_step(gens, d_a, d_b, opt_g, opt_d, a, b, lambda_cycle).items():
            history[key].append(value)
    return history
