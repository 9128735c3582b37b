"""digits16_teacher_half: a wide DigitsCNN (width 32) trained on HALF of the 16x16 training split.

The teacher of knowledge distillation in 02_data_augmentation. The training split (1,347
digits) is cut in two stratified halves with
``sklearn.model_selection.train_test_split(arange(1347), test_size=0.5, stratify=y, random_state=0)``:
the teacher learns from the first half (673 digits) only; the second half (674 digits) is the
student's pool, so the teacher has never seen those images or their labels. No choice is made
on the test split: the budget is fixed and the test accuracy is checked once at the end.
"""
import sys

import numpy as np
import torch
from sklearn.model_selection import train_test_split
from torch.utils.data import TensorDataset

from course_utils import core, data, models, train

NAME = "digits16_teacher_half"


def teacher_half_indices(y: torch.Tensor) -> tuple[np.ndarray, np.ndarray]:
    """Sorted indices of the teacher's half and of the student's pool in the training split."""
    teacher, pool = train_test_split(np.arange(len(y)), test_size=0.5, random_state=0, stratify=y.numpy())
    return np.sort(teacher), np.sort(pool)


def train_model() -> torch.nn.Module:
    core.seed_everything(0)
    train16, test16 = data.digits_datasets(size=16)
    X, y = train16.tensors
    teacher_idx, _ = teacher_half_indices(y)
    loader = data.make_loaders(TensorDataset(X[teacher_idx], y[teacher_idx]), test16, batch_size=64)[0]
    net = models.DigitsCNN(width=32)
    num_epochs = 15
    optimizer = torch.optim.Adam(net.parameters(), lr=2e-3)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=num_epochs)
    train.fit(net, loader, num_epochs=num_epochs, optimizer=optimizer, scheduler=scheduler,
              device=torch.device("cpu"), verbose=False)
    net.eval()
    with torch.no_grad():
        acc = (net(test16.tensors[0]).argmax(1) == test16.tensors[1]).float().mean().item()
    print(f"{NAME}: test accuracy {acc:.3f} (trained on {len(teacher_idx)} digits)")
    if acc < 0.98:
        sys.exit(f"{NAME} reached only {acc:.3f} test accuracy on the 16x16 digits; not saved")
    return net
