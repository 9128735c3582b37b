"""digits04_cnn: DigitsCNN on digits 0-4, train split only (01_cnn_basics transfers it to 5-9)."""
import sys

import torch

from course_utils import core, data, models, train

NAME = "digits04_cnn"


def train_model() -> torch.nn.Module:
    core.seed_everything(0)
    train_loader, test_loader = data.load_data_digits(batch_size=64, classes=range(5))
    net = models.DigitsCNN(num_classes=5)
    train.fit(net, train_loader, test_loader, num_epochs=12, lr=2e-3, device=torch.device("cpu"))
    acc = train.evaluate(net, test_loader)["acc"]
    if acc < 0.97:
        sys.exit(f"{NAME} reached only {acc:.3f} test accuracy on digits 0-4; not saved")
    return net
