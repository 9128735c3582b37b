"""Course checkpoints: weights trained by ``scripts/train_checkpoints.py``, verified by SHA-256.

Every file in ``data/checkpoints/`` is registered here with its hash; loading checks
the hash first and then uses ``torch.load(..., weights_only=True)``, so a corrupted or
swapped file is a clear error, never a silent load. Introduced in 01_cnn_basics.
"""
from __future__ import annotations

import hashlib
import importlib
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn

from . import models
from .core import DATA_DIR

CHECKPOINT_DIR = DATA_DIR / "checkpoints"


@dataclass(frozen=True)
class Checkpoint:
    file: str          # name inside data/checkpoints/
    sha256: str        # hash of the file's bytes
    builder: str       # model class: "Name" in course_utils.models, or "module.Name" in course_utils.module
    kwargs: tuple      # (name, value) pairs passed to the builder
    description: str

    def __post_init__(self) -> None:
        """A mistyped entry fails when the registry is imported, not at load time."""
        if not isinstance(self.file, str) or not self.file or "/" in self.file or "\\" in self.file:
            raise ValueError(f"file must be a file name inside data/checkpoints/ (no folders), got {self.file!r}")
        if not (isinstance(self.sha256, str) and len(self.sha256) == 64
                and all(c in "0123456789abcdef" for c in self.sha256)):
            raise ValueError(f"sha256 must be 64 lower-case hex digits (what `./course checkpoints` "
                             f"prints), got {self.sha256!r}")
        if not isinstance(self.builder, str) or not self.builder.replace(".", "").replace("_", "").isalnum():
            raise ValueError(f"builder must be 'ClassName' or 'module.ClassName', got {self.builder!r}")
        if not isinstance(self.kwargs, tuple) or not all(
                isinstance(kv, tuple) and len(kv) == 2 and isinstance(kv[0], str) for kv in self.kwargs):
            raise ValueError(f"kwargs must be a tuple of (name, value) pairs, got {self.kwargs!r}")
        if not isinstance(self.description, str):
            raise TypeError(f"description must be a str, got {type(self.description).__name__}")


CHECKPOINTS: dict[str, Checkpoint] = {
    "digits04_cnn": Checkpoint(
        file="digits04_cnn.pt",
        sha256="357eca628579b3f5d942792378464c2fe1539da74eef65f5e60c6a086d9bdbf0",
        builder="DigitsCNN", kwargs=(("num_classes", 5),),
        description="DigitsCNN trained on digits 0-4 (train split only); the source "
                    "task for transfer learning to digits 5-9 in 01_cnn_basics"),
    "digits16_teacher": Checkpoint(
        file="digits16_teacher.pt",
        sha256="81f8cd633eedad63a5dae30d7084da63711201ca993ef6672930201a21d1eb8c",
        builder="DigitsCNN", kwargs=(("width", 32),),
        description="wide DigitsCNN (width 32, 94k parameters) trained on the 16x16 digits "
                    "(train split only); the teacher for knowledge distillation in "
                    "02_data_augmentation"),
    "shapes_unet": Checkpoint(
        file="shapes_unet.pt",
        sha256="9d21954a305260ed05e7ee4ec60ef550aa16c2849a896f6393f07c604bac1377",
        builder="UNet", kwargs=(),
        description="UNet (117k parameters) trained by scripts/trainers/shapes_unet.py on "
                    "2,000 shapes scenes (seed 1) with class-weighted cross-entropy + Dice; "
                    "evaluated on held-out scenes in 04_semantic_segmentation"),
    "shapes_centernet": Checkpoint(
        file="shapes_centernet.pt",
        sha256="9b45b936b6ddb6800579cac218e31b09d95ae5b2adf548956dab0dee4e73c3a2",
        builder="CenterNetLite", kwargs=(),
        description="CenterNetLite (239k parameters) trained by scripts/trainers/"
                    "shapes_centernet.py on 2,000 shapes scenes (seed 1); evaluated on "
                    "held-out scenes in 05_object_detection"),
    "shapes06_gapnet": Checkpoint(
        file="shapes06_gapnet.pt",
        sha256="4f0ff1b62977b26e2cd969af8857997e14bba5bc921e171931ac3cb8166ccb87",
        builder="ShapesGAPNet", kwargs=(("num_classes", 3), ("width", 16)),
        description="ShapesGAPNet, multi-label (circle, square, triangle) on 8,000 shapes "
                    "scenes with 1-3 objects (seed 1000); CAM and Grad-CAM in 06_cnn_visualization"),
    "digits16_cnn": Checkpoint(
        file="digits16_cnn.pt",
        sha256="43e31d1d5171c42b244c9d42ec0b84853ee04660b1505c0d92b5a2f0ac18dcba",
        builder="DigitsCNN", kwargs=(("width", 16),),
        description="DigitsCNN (width 16) trained by scripts/trainers/digits16_cnn.py on the "
                    "16x16 digits (train split, all 10 classes); the judge of generated digits "
                    "(confidence, classes, Frechet-distance features) in 08_gans"),
    "digits_dcgan": Checkpoint(
        file="digits_dcgan.pt",
        sha256="b28ff3c59f162a43cd8ec6b2abbab44f427054aea08eaf653b4e461c93580b8c",
        builder="gans.DCGANGenerator", kwargs=(("latent_dim", 32), ("width", 32)),
        description="DCGAN generator (16x16 digits) trained by scripts/trainers/digits_dcgan.py "
                    "on the digits' train split; the snapshot with the lowest validation "
                    "Frechet distance; 08_gans"),
    "shapes_cyclegan": Checkpoint(
        file="shapes_cyclegan.pt",
        sha256="8fc52dd3d85506bb97398f13e06e9b7d6873ed6213553b41ee29a8d718a1cd2a",
        builder="gans.CycleGenerators", kwargs=(("width", 16), ("blocks", 3)),
        description="the two CycleGAN generators (filled <-> outlined shapes) trained by "
                    "scripts/trainers/shapes_cyclegan.py on unpaired two-style shapes; 08_gans"),
    "digits16_dae": Checkpoint(
        file="digits16_dae.pt",
        sha256="63d9c42871aa4965749652bb62df1c85dafc5e0e6d9402f815c251d32656356e",
        builder="autoencoders.ConvDenoiser", kwargs=(("width", 32),),
        description="ConvDenoiser (width 32) trained by scripts/trainers/digits16_dae.py for 60 "
                    "epochs on the 16x16 digits' train split, Gaussian noise factor 0.3; "
                    "07_autoencoders"),
    "digits04_ae": Checkpoint(
        file="digits04_ae.pt",
        sha256="0e4fccc73ec3c80d862824de822f20ccbe56c6d1e95f798b8ac0ae5f0716271a",
        builder="autoencoders.DenseAutoencoder", kwargs=(("in_features", 256), ("latent_dim", 16)),
        description="DenseAutoencoder (16-d bottleneck) trained by scripts/trainers/digits04_ae.py "
                    "for 200 epochs on the normal digits 0-4 of the 16x16 train split; the anomaly "
                    "detector's reference in 07_autoencoders"),
    "digits32_cnn": Checkpoint(
        file="digits32_cnn.pt",
        sha256="70af681fd52d56fdc14c2f8e94d59bf9df5948f9aee9be30f01efebd117ba600",
        builder="DigitsCNN", kwargs=(),
        description="DigitsCNN on the ten 32x32 digits, trained 30 epochs by "
                    "scripts/trainers/digits32_cnn.py on the training part of the train split "
                    "(data.train_val_split, seed 0); the reference score for the live CNN "
                    "of 01_cnn_basics"),
    "digits10_rotation": Checkpoint(
        file="digits10_rotation.pt",
        sha256="c18d2500f1e8528b5e54de72bfd3c51997de120e6557ff56038de603d692527a",
        builder="selfsup.SelfSupNet", kwargs=(("out_dim", 4), ("in_channels", 1), ("width", 16),
                                              ("head", "linear")),
        description="SelfSupNet (61k parameters) trained by scripts/trainers/digits10_rotation.py "
                    "on the rotation pretext task with the unlabeled 16x16 digits of the train "
                    "split; linear probes in 10_self_supervised"),
    "digits10_simclr": Checkpoint(
        file="digits10_simclr.pt",
        sha256="009f161467bb33031457067447cf8f50d47df4ed8e35c4643013bd9a137f11b6",
        builder="selfsup.SelfSupNet", kwargs=(("out_dim", 64), ("in_channels", 1), ("width", 16),
                                              ("head", "mlp")),
        description="SelfSupNet with an MLP projection head trained SimCLR-style (NT-Xent) by "
                    "scripts/trainers/digits10_simclr.py on the unlabeled 16x16 digits of the "
                    "train split; linear probes in 10_self_supervised"),
    "digits10_supervised": Checkpoint(
        file="digits10_supervised.pt",
        sha256="de7371fd38d948d79fa12e8a0dad3ab780fc3ba7071c5346b41d41d0f741ca3f",
        builder="selfsup.SelfSupNet", kwargs=(("out_dim", 10), ("in_channels", 1), ("width", 16),
                                              ("head", "linear")),
        description="SelfSupNet trained with all 1,347 labels of the 16x16 digits train split "
                    "by scripts/trainers/digits10_supervised.py; the supervised reference of "
                    "the linear-probe table in 10_self_supervised"),
    "digits16_teacher_half": Checkpoint(
        file="digits16_teacher_half.pt",
        sha256="fa4824fe220ee3d971e42196e9d3bd84e08450d44c44e0cc65dcce6f928736b6",
        builder="DigitsCNN", kwargs=(("width", 32),),
        description="wide DigitsCNN (width 32, 94k parameters) trained by scripts/trainers/"
                    "digits16_teacher_half.py on one stratified half (673 digits) of the 16x16 "
                    "train split; the other half is the student's pool in 02_data_augmentation, "
                    "which this teacher never saw"),
    "resnet03_degradation": Checkpoint(
        file="resnet03_degradation.pt",
        sha256="427134dfda5e2a10351edc0d76f8a4233da6fe7dbc27bee6f55e4349638eb1c0",
        builder="TrainingCurves", kwargs=(("num_seeds", 3), ("num_runs", 4), ("num_steps", 300)),
        description="training-loss curves (3 seeds x 4 runs x 300 SGD steps) of BatchNorm "
                    "networks on the 8x8 digits, runs in order: plain 8, plain 32, residual 8, "
                    "residual 32 conv layers; measured by scripts/trainers/resnet03_degradation.py "
                    "for the degradation problem in 03_modern_cnns"),
    # --- new checkpoints go above this line (one entry each) ---
}


def sha256_of(path: str | Path) -> str:
    """Hex SHA-256 of a file's bytes."""
    if not isinstance(path, (str, Path)):
        raise TypeError(f"path must be a file path (str or Path), got {type(path).__name__}")
    if not Path(path).is_file():
        raise FileNotFoundError(f"path: no file at {path}")
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _entry(name: str) -> Checkpoint:
    if not isinstance(name, str):
        raise TypeError(f"name must be the name of a registered checkpoint (str), got {type(name).__name__}; "
                        f"registered: {sorted(CHECKPOINTS)}")
    if name not in CHECKPOINTS:
        raise KeyError(f"name: unknown checkpoint {name!r}; registered: {sorted(CHECKPOINTS)}")
    return CHECKPOINTS[name]


def checkpoint_path(name: str) -> Path:
    """Path of a registered checkpoint file (it may not exist yet)."""
    return CHECKPOINT_DIR / _entry(name).file


def load_state_dict(name: str) -> dict[str, torch.Tensor]:
    """Verify the file's SHA-256 against the registry, then load it with ``weights_only=True``."""
    entry, path = _entry(name), checkpoint_path(name)
    if not path.exists():
        raise FileNotFoundError(f"checkpoint {name!r} missing at {path}; rebuild it with "
                                f"`./course checkpoints`")
    actual = sha256_of(path)
    if actual != entry.sha256:
        raise ValueError(f"checkpoint {name!r} has SHA-256 {actual}, expected {entry.sha256}: "
                         f"the file is corrupted or was replaced; restore it with git or rebuild "
                         f"it with `./course checkpoints` and update the registry")
    return torch.load(path, map_location="cpu", weights_only=True)


def build_model(name: str) -> nn.Module:
    """A freshly initialised model with the checkpoint's architecture (no weights loaded)."""
    entry = _entry(name)
    module_name, _, class_name = entry.builder.rpartition(".")
    module = importlib.import_module(f"course_utils.{module_name}") if module_name else models
    return getattr(module, class_name)(**dict(entry.kwargs))


def load_model(name: str) -> nn.Module:
    """The checkpoint's model with its verified weights, in ``eval()`` mode on the CPU."""
    net = build_model(name)
    net.load_state_dict(load_state_dict(name))
    return net.eval()
