"""digits10_supervised: the same SmallEncoder trained with labels, 16x16 digits (10_self_supervised).

The upper reference of the linear-probe table: cross-entropy on all 1,347 labels of the
digits train split (the probes get only 100); 20 epochs, Adam, seed 0. Never sees the test split.
"""
import sys

from torch import nn

from course_utils import core, data, selfsup, train

NAME = "digits10_supervised"


def train_model(num_epochs: int = 20) -> nn.Module:
    core.seed_everything(0)
    train_set = data.digits_datasets(size=16)[0]
    loader = data.make_loaders(train_set, train_set, batch_size=64, seed=0)[0]
    net = selfsup.SelfSupNet(10, in_channels=1, width=16, head="linear")
    history = train.fit(net, loader, num_epochs=num_epochs, lr=3e-3, verbose=False, progress=False)
    acc = history.train_acc[-1]
    print(f"{NAME}: last epoch train accuracy {acc:.3f}")
    if acc < 0.95:
        sys.exit(f"{NAME} reached only {acc:.3f} train accuracy; not saved")
    return net.eval()
