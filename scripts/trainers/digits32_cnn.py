"""digits32_cnn: DigitsCNN on all ten 32x32 digits, training part of the train split only.

The course reference for 01_cnn_basics: the notebook trains the same network live for 12
epochs and checks that it gets at least halfway from the majority-class baseline to this
checkpoint's test accuracy. Same data as the notebook (``data.train_val_split`` of the
train split, seed 0), trained longer (30 epochs); the validation part checks it.
"""
import sys

import torch

from course_utils import core, data, models, train

NAME = "digits32_cnn"


def train_model() -> torch.nn.Module:
    core.seed_everything(0)
    train_set, _ = data.digits_datasets()
    fit_set, val_set = data.train_val_split(train_set, val_size=0.2, seed=0)
    train_loader, val_loader = data.make_loaders(fit_set, val_set, batch_size=32, seed=0)
    net = models.DigitsCNN()
    num_epochs = 30
    optimizer = torch.optim.Adam(net.parameters(), lr=3e-3)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=num_epochs)
    train.fit(net, train_loader, val_loader, num_epochs=num_epochs, optimizer=optimizer,
              scheduler=scheduler, device=torch.device("cpu"))
    acc = train.evaluate(net, val_loader)["acc"]
    if acc < 0.98:
        sys.exit(f"{NAME} reached only {acc:.3f} validation accuracy; not saved")
    return net
