"""The exercise checks of 04, 05 and 06, repeated here: each must reject plausible wrong
answers and accept correct variants (rule 5 of docs/writing_notebooks.md). The check
functions below copy the notebooks' check cells; the references are torch, torchvision,
scikit-learn, pycocotools (through torchmetrics), captum and NumPy."""
from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch
import torchvision.ops as ops
from torch import nn

from course_utils import checks, detection, models, segmentation, shapes

captum_attr = pytest.importorskip("captum.attr")


def accepts(run, answer):
    run(answer)


def rejects(run, answer):
    with pytest.raises((AssertionError, RuntimeError, IndexError, ValueError)):
        run(answer)


# ---------------------------------------------------------------- 04 exercise 1
def run_ct_size(fn):
    def measured(n, k, s, p, op):
        return nn.ConvTranspose2d(1, 1, k, stride=s, padding=p, output_padding=op)(torch.zeros(1, 1, n, n)).shape[-1]
    grid = [(n, k, s, p, op) for n in (1, 4, 7) for k in (1, 2, 3, 4) for s in (1, 2, 3)
            for p in (0, 1) for op in (0, 1) if op < s and (n - 1) * s - 2 * p + k + op > 0]
    checks.check_function("conv_transpose_output_size", fn, measured, grid)


CT_RIGHT = [lambda n, k, s=1, p=0, output_padding=0: (n - 1) * s - 2 * p + k + output_padding,
            lambda n, k, s=1, p=0, output_padding=0: s * n - s + k - p - p + output_padding]
CT_WRONG = [lambda n, k, s=1, p=0, output_padding=0: (n - 1) * s - p + k + output_padding,      # one side only
            lambda n, k, s=1, p=0, output_padding=0: n * s - 2 * p + k + output_padding,          # n, not n - 1
            lambda n, k, s=1, p=0, output_padding=0: (n - 1) * s - 2 * p + k,                     # forgets op
            lambda n, k, s=1, p=0, output_padding=0: (n + 2 * p - k) // s + 1]                   # the conv formula


# ---------------------------------------------------------------- 04 exercise 2
def run_iou_cm(fn):
    from sklearn.metrics import jaccard_score
    gen = torch.Generator().manual_seed(0)
    target = torch.randint(0, 4, (2000,), generator=gen)
    pred = torch.where(torch.rand(2000, generator=gen) < 0.6, target, torch.randint(0, 4, (2000,), generator=gen))
    cm = segmentation.confusion_matrix(pred, target, num_classes=4)
    checks.check_close("IoU per class vs sklearn jaccard_score", fn(cm),
                       jaccard_score(target, pred, average=None, labels=[0, 1, 2, 3]))


def _iou(cm):
    cm = cm.double()
    tp = cm.diagonal()
    return tp / (cm.sum(0) + cm.sum(1) - tp)


IOU_RIGHT = [_iou, lambda cm: torch.tensor([cm[c, c].item() / (cm[c].sum() + cm[:, c].sum() - cm[c, c]).item()
                                            for c in range(len(cm))])]
IOU_WRONG = [lambda cm: cm.double().diagonal() / cm.double().sum(1),                    # recall
             lambda cm: cm.double().diagonal() / cm.double().sum(0),                    # precision
             lambda cm: cm.double().diagonal() / (cm.double().sum(0) + cm.double().sum(1)),  # tp counted twice
             lambda cm: 2 * cm.double().diagonal() / (cm.double().sum(0) + cm.double().sum(1))]  # Dice


# ---------------------------------------------------------------- 04 exercise 3
def _measured_rf(dilations):
    layers = [nn.Conv2d(1, 1, 3, padding=d, dilation=d) for d in dilations]
    for layer in layers:
        nn.init.constant_(layer.weight, 1.0)
    x = torch.zeros(1, 1, 64, 64, requires_grad=True)
    nn.Sequential(*layers)(x)[0, 0, 32, 32].backward()
    rows = (x.grad[0, 0] != 0).any(dim=1).nonzero()
    return int(rows.max() - rows.min() + 1)


def run_dilated(fn):
    cases = [((1,),), ((2,),), ((1, 1),), ((1, 2, 4),), ((3, 1, 2),), ((1, 2, 4, 8),)]
    checks.check_function("dilated_receptive_field", fn, _measured_rf, cases)


DIL_RIGHT = [lambda d, k=3: 1 + sum(x * (k - 1) for x in d), lambda d, k=3: 1 + 2 * sum(d)]
DIL_WRONG = [lambda d, k=3: sum(x * (k - 1) for x in d),                # forgets the centre pixel
             lambda d, k=3: 1 + sum(x * k for x in d),                    # k instead of k - 1
             lambda d, k=3: 1 + 2 * len(d),                               # ignores the dilation
             lambda d, k=3: (k - 1) * max(d) + 1]                         # one layer only


# ------------------------------------------- 05 exercises 1-3 (exercise 4: tests/test_detection_metrics.py)
def run_count_anchors(fn):
    def made(image_size, strides, n_scales, n_ratios):
        return sum(len(detection.make_anchors((image_size // s, image_size // s), s, scales=[32.0] * n_scales,
                                              ratios=[1.0] * n_ratios)) for s in strides)
    cases = [(256, (16,), 3, 3), (512, (8, 16, 32, 64, 128), 3, 3), (64, (4, 8), 1, 3), (800, (32,), 5, 3)]
    checks.check_function("count_anchors", fn, made, cases)


ANCHOR_RIGHT = [lambda size, strides, n_scales=3, n_ratios=3:
                sum((size // s) ** 2 for s in strides) * n_scales * n_ratios]
ANCHOR_WRONG = [lambda size, strides, n_scales=3, n_ratios=3: sum(size // s for s in strides) * n_scales * n_ratios,
                lambda size, strides, n_scales=3, n_ratios=3:
                sum((size // s) ** 2 for s in strides) * (n_scales + n_ratios),
                lambda size, strides, n_scales=3, n_ratios=3: (size // min(strides)) ** 2 * n_scales * n_ratios]


def run_iou(fn):
    gen = torch.Generator().manual_seed(0)

    def random_boxes(n):
        xy = torch.rand(n, 2, generator=gen) * 50
        return torch.cat([xy, xy + torch.rand(n, 2, generator=gen) * 30 + 1], dim=1)
    cases = [(random_boxes(n), random_boxes(m)) for n, m in [(1, 1), (5, 3), (20, 30)]]
    checks.check_function("box_iou_by_hand vs torchvision.ops.box_iou", fn, ops.box_iou, cases)


def _box_iou(b1, b2):
    a1 = (b1[:, 2] - b1[:, 0]) * (b1[:, 3] - b1[:, 1])
    a2 = (b2[:, 2] - b2[:, 0]) * (b2[:, 3] - b2[:, 1])
    wh = (torch.min(b1[:, None, 2:], b2[None, :, 2:]) - torch.max(b1[:, None, :2], b2[None, :, :2])).clamp(min=0)
    inter = wh[..., 0] * wh[..., 1]
    return inter / (a1[:, None] + a2[None] - inter)


BOXIOU_RIGHT = [_box_iou, lambda b1, b2: ops.box_iou(b1.double(), b2.double())]
BOXIOU_WRONG = [
    lambda b1, b2: (lambda wh: wh[..., 0] * wh[..., 1])(torch.min(b1[:, None, 2:], b2[None, :, 2:])
                                                          - torch.max(b1[:, None, :2], b2[None, :, :2]))
    / ((b1[:, 2] - b1[:, 0]) * (b1[:, 3] - b1[:, 1]))[:, None],                    # no clamp, / area1
    lambda b1, b2: _box_iou(b1, b2).clamp(max=0.5),
    lambda b1, b2: _box_iou(b2, b1).T if len(b1) == len(b2) else _box_iou(b1, b2) * 0.99,
]


def run_nms(fn):
    gen = torch.Generator().manual_seed(1)

    def random_boxes(n):
        xy = torch.rand(n, 2, generator=gen) * 50
        return torch.cat([xy, xy + torch.rand(n, 2, generator=gen) * 30 + 1], dim=1)
    cases = [(random_boxes(n), torch.rand(n, generator=gen), t) for n in (1, 10, 50, 200) for t in (0.3, 0.5, 0.7)]
    checks.check_function("nms_by_hand vs torchvision.ops.nms (kept indices)", fn, ops.nms, cases, atol=0)


def _nms(boxes, scores, thr, strict=True, resort=True):
    order = scores.argsort(descending=True) if resort else torch.arange(len(scores))
    keep = []
    while len(order) > 0:
        best = order[0]
        keep.append(int(best))
        iou = ops.box_iou(boxes[best][None], boxes[order[1:]])[0]
        order = order[1:][iou <= thr] if strict else order[1:][iou < thr]
    return torch.tensor(keep, dtype=torch.int64)


NMS_RIGHT = [_nms]
NMS_WRONG = [lambda b, s, t: _nms(b, s, t, resort=False),                          # index order, not score order
             lambda b, s, t: _nms(b, s, 1 - t),                                    # threshold the wrong way round
             lambda b, s, t: s.argsort(descending=True)]                           # no suppression


# ---------------------------------------------------------------- 06 exercises
_NET = None


def _net():
    global _NET
    if _NET is None:
        torch.manual_seed(0)
        _NET = models.ShapesGAPNet().eval()
    return _NET


def _pair():
    pair = shapes.make_shapes_scenes(4, seed=2004, min_objects=2, max_objects=2, distinct_classes=True,
                                     radius=(6.0, 10.0))
    return torch.from_numpy(pair.images).permute(0, 3, 1, 2).float() / 255, pair


def run_occlusion(fn):
    net, (X, pair) = _net(), _pair()
    target = int(pair.labels[0][0] - 1)
    mine = fn(net, X[0], target)
    ref = captum_attr.Occlusion(net).attribute(X[:1], sliding_window_shapes=(3, 8, 8), strides=(3, 8, 8),
                                               baselines=0.0, target=target)[0, 0]
    checks.check_close("occlusion loop vs captum Occlusion", mine, ref, atol=1e-4)


def _occ(net, x, target, patch=8, baseline=0.0):
    _, H, W = x.shape
    heat = torch.zeros(H, W)
    with torch.no_grad():
        base = net(x[None])[0, target]
        for i in range(0, H, patch):
            for j in range(0, W, patch):
                occluded = x.clone()
                occluded[:, i:i + patch, j:j + patch] = baseline
                heat[i:i + patch, j:j + patch] = base - net(occluded[None])[0, target]
    return heat


OCC_RIGHT = [_occ]
OCC_WRONG = [lambda net, x, t: -_occ(net, x, t),                                   # rise, not drop
             lambda net, x, t: _occ(net, x, t, baseline=0.5),                      # grey, not the baseline
             lambda net, x, t: _occ(net, x, t).T,                                  # rows and columns swapped
             lambda net, x, t: _occ(net, x, (t + 1) % 3)]                          # another class


def run_guided(fn):
    import copy

    class GuidedReLU(nn.Module):
        class _Fn(torch.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                ctx.save_for_backward(x)
                return x.clamp(min=0)

            @staticmethod
            def backward(ctx, grad_out):
                x, = ctx.saved_tensors
                return fn(x, grad_out)

        def forward(self, x):
            return self._Fn.apply(x)

    net, (X, pair) = _net(), _pair()
    guided_net = copy.deepcopy(net)
    for block in guided_net.features:
        if isinstance(block, nn.Sequential):
            block[2] = GuidedReLU()
    targets = torch.tensor([labels[0] - 1 for labels in pair.labels[:4]])
    x = X.clone().requires_grad_()
    grad, = torch.autograd.grad(guided_net(x).gather(1, targets[:, None]).sum(), x)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        ref = captum_attr.GuidedBackprop(net).attribute(X, target=targets)
    checks.check_close("guided ReLU rule vs captum GuidedBackprop", grad, ref, atol=1e-6)


GUIDED_RIGHT = [lambda x, g: g * (x > 0) * (g > 0), lambda x, g: torch.where((x > 0) & (g > 0), g, torch.zeros_like(g)),
                lambda x, g: g.clamp(min=0) * (x > 0)]
GUIDED_WRONG = [lambda x, g: g * (x > 0),                  # plain backprop
                lambda x, g: g * (g > 0),                  # deconvnet
                lambda x, g: g.abs() * (x > 0)]            # sign lost


def run_cam(fn):
    net, (X, pair) = _net(), _pair()
    with torch.no_grad():
        feats = net.features(models.standardize_per_image(X))
        logits = net(X)
    targets = torch.tensor([labels[0] - 1 for labels in pair.labels[:4]])
    mine = fn(feats, net.fc.weight.detach(), targets)
    checks.check_close("mean of CAM + bias = the class logit", mine.mean(dim=(1, 2)) + net.fc.bias[targets],
                       logits.gather(1, targets[:, None])[:, 0], atol=1e-4)
    no_relu = captum_attr.LayerGradCam(net, net.features).attribute(X, target=targets, relu_attributions=False)[:, 0]
    checks.check_close("CAM by hand / HW vs captum LayerGradCam (no ReLU)", mine / mine[0].numel(), no_relu, atol=1e-6)


CAM_RIGHT = [lambda f, w, t: torch.einsum("nk,nkhw->nhw", w[t], f), lambda f, w, t: (w[t][:, :, None, None] * f).sum(1)]
CAM_WRONG = [lambda f, w, t: torch.relu(torch.einsum("nk,nkhw->nhw", w[t], f)),       # ReLU breaks the identity
             lambda f, w, t: torch.einsum("nk,nkhw->nhw", w[t], f).transpose(1, 2),   # rows and columns swapped
             lambda f, w, t: torch.einsum("nk,nkhw->nhw", w[(t + 1) % 3], f),         # another class
             lambda f, w, t: f.mean(1)]                                               # no weights


def run_pointing(fn):
    gen = torch.Generator().manual_seed(0)
    test_maps = torch.rand(50, 64, 64, generator=gen)
    test_boxes = torch.cat([torch.randint(0, 40, (50, 2), generator=gen),
                            torch.randint(40, 65, (50, 2), generator=gen)], dim=1).float()
    ys, xs = np.unravel_index(test_maps.numpy().reshape(50, -1).argmax(axis=1), (64, 64))
    b = test_boxes.numpy()
    expected = torch.from_numpy((xs >= b[:, 0]) & (xs < b[:, 2]) & (ys >= b[:, 1]) & (ys < b[:, 3]))
    checks.check_equal("pointing_hits vs NumPy argmax", fn(test_maps, test_boxes), expected)


def _hits(maps, boxes, swap=False, inclusive=False):
    flat = maps.flatten(1).argmax(1)
    y, x = flat // maps.shape[-1], flat % maps.shape[-1]
    if swap:
        x, y = y, x
    if inclusive:
        return (x >= boxes[:, 0]) & (x <= boxes[:, 2]) & (y >= boxes[:, 1]) & (y <= boxes[:, 3])
    return (x >= boxes[:, 0]) & (x < boxes[:, 2]) & (y >= boxes[:, 1]) & (y < boxes[:, 3])


POINT_RIGHT = [_hits, lambda m, b: torch.tensor([bool(b[i, 0] <= int(m[i].argmax()) % 64 < b[i, 2]
                                                      and b[i, 1] <= int(m[i].argmax()) // 64 < b[i, 3])
                                                 for i in range(len(m))])]
POINT_WRONG = [lambda m, b: _hits(m, b, swap=True),
               lambda m, b: _hits(-m, b),                                       # minimum, not maximum
               lambda m, b: torch.ones(len(m), dtype=torch.bool)]


CASES = [(run_ct_size, CT_RIGHT, CT_WRONG), (run_iou_cm, IOU_RIGHT, IOU_WRONG), (run_dilated, DIL_RIGHT, DIL_WRONG),
         (run_count_anchors, ANCHOR_RIGHT, ANCHOR_WRONG), (run_iou, BOXIOU_RIGHT, BOXIOU_WRONG),
         (run_nms, NMS_RIGHT, NMS_WRONG), (run_occlusion, OCC_RIGHT, OCC_WRONG),
         (run_guided, GUIDED_RIGHT, GUIDED_WRONG), (run_cam, CAM_RIGHT, CAM_WRONG),
         (run_pointing, POINT_RIGHT, POINT_WRONG)]
RIGHT = [(run, a) for run, right, _ in CASES for a in right]
WRONG = [(run, a) for run, _, wrong in CASES for a in wrong]


@pytest.mark.parametrize("run, answer", RIGHT, ids=[f"{r.__name__}-{i}" for i, (r, _) in enumerate(RIGHT)])
def test_check_accepts_correct_answers(run, answer):
    accepts(run, answer)


@pytest.mark.parametrize("run, answer", WRONG, ids=[f"{r.__name__}-{i}" for i, (r, _) in enumerate(WRONG)])
def test_check_rejects_wrong_answers(run, answer):
    rejects(run, answer)
