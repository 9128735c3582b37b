"""digits_dcgan: the DCGAN generator of 08_gans, trained on the 16x16 digits (about 5 minutes).

Trains ``gans.DCGANGenerator`` and ``gans.DCGANDiscriminator`` (width 32) with the
lecture's losses for 8,000 steps on the GAN's train split, keeps an exponential moving
average (EMA) of the generator's weights, and saves the EMA snapshot with the lowest
Fréchet distance to the *validation* digits in the features of the digits16_cnn judge
(checked every 1,000 steps). The test digits are not used here.
"""
import copy
import sys

import torch

from course_utils import checkpoints, core, gans

NAME = "digits_dcgan"
STEPS, EVERY, EMA_DECAY = 8000, 1000, 0.995


def train_model() -> torch.nn.Module:
    core.seed_everything(0)
    splits = gans.digit_splits()
    features = gans.PooledFeatures(checkpoints.load_model("digits16_cnn")).eval()
    with torch.no_grad():
        val_features = features(splits["val"])
    G, D = gans.DCGANGenerator(latent_dim=32, width=32), gans.DCGANDiscriminator(width=32)
    ema = copy.deepcopy(G)
    best = {"fid": float("inf"), "step": 0, "state": None}

    def callback(step: int, G: gans.DCGANGenerator) -> None:
        with torch.no_grad():
            for p_ema, p in zip(ema.parameters(), G.parameters()):
                p_ema.lerp_(p, 1 - EMA_DECAY)
            for b_ema, b in zip(ema.buffers(), G.buffers()):
                b_ema.copy_(b)
            if step % EVERY == 0:
                fid = gans.frechet_distance(val_features, features(gans.generate(ema, 1000, seed=1)))
                print(f"step {step}: validation Frechet distance {fid:.3f}", flush=True)
                if fid < best["fid"]:
                    best.update(fid=fid, step=step, state=copy.deepcopy(ema.state_dict()))

    gans.train_dcgan(G, D, splits["train"], STEPS, batch_size=64, lr=2e-4, seed=0, callback=callback)
    if best["fid"] > 2.0:
        sys.exit(f"{NAME}: best validation Frechet distance {best['fid']:.3f} > 2; not saved")
    print(f"{NAME}: kept step {best['step']} (validation Frechet distance {best['fid']:.3f})")
    ema.load_state_dict(best["state"])
    return ema.eval()
