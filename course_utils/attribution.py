"""Pixel attribution maps of a CNN classifier: gradients, guided backprop, occlusion, pointing game.

Every method answers "which pixels made the model predict class c?" for a batch ``x`` of
shape ``(N, C, H, W)`` and returns ``Tensor[N, H, W]`` maps (in ``[0, 1]`` when
normalized)::

    sal = attribution.saliency(net, X)                  # targets=None: the predicted class
    occ = attribution.occlusion(net, X, y, use_probs=False)
    hits = attribution.pointing_game(sal, boxes)        # BoolTensor[N]

The class-activation-map family (CAM, Grad-CAM, Grad-CAM++) lives in ``course_utils.cam``
and shares the input checks of this module. Models run in eval mode (their modes are
restored afterwards) and gradients come from ``torch.autograd.grad``, so no ``.grad`` is
left on parameters. The names are also reachable as ``cam.saliency`` etc.

Introduced in 06_cnn_visualization.
"""
from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext

import torch
from torch import Tensor, nn

Targets = Sequence[int] | Tensor | None


def _check_input(x: Tensor, name: str = "x") -> None:
    if not isinstance(x, Tensor):
        raise TypeError(f"{name}: expected a Tensor batch (N, C, H, W), got {type(x).__name__}")
    if x.ndim != 4:
        raise ValueError(f"{name}: expected a batch of shape (N, C, H, W), got shape "
                         f"{tuple(x.shape)}; for one image use x[None] or x.unsqueeze(0)")
    if not x.is_floating_point():
        raise ValueError(f"{name}: expected a floating-point batch, got dtype {x.dtype}")


def _target_indices(logits: Tensor, targets: Targets) -> Tensor:
    """Class indices ``LongTensor[N]``: ``targets`` checked, or the argmax of ``logits``.

    Floats are refused rather than truncated: ``probs.max(1).values`` (scores in [0, 1])
    would otherwise become class 0 for every image.
    """
    if logits.ndim != 2:
        raise ValueError(f"the model must return logits (N, num_classes), got shape "
                         f"{tuple(logits.shape)}")
    n, num_classes = logits.shape
    if targets is None:
        return logits.argmax(1)
    t = torch.as_tensor(targets, device=logits.device)
    if t.dtype == torch.bool or t.is_floating_point() or t.is_complex():
        raise TypeError(f"targets: expected integer class indices (one per image, e.g. "
                        f"probs.argmax(1) or probs.max(1).indices), got dtype {t.dtype} "
                        f"with values {t.flatten()[:4].tolist()}")
    t = t.long().flatten()
    if t.numel() != n:
        raise ValueError(f"targets: expected one target class per image ({n}), got {t.numel()}")
    if ((t < 0) | (t >= num_classes)).any():
        raise ValueError(f"targets: class indices must be in [0, {num_classes}), got {t.tolist()}")
    return t


@contextmanager
def _eval_mode(model: nn.Module) -> Iterator[None]:
    """Run ``model`` in eval mode, then restore every submodule's own ``training`` flag."""
    modes = {m: m.training for m in model.modules()}
    model.eval()
    try:
        yield
    finally:
        for m, mode in modes.items():
            m.training = mode


def normalize_maps(maps: Tensor) -> Tensor:
    """Min-max scale each map of ``maps`` (Tensor[N, H, W]) to ``[0, 1]``; constant maps give 0.

    One map (H, W) must be passed as ``maps[None]``: it is refused, not broadcast.
    Introduced in 06_cnn_visualization.
    """
    if not isinstance(maps, Tensor):
        raise TypeError(f"maps: expected a Tensor (N, H, W), got {type(maps).__name__}")
    if maps.ndim != 3:
        raise ValueError(f"maps: expected shape (N, H, W), got {tuple(maps.shape)}; "
                         f"for one (H, W) map use maps[None]")
    if not maps.is_floating_point():
        maps = maps.float()
    lo = maps.flatten(1).min(1).values[:, None, None]
    hi = maps.flatten(1).max(1).values[:, None, None]
    return ((maps - lo) / (hi - lo).clamp_min(1e-12)).clamp(0, 1)


def guided_relus(model: nn.Module) -> AbstractContextManager[nn.Module]:
    """Inside the block, every ``nn.ReLU`` of ``model`` passes back only positive gradients.

    ``with guided_relus(net): ...``. Guided backpropagation: a forward hook on each ReLU
    clamps the gradient arriving at its output to ``>= 0``; the ReLU's own backward then
    zeroes it where the input was <= 0. Hooking the output tensor works with
    ``ReLU(inplace=True)`` unchanged; the hooks are removed on exit, also after an
    exception. ``F.relu`` calls are not seen. Introduced in 06_cnn_visualization.
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"model: expected an nn.Module, got {type(model).__name__}")
    return _guided_relus(model)


@contextmanager
def _guided_relus(model: nn.Module) -> Iterator[nn.Module]:
    def hook(module: nn.Module, inputs: tuple, output: Tensor) -> None:
        if output.requires_grad:
            output.register_hook(lambda grad: grad.clamp(min=0))

    handles = [m.register_forward_hook(hook) for m in model.modules() if isinstance(m, nn.ReLU)]
    try:
        yield model
    finally:
        for h in handles:
            h.remove()


def input_gradients(model: nn.Module, x: Tensor, targets: Targets = None,
                    guided: bool = False) -> Tensor:
    """Gradient of each image's target logit w.r.t. the image, Tensor[N, C, H, W].

    ``targets``: one integer class per image, or ``None`` for the predicted class.
    ``guided=True`` runs the backward pass through ``guided_relus``.
    Introduced in 06_cnn_visualization.
    """
    _check_input(x)
    x = x.detach().clone().requires_grad_(True)
    with _eval_mode(model), torch.enable_grad(), guided_relus(model) if guided else nullcontext():
        logits = model(x)
        t = _target_indices(logits, targets)
        return torch.autograd.grad(logits.gather(1, t[:, None]).sum(), x)[0]


def saliency(model: nn.Module, x: Tensor, targets: Targets = None, normalize: bool = True) -> Tensor:
    """Vanilla gradient saliency ``max_c |dY/dx_c|``, Tensor[N, H, W] (Simonyan et al. 2014).

    In ``[0, 1]`` per image when ``normalize``, else raw (>= 0).
    Introduced in 06_cnn_visualization.
    """
    maps = input_gradients(model, x, targets).abs().amax(1)
    return normalize_maps(maps) if normalize else maps


def guided_backprop(model: nn.Module, x: Tensor, targets: Targets = None,
                    normalize: bool = True) -> Tensor:
    """Guided backpropagation map ``max_c |guided dY/dx_c|``, Tensor[N, H, W].

    In ``[0, 1]`` per image when ``normalize``, else raw (>= 0). For the signed
    gradient image use ``input_gradients(..., guided=True)``.
    Introduced in 06_cnn_visualization.
    """
    maps = input_gradients(model, x, targets, guided=True).abs().amax(1)
    return normalize_maps(maps) if normalize else maps


def _occlusion_masks(size: tuple[int, int], patch_size: int, stride: int) -> Tensor:
    """Bool Tensor[P, H, W], one square patch per window; windows start at 0, stride,
    ... and the last one in each direction is cropped at the border (as in captum)."""
    h, w = size
    rows = range(0, h - patch_size + stride, stride)
    cols = range(0, w - patch_size + stride, stride)
    masks = torch.zeros(len(rows) * len(cols), h, w, dtype=torch.bool)
    for i, (r, c) in enumerate((r, c) for r in rows for c in cols):
        masks[i, r:r + patch_size, c:c + patch_size] = True
    return masks


def occlusion(model: nn.Module, x: Tensor, targets: Targets = None, patch_size: int = 8,
              stride: int = 4, baseline: float = 0.0, use_probs: bool = False,
              normalize: bool = True, batch_size: int = 256) -> Tensor:
    """Occlusion sensitivity (Zeiler & Fergus 2014), Tensor[N, H, W].

    A ``patch_size`` square filled with ``baseline`` slides over each image with
    ``stride`` (at most ``patch_size``, so that every pixel is covered); each pixel gets
    the mean, over the windows covering it, of the drop in the target's logit (default)
    or, with ``use_probs=True``, its softmax probability (single-label models only: for
    a multi-label model the classes do not compete). Raw drops can be negative;
    ``normalize`` min-max scales each map to ``[0, 1]``. Occluded copies run
    ``batch_size`` at a time. Matches ``captum.attr.Occlusion`` with window
    ``(C, patch_size, patch_size)`` and strides ``(C, stride, stride)``.
    Introduced in 06_cnn_visualization.
    """
    _check_input(x)
    n, c, h, w = x.shape
    if not 1 <= patch_size <= min(h, w):
        raise ValueError(f"patch_size: need 1 <= patch_size <= min(H, W) = {min(h, w)}, "
                         f"got {patch_size}")
    if not 1 <= stride <= patch_size:
        raise ValueError(f"stride: need 1 <= stride <= patch_size = {patch_size} (a larger "
                         f"stride leaves pixels that no window covers), got {stride}")
    if batch_size < 1:
        raise ValueError(f"batch_size: expected a positive int, got {batch_size}")
    masks = _occlusion_masks((h, w), patch_size, stride).to(x.device)  # (P, H, W)
    score = (lambda z: z.softmax(1)) if use_probs else (lambda z: z)
    with _eval_mode(model), torch.no_grad():
        logits = model(x)
        t = _target_indices(logits, targets)
        base = score(logits).gather(1, t[:, None])  # (N, 1)
        drop_chunks = []
        for chunk in masks.split(max(1, batch_size // n)):  # (p, H, W)
            m = chunk[None, :, None]  # (1, p, 1, H, W)
            occluded = torch.where(m, baseline, x[:, None])  # (N, p, C, H, W)
            out = score(model(occluded.flatten(0, 1))).view(n, len(chunk), -1)
            drop_chunks.append(base - out.gather(2, t[:, None, None].expand(n, len(chunk), 1))[..., 0])
        drops = torch.cat(drop_chunks, 1)  # (N, P)
        maps = torch.einsum("np,phw->nhw", drops, masks.to(x.dtype)) / masks.sum(0)
    return normalize_maps(maps) if normalize else maps


def map_peaks(maps: Tensor) -> Tensor:
    """Pixel of each map's maximum as ``(x, y)``, LongTensor[N, 2], for maps Tensor[N, H, W].

    Ties go to the first maximum in row-major order (``argmax``). The point that the
    pointing game scores. Introduced in 06_cnn_visualization.
    """
    if not isinstance(maps, Tensor) or maps.ndim != 3:
        raise ValueError(f"maps: expected shape (N, H, W), got "
                         f"{tuple(maps.shape) if isinstance(maps, Tensor) else type(maps).__name__}")
    flat = maps.flatten(1).argmax(1)
    return torch.stack([flat % maps.shape[-1], flat // maps.shape[-1]], dim=1)


def points_in_boxes(points: Tensor, boxes: Tensor) -> Tensor:
    """Whether point ``i`` lies in box ``i``: BoolTensor[N].

    ``points``: Tensor[N, 2] pixel ``(x, y)``; ``boxes``: Tensor[N, 4] ``(x1, y1, x2, y2)``
    with ``x2, y2`` exclusive, as in ``shapes.ShapesScenes.boxes``. Introduced in
    06_cnn_visualization.
    """
    points, boxes = torch.as_tensor(points), torch.as_tensor(boxes)
    if points.ndim != 2 or points.shape[1] != 2:
        raise ValueError(f"points: expected shape (N, 2) of pixel (x, y), got {tuple(points.shape)}")
    if boxes.shape != (len(points), 4):
        raise ValueError(f"boxes: expected shape ({len(points)}, 4), one xyxy box per point, "
                         f"got {tuple(boxes.shape)}")
    x, y = points[:, 0], points[:, 1]
    return (x >= boxes[:, 0]) & (x < boxes[:, 2]) & (y >= boxes[:, 1]) & (y < boxes[:, 3])


def pointing_game(maps: Tensor, boxes: Tensor) -> Tensor:
    """Pointing-game hits (Zhang et al. 2016), BoolTensor[N]: the maximum of map ``i``
    (Tensor[N, H, W]) falls inside box ``i`` (Tensor[N, 4], xyxy, x2/y2 exclusive).

    The hit rate is ``pointing_game(maps, boxes).float().mean()``. No tolerance margin
    (Zhang et al. allow 15 px on large images; the course's 64 px scenes use none): the
    point must be inside the box itself. Introduced in 06_cnn_visualization.
    """
    return points_in_boxes(map_peaks(maps), boxes)
