"""shapes_unet: models.UNet on 2,000 shapes scenes (seed 1) for 04_semantic_segmentation.

Class-weighted cross-entropy plus soft Dice, flips, Adam with a one-cycle schedule; about
8 minutes on one CPU thread. The notebook evaluates it on scenes from seed 2024, which
this script never uses (it checks itself on seed 11).
"""
import sys

import torch
import torch.nn.functional as F

from course_utils import core, models, segmentation, shapes

NAME = "shapes_unet"
TRAIN_SEED, CHECK_SEED = 1, 11
NUM_EPOCHS, BATCH_SIZE, LR = 10, 32, 3e-3


def class_weights(masks: torch.Tensor, num_classes: int = 4) -> torch.Tensor:
    """Inverse square-root pixel frequency, normalised to mean 1."""
    freq = torch.bincount(masks.flatten(), minlength=num_classes).double() / masks.numel()
    w = freq.rsqrt()
    return (w / w.mean()).float()


def dice_loss(logits: torch.Tensor, masks: torch.Tensor) -> torch.Tensor:
    """1 - mean soft Dice over classes (pixels of the whole batch pooled)."""
    probs = logits.softmax(dim=1)
    onehot = F.one_hot(masks, logits.shape[1]).permute(0, 3, 1, 2).float()
    inter = (probs * onehot).sum(dim=(0, 2, 3))
    total = probs.sum(dim=(0, 2, 3)) + onehot.sum(dim=(0, 2, 3))
    return 1 - ((2 * inter + 1) / (total + 1)).mean()


def scenes_as_tensors(n: int, seed: int):
    s = shapes.make_shapes_scenes(n, seed=seed)
    return torch.from_numpy(s.images).permute(0, 3, 1, 2).float() / 255, torch.from_numpy(s.masks).long()


def evaluate(net, X, Y) -> dict:
    net.eval()
    metric = segmentation.ConfusionMatrix(4)
    with torch.no_grad():
        for k in range(0, len(X), 100):
            metric.update(net(X[k:k + 100]).argmax(1), Y[k:k + 100])
    return metric.compute()


def train_model(num_epochs: int = NUM_EPOCHS, verbose: bool = True) -> torch.nn.Module:
    core.seed_everything(0)
    X, Y = scenes_as_tensors(2000, TRAIN_SEED)
    Xc, Yc = scenes_as_tensors(300, CHECK_SEED)
    net = models.UNet()
    weights = class_weights(Y)
    steps = num_epochs * (len(X) // BATCH_SIZE)
    optimizer = torch.optim.Adam(net.parameters(), lr=LR)
    scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=LR, total_steps=steps)
    gen = torch.Generator().manual_seed(0)
    for epoch in range(num_epochs):
        net.train()
        order = torch.randperm(len(X), generator=gen)
        for k in range(0, len(X) - BATCH_SIZE + 1, BATCH_SIZE):
            xb, yb = X[order[k:k + BATCH_SIZE]], Y[order[k:k + BATCH_SIZE]]
            if torch.rand(1, generator=gen) < 0.5:
                xb, yb = xb.flip(-1), yb.flip(-1)
            if torch.rand(1, generator=gen) < 0.5:
                xb, yb = xb.flip(-2), yb.flip(-2)
            logits = net(xb)
            loss = F.cross_entropy(logits, yb, weight=weights) + dice_loss(logits, yb)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            scheduler.step()
        if verbose:
            m = evaluate(net, Xc, Yc)
            print(f"epoch {epoch + 1}: loss {loss.item():.3f}, check mIoU {m['mean_iou']:.3f}", flush=True)
    miou = float(evaluate(net, Xc, Yc)["mean_iou"])
    if miou < 0.87:
        sys.exit(f"{NAME} reached only {miou:.3f} mean IoU on the check scenes; not saved")
    return net.eval()
