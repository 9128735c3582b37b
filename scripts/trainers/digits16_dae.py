"""digits16_dae: ConvDenoiser on the 16x16 digits, noise factor 0.3 (07_autoencoders).

Trained on the train split only, 60 epochs (the notebook trains the same model live for
a few epochs and compares with this one on the test split).
"""
import sys

import torch

from course_utils import autoencoders, core, data

NAME = "digits16_dae"
NOISE_FACTOR = 0.3


def train_model() -> torch.nn.Module:
    core.seed_everything(0)
    X = data.digits_datasets(size=16)[0].tensors[0]                  # (1347, 1, 16, 16) in [0, 1]
    net = autoencoders.ConvDenoiser(width=32)
    autoencoders.fit_autoencoder(net, X, num_epochs=60, lr=3e-3, noise_factor=NOISE_FACTOR, seed=0)
    noisy = autoencoders.add_noise(X, NOISE_FACTOR, torch.Generator().manual_seed(99))
    with torch.no_grad():
        gain = (autoencoders.psnr(net(noisy), X) - autoencoders.psnr(noisy, X)).mean().item()
    if gain < 6.0:
        sys.exit(f"{NAME} gains only {gain:.2f} dB over the noisy train images; not saved")
    return net
