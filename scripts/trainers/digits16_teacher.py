"""digits16_teacher: a wide DigitsCNN (width 32) on the 16x16 digits, full train split.

The teacher of knowledge distillation in 02_data_augmentation: the notebook only trains
the small students and reads the teacher's soft targets from this checkpoint.
"""
import sys

import torch

from course_utils import core, data, models, train

NAME = "digits16_teacher"


def train_model() -> torch.nn.Module:
    core.seed_everything(0)
    train_loader, test_loader = data.load_data_digits(batch_size=64, size=16)
    net = models.DigitsCNN(width=32)
    num_epochs = 12
    optimizer = torch.optim.Adam(net.parameters(), lr=2e-3)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=num_epochs)
    train.fit(net, train_loader, test_loader, num_epochs=num_epochs, optimizer=optimizer,
              scheduler=scheduler, device=torch.device("cpu"))
    acc = train.evaluate(net, test_loader)["acc"]
    if acc < 0.98:
        sys.exit(f"{NAME} reached only {acc:.3f} test accuracy on the 16x16 digits; not saved")
    return net
