"""digits16_cnn: a DigitsCNN (width 16) on the 16x16 digits, all 10 classes, train split only.

The judge of 08_gans: its confidence and class predictions on generated digits, and its
pooled features as the feature space of the Fréchet distance. Plain cross-entropy, so its
confidence on uniform noise stays well below its confidence on real digits.
"""
import sys

import torch
import torch.nn.functional as F

from course_utils import core, data, models, train

NAME = "digits16_cnn"


def train_model() -> torch.nn.Module:
    core.seed_everything(0)
    train_loader, test_loader = data.load_data_digits(batch_size=64, size=16)
    net = models.DigitsCNN(width=16)
    optimizer = torch.optim.Adam(net.parameters(), lr=2e-3)
    for _ in range(10):
        net.train()
        for xb, yb in train_loader:
            loss = F.cross_entropy(net(xb), yb)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    acc = train.evaluate(net.eval(), test_loader)["acc"]
    if acc < 0.96:
        sys.exit(f"{NAME} reached only {acc:.3f} test accuracy on the 16x16 digits; not saved")
    return net
