"""digits04_ae: DenseAutoencoder (16-d bottleneck) on the normal digits 0-4 (07_autoencoders).

Trained on the digits 0-4 of the train split only, 200 epochs: the reference for the
anomaly detector that the notebook trains live for a few epochs.
"""
import sys

import torch

from course_utils import autoencoders, core, data

NAME = "digits04_ae"


def train_model() -> torch.nn.Module:
    core.seed_everything(0)
    X, y = data.digits_datasets(size=16)[0].tensors
    normal = X[y < 5]                                                # (670, 1, 16, 16) in [0, 1]
    net = autoencoders.DenseAutoencoder(in_features=256, latent_dim=16, hidden=128)
    history = autoencoders.fit_autoencoder(net, normal, num_epochs=200, lr=3e-3, seed=0)
    if history["train_loss"][-1] > 0.01:
        sys.exit(f"{NAME} ends with train MSE {history['train_loss'][-1]:.4f}; not saved")
    return net
