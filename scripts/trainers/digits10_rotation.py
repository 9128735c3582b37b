"""digits10_rotation: a SmallEncoder trained on the rotation pretext task, 16x16 digits (10_self_supervised).

Unlabeled: only the images of the digits train split are used, never a label and never the
test split. 4-way rotation (0/90/180/270 degrees) with a linear head; 30 epochs, seed 0.
"""
import sys

from torch import nn

from course_utils import core, data, selfsup

NAME = "digits10_rotation"


def train_model(num_epochs: int = 30) -> nn.Module:
    core.seed_everything(0)
    x = data.digits_datasets(size=16)[0].tensors[0]                    # (1347, 1, 16, 16)
    net = selfsup.SelfSupNet(4, in_channels=1, width=16, head="linear")
    losses = selfsup.pretrain(net, x, selfsup.rotation_loss, num_epochs, batch_size=128, seed=0)
    acc = selfsup.rotation_accuracy(net, x)
    print(f"{NAME}: last epoch loss {losses[-1]:.3f}, rotation accuracy on its training images {acc:.3f}")
    if acc < 0.8:
        sys.exit(f"{NAME} reached only {acc:.3f} rotation accuracy; not saved")
    return net.eval()
