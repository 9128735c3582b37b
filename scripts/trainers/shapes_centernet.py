"""shapes_centernet: models.CenterNetLite on 2,000 shapes scenes (seed 1) for 05_object_detection.

CenterNet targets and losses from course_utils.centernet, flips, Adam with a one-cycle
schedule; a few minutes on one CPU thread. The notebook evaluates it on scenes from
seed 2024, which this script never uses (it checks itself on seed 11).
"""
import sys

import torch

from course_utils import centernet, core, detection, models, shapes

NAME = "shapes_centernet"
TRAIN_SEED, CHECK_SEED = 1, 11
NUM_EPOCHS, BATCH_SIZE, LR = 10, 32, 3e-3
SIZE = 64


def scenes_as_tensors(n: int, seed: int):
    s = shapes.make_shapes_scenes(n, seed=seed, size=SIZE)
    X = torch.from_numpy(s.images).permute(0, 3, 1, 2).float() / 255
    targets = [{"boxes": torch.from_numpy(b), "labels": torch.from_numpy(lab)}
               for b, lab in zip(s.boxes, s.labels)]
    return X, targets


def flip_targets(targets, horizontal: bool):
    out = []
    for t in targets:
        b = t["boxes"].clone()
        i, j = (0, 2) if horizontal else (1, 3)
        b[:, i], b[:, j] = SIZE - t["boxes"][:, j], SIZE - t["boxes"][:, i]
        out.append({"boxes": b, "labels": t["labels"]})
    return out


def evaluate(net, X, targets) -> float:
    net.eval()
    with torch.no_grad():
        preds = [p for k in range(0, len(X), 100) for p in centernet.decode(net(X[k:k + 100]))]
    return float(detection.mean_average_precision(preds, targets, 0.5)["map"])


def train_model(num_epochs: int = NUM_EPOCHS, verbose: bool = True) -> torch.nn.Module:
    core.seed_everything(0)
    X, targets = scenes_as_tensors(2000, TRAIN_SEED)
    Xc, targets_c = scenes_as_tensors(300, CHECK_SEED)
    net = models.CenterNetLite()
    steps = num_epochs * (len(X) // BATCH_SIZE)
    optimizer = torch.optim.Adam(net.parameters(), lr=LR)
    scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=LR, total_steps=steps)
    gen = torch.Generator().manual_seed(0)
    for epoch in range(num_epochs):
        net.train()
        order = torch.randperm(len(X), generator=gen)
        for k in range(0, len(X) - BATCH_SIZE + 1, BATCH_SIZE):
            idx = order[k:k + BATCH_SIZE]
            xb, tb = X[idx], [targets[i] for i in idx.tolist()]
            if torch.rand(1, generator=gen) < 0.5:
                xb, tb = xb.flip(-1), flip_targets(tb, horizontal=True)
            if torch.rand(1, generator=gen) < 0.5:
                xb, tb = xb.flip(-2), flip_targets(tb, horizontal=False)
            enc = centernet.encode_batch(tb, 3, (SIZE, SIZE), net.stride)
            loss = centernet.centernet_loss(net(xb), enc)["total"]
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            scheduler.step()
        if verbose:
            print(f"epoch {epoch + 1}: loss {loss.item():.3f}, check mAP@0.5 "
                  f"{evaluate(net, Xc, targets_c):.3f}", flush=True)
    ap = evaluate(net, Xc, targets_c)
    if ap < 0.88:
        sys.exit(f"{NAME} reached only {ap:.3f} mAP@0.5 on the check scenes; not saved")
    return net.eval()
