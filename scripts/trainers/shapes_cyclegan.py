"""shapes_cyclegan: the two CycleGAN generators of 08_gans (filled <-> outlined shapes).

Trains ``gans.CycleGenerators`` (width 16, 3 residual blocks) with two
``gans.PatchDiscriminator`` s for 800 steps on *unpaired* sets: 1,000 filled scenes
(seed 1) and 1,000 outlined scenes of different layouts (seed 2); BCE adversarial losses
both ways plus 10 x the L1 cycle loss. About 3 minutes on one CPU thread. Only the
generators are saved. A validation set of paired scenes (seed 3) guards the result; the
notebook's test scenes (seed 2024) are not used here.
"""
import sys

import torch
import torch.nn.functional as F

from course_utils import core, gans

NAME = "shapes_cyclegan"


def train_model() -> torch.nn.Module:
    core.seed_everything(0)
    A, _ = gans.two_style_shapes(1000, seed=1)
    _, B = gans.two_style_shapes(1000, seed=2)
    gens = gans.CycleGenerators(width=16, blocks=3)
    d_a, d_b = gans.PatchDiscriminator(width=16), gans.PatchDiscriminator(width=16)
    gans.train_cyclegan(gens, d_a, d_b, A, B, steps=800, batch_size=16, lr=2e-4,
                        lambda_cycle=10.0, seed=0)
    val_a, val_b = gans.two_style_shapes(200, seed=3)
    with torch.no_grad():
        fake_b, fake_a = gens.eval()(val_a, val_b)
    err = (F.l1_loss(fake_b, val_b) + F.l1_loss(fake_a, val_a)).item() / 2
    print(f"{NAME}: validation translation L1 error {err:.4f} (identity: "
          f"{F.l1_loss(val_a, val_b).item():.4f})")
    if err > 0.1:
        sys.exit(f"{NAME}: validation translation error {err:.3f} > 0.1; not saved")
    return gens
