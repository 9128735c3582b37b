"""digits10_simclr: a SmallEncoder trained SimCLR-style (NT-Xent), 16x16 digits (10_self_supervised).

Unlabeled: only the images of the digits train split, never a label or the test split.
Two views per image: resized crop (area 0.6..1) and rotation up to 15 degrees, no flips
(a flipped digit can be another digit); temperature 0.5, batch 256, 40 epochs, seed 0.
"""
import sys

import torch
from torch import nn

from course_utils import core, data, selfsup

NAME = "digits10_simclr"
AUG = dict(min_scale=0.6, flip=False, max_angle=15.0)


def train_model(num_epochs: int = 40) -> nn.Module:
    core.seed_everything(0)
    x = data.digits_datasets(size=16)[0].tensors[0]                    # (1347, 1, 16, 16)
    net = selfsup.SelfSupNet(64, in_channels=1, width=16, head="mlp")
    loss = lambda net, b, gen: selfsup.simclr_loss(net, b, gen, temperature=0.5, **AUG)  # noqa: E731
    losses = selfsup.pretrain(net, x, loss, num_epochs, batch_size=256, seed=0)
    net.eval()
    gen = torch.Generator().manual_seed(1)
    with torch.no_grad():
        acc = selfsup.retrieval_accuracy(net(selfsup.augment(x[:512], gen, **AUG)),
                                         net(selfsup.augment(x[:512], gen, **AUG)))
    print(f"{NAME}: last epoch loss {losses[-1]:.3f}, positive found among 512: {acc:.3f}")
    if acc < 0.5:
        sys.exit(f"{NAME} found only {acc:.3f} of the positives; not saved")
    return net
