"""shapes06_gapnet: a multi-label ShapesGAPNet on shapes scenes with 1-3 objects (06_cnn_visualization).

Seeds: training scenes 1000, validation scenes 1001. The notebook evaluates on scenes
made with seeds this script never uses (2001 and up), so its results are held out.
"""
import sys

import torch
from sklearn.metrics import average_precision_score
from torch import nn

from course_utils import core, models, shapes

NAME = "shapes06_gapnet"
TRAIN_SEED, VAL_SEED = 1000, 1001
SCENES = dict(size=64, min_objects=1, max_objects=3, radius=(5.0, 12.0))


def scenes_to_tensors(scenes: shapes.ShapesScenes) -> tuple[torch.Tensor, torch.Tensor]:
    """Images ``(N, 3, H, W)`` in [0, 1] and multi-hot targets ``(N, 3)``."""
    x = torch.from_numpy(scenes.images).permute(0, 3, 1, 2).float() / 255.0
    return x, torch.from_numpy(scenes.multilabel_targets())


def random_flips(x: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    """Flip each image left-right and up-down, each with probability 1/2 (labels unchanged)."""
    for dim in (3, 2):
        flip = (torch.rand(len(x), generator=gen) < 0.5)[:, None, None, None]
        x = torch.where(flip, x.flip(dim), x)
    return x


def train_model(num_scenes: int = 8000, num_epochs: int = 20, width: int = 16,
                lr: float = 3e-3, batch_size: int = 64) -> nn.Module:
    core.seed_everything(0)
    x, y = scenes_to_tensors(shapes.make_shapes_scenes(num_scenes, seed=TRAIN_SEED, **SCENES))
    x_val, y_val = scenes_to_tensors(shapes.make_shapes_scenes(500, seed=VAL_SEED, **SCENES))
    net = models.ShapesGAPNet(num_classes=3, width=width)
    steps = num_epochs * (len(x) // batch_size)
    optimizer = torch.optim.AdamW(net.parameters(), lr=lr, weight_decay=1e-4)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=steps)
    loss_fn, gen = nn.BCEWithLogitsLoss(), torch.Generator().manual_seed(0)
    for epoch in range(1, num_epochs + 1):
        net.train()
        order, total = torch.randperm(len(x), generator=gen), 0.0
        for i in range(len(x) // batch_size):
            idx = order[i * batch_size:(i + 1) * batch_size]
            loss = loss_fn(net(random_flips(x[idx], gen)), y[idx])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            scheduler.step()
            total += loss.item()
        net.eval()
        with torch.no_grad():
            mean_ap = average_precision_score(y_val.numpy(), torch.sigmoid(net(x_val)).numpy(), average="macro")
        print(f"epoch {epoch:2d}: train loss {total / (len(x) // batch_size):.3f}, val mAP {mean_ap:.3f}", flush=True)
    if mean_ap < 0.93:
        sys.exit(f"{NAME} reached only {mean_ap:.3f} validation mAP; not saved")
    return net.eval()
