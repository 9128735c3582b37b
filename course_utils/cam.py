"""Class activation maps and other explanations of a CNN classifier's prediction.

Every method answers "which pixels made the model predict class c?" for a batch
``x`` of shape ``(N, C, H, W)`` and returns ``Tensor[N, H, W]`` maps in ``[0, 1]``::

    with cam.GradCAM(net, "features") as grad_cam:
        maps = grad_cam(X, targets=y)          # (N, H, W), 1 = most important
    sal = cam.saliency(net, X)                 # targets=None: the predicted class

The CAM family (``CAM``, ``GradCAM``, ``GradCAMPlusPlus``) share ``BaseCAM``, which
owns the hook, the upsampling and the normalization; each method overrides only
``cam_image``. The models are run in eval mode (their modes are restored afterwards)
and gradients come from ``torch.autograd.grad``, so no ``.grad`` is left on parameters.
Drawing the maps over images belongs in ``viz``.

Introduced in 06_cnn_visualization.
"""
from __future__ import annotations

import difflib
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, nullcontext

import torch
import torch.nn.functional as F
from torch import Tensor, nn

Targets = Sequence[int] | Tensor | None


def get_layer(model: nn.Module, name: str) -> nn.Module:
    """The submodule of ``model`` called ``name`` in ``model.named_modules()``.

    ``name`` is dotted, e.g. ``"features"`` or ``"layer4.1.conv2"``. A missing name
    raises ``ValueError`` listing close matches and a few valid names.
    Introduced in 06_cnn_visualization.
    """
    modules = dict(model.named_modules())
    if name in modules and name != "":
        return modules[name]
    names = [n for n in modules if n]
    close = difflib.get_close_matches(name, names, n=3)
    hint = f" Did you mean {close}?" if close else ""
    raise ValueError(f"no layer named {name!r} in {type(model).__name__}.{hint} Valid names "
                     f"include {names[:8]}{' ...' if len(names) > 8 else ''} "
                     f"(see model.named_modules())")


def _check_input(x: Tensor) -> None:
    if not isinstance(x, Tensor):
        raise TypeError(f"expected a Tensor batch (N, C, H, W), got {type(x).__name__}")
    if x.ndim != 4:
        raise ValueError(f"expected a batch of shape (N, C, H, W), got shape {tuple(x.shape)}; "
                         f"for one image use x[None] or x.unsqueeze(0)")
    if not x.is_floating_point():
        raise ValueError(f"expected a floating-point batch, got dtype {x.dtype}")


def _target_indices(logits: Tensor, targets: Targets) -> Tensor:
    """Class indices ``LongTensor[N]``: ``targets`` checked, or the argmax of ``logits``."""
    if logits.ndim != 2:
        raise ValueError(f"the model must return logits (N, num_classes), got shape "
                         f"{tuple(logits.shape)}")
    n, num_classes = logits.shape
    if targets is None:
        return logits.argmax(1)
    t = torch.as_tensor(targets, dtype=torch.long, device=logits.device).flatten()
    if t.numel() != n:
        raise ValueError(f"expected one target class per image ({n}), got {t.numel()}")
    if ((t < 0) | (t >= num_classes)).any():
        raise ValueError(f"target classes must be in [0, {num_classes}), got {t.tolist()}")
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

    Introduced in 06_cnn_visualization.
    """
    lo = maps.flatten(1).min(1).values[:, None, None]
    hi = maps.flatten(1).max(1).values[:, None, None]
    return ((maps - lo) / (hi - lo).clamp_min(1e-12)).clamp(0, 1)


def _upsample(maps: Tensor, size: Sequence[int]) -> Tensor:
    """Bilinear resize of Tensor[N, h, w] to Tensor[N, *size]."""
    return F.interpolate(maps[:, None], size=tuple(size), mode="bilinear", align_corners=False)[:, 0]


class ActivationsAndGradients:
    """Forward hook on ``layer`` that keeps its output for a later ``torch.autograd.grad``.

    ``activations`` is the layer's last output ``Tensor[N, K, h, w]``; ``gradients(score)``
    returns ``d score / d activations`` with the same shape. The hook hands a clone of the
    output to the rest of the network, so a following ``ReLU(inplace=True)`` cannot
    overwrite the stored activations. Use as a context manager or call ``release()``.
    Introduced in 06_cnn_visualization.
    """

    def __init__(self, layer: nn.Module):
        self.activations: Tensor | None = None
        self._handle = layer.register_forward_hook(self._save)

    def _save(self, module: nn.Module, inputs: tuple, output: Tensor) -> Tensor:
        if not isinstance(output, Tensor):
            raise ValueError(f"the target layer must output a Tensor, got {type(output).__name__}")
        # a frozen backbone gives outputs without a graph: start one here
        self.activations = output if output.requires_grad else output.detach().requires_grad_()
        return self.activations.clone()

    def gradients(self, score: Tensor) -> Tensor:
        """``d score / d activations``, Tensor[N, K, h, w]; ``score`` is a scalar."""
        return torch.autograd.grad(score, self.activations)[0]

    def release(self) -> None:
        """Remove the hook and drop the stored tensors."""
        self._handle.remove()
        self.activations = None

    def __enter__(self) -> ActivationsAndGradients:
        return self

    def __exit__(self, *exc) -> None:
        self.release()


class BaseCAM:
    """Class activation maps from the activations ``A`` of one layer, ``target_layer``.

    ``cam(x, targets)`` maps ``x`` (Tensor[N, C, H, W]) to Tensor[N, H, W] in ``[0, 1]``:
    the raw map of ``cam_image`` (Tensor[N, h, w] at the layer's resolution), upsampled
    bilinearly and min-max normalized per image. ``targets``: one class index per image,
    or ``None`` for the predicted class. The score differentiated is the target's logit.
    As a context manager the hook stays for several calls; otherwise each call adds and
    removes it. Subclasses override ``cam_image``.
    Introduced in 06_cnn_visualization.
    """

    needs_gradients = True

    def __init__(self, model: nn.Module, target_layer: str):
        self.model = model
        self.target_layer = get_layer(model, target_layer)
        self.layer_name = target_layer
        self._hooks: ActivationsAndGradients | None = None

    def __enter__(self) -> BaseCAM:
        self._hooks = ActivationsAndGradients(self.target_layer)
        return self

    def __exit__(self, *exc) -> None:
        if self._hooks is not None:
            self._hooks.release()
            self._hooks = None

    @contextmanager
    def _session(self) -> Iterator[ActivationsAndGradients]:
        if self._hooks is not None:
            yield self._hooks
        else:
            with ActivationsAndGradients(self.target_layer) as hooks:
                yield hooks

    def activations_and_gradients(self, x: Tensor, targets: Targets = None
                                  ) -> tuple[Tensor, Tensor | None, Tensor]:
        """``(A, dY_c/dA, c)``: Tensor[N, K, h, w] twice (gradients ``None`` when the
        method needs none) and the target classes LongTensor[N]."""
        _check_input(x)
        with self._session() as hooks, _eval_mode(self.model), torch.enable_grad():
            hooks.activations = None
            logits = self.model(x)
            if hooks.activations is None:
                raise ValueError(f"layer {self.layer_name!r} was not called by the model's forward")
            acts = hooks.activations
            if acts.ndim != 4:
                raise ValueError(f"layer {self.layer_name!r} must output (N, K, h, w), got shape "
                                 f"{tuple(acts.shape)}")
            t = _target_indices(logits, targets)
            grads = None
            if self.needs_gradients:
                grads = hooks.gradients(logits.gather(1, t[:, None]).sum())
            return acts.detach(), grads, t

    def cam_image(self, activations: Tensor, grads: Tensor | None, targets: Tensor) -> Tensor:
        """Raw map Tensor[N, h, w] from ``activations`` and ``grads`` (Tensor[N, K, h, w])."""
        raise NotImplementedError

    def raw(self, x: Tensor, targets: Targets = None) -> Tensor:
        """Unnormalized map Tensor[N, h, w] at the target layer's resolution."""
        return self.cam_image(*self.activations_and_gradients(x, targets)).detach()

    def __call__(self, x: Tensor, targets: Targets = None) -> Tensor:
        """Maps Tensor[N, H, W] in ``[0, 1]`` for ``x`` (Tensor[N, C, H, W])."""
        return normalize_maps(_upsample(self.raw(x, targets), x.shape[-2:]))


class CAM(BaseCAM):
    """CAM (Zhou et al. 2016): ``CAM_c = sum_k w_ck A_k`` (no ReLU in the raw map).

    Needs a global-average-pooling + ``Linear`` head on top of ``target_layer``: ``w`` is
    the weight of the ``nn.Linear`` called ``fc_layer`` (default: the model's last
    ``nn.Linear``), whose ``in_features`` must equal the layer's channel count K.
    Introduced in 06_cnn_visualization.
    """

    needs_gradients = False

    def __init__(self, model: nn.Module, target_layer: str, fc_layer: str | None = None):
        super().__init__(model, target_layer)
        if fc_layer is not None:
            self.fc = get_layer(model, fc_layer)
        else:
            linears = [m for m in model.modules() if isinstance(m, nn.Linear)]
            if not linears:
                raise ValueError(f"CAM needs a GAP + nn.Linear head, but {type(model).__name__} "
                                 f"has no nn.Linear; use GradCAM instead")
            self.fc = linears[-1]
        if not isinstance(self.fc, nn.Linear):
            raise ValueError(f"fc_layer {fc_layer!r} must be an nn.Linear, got {type(self.fc).__name__}")

    def cam_image(self, activations: Tensor, grads: Tensor | None, targets: Tensor) -> Tensor:
        k = activations.shape[1]
        if self.fc.in_features != k:
            raise ValueError(f"CAM needs a GAP + Linear head over {self.layer_name!r}: its "
                             f"{k} channels should feed the Linear layer, but that layer has "
                             f"in_features={self.fc.in_features}; use GradCAM instead")
        weights = self.fc.weight[targets].detach()  # (N, K)
        return torch.einsum("nk,nkhw->nhw", weights, activations)


class GradCAM(BaseCAM):
    """Grad-CAM (Selvaraju et al. 2017): ``ReLU(sum_k alpha_k A_k)``, ``alpha_k`` the
    spatial mean of ``dY_c/dA_k``. Works for any layer with (N, K, h, w) output.
    Introduced in 06_cnn_visualization.
    """

    def cam_image(self, activations: Tensor, grads: Tensor | None, targets: Tensor) -> Tensor:
        alpha = grads.mean(dim=(2, 3), keepdim=True)  # (N, K, 1, 1)
        return F.relu((alpha * activations).sum(1))


class GradCAMPlusPlus(BaseCAM):
    """Grad-CAM++ (Chattopadhay et al. 2018), with the exp-score closed form that
    pytorch-grad-cam uses: ``a = g^2 / (2 g^2 + sum_ij(A) g^3)``, ``alpha_k =
    sum_ij a ReLU(g)``, map ``ReLU(sum_k alpha_k A_k)``; ``g = dY_c/dA``.
    Introduced in 06_cnn_visualization.
    """

    def cam_image(self, activations: Tensor, grads: Tensor | None, targets: Tensor) -> Tensor:
        g2, g3 = grads ** 2, grads ** 3
        sum_a = activations.sum(dim=(2, 3), keepdim=True)
        a = torch.where(grads != 0, g2 / (2 * g2 + sum_a * g3 + 1e-7), torch.zeros_like(grads))
        alpha = (a * F.relu(grads)).sum(dim=(2, 3), keepdim=True)
        return F.relu((alpha * activations).sum(1))


def cam_and_gradcam(model: nn.Module, x: Tensor, target_layer: str, targets: Targets = None,
                    fc_layer: str | None = None) -> tuple[Tensor, Tensor]:
    """Raw CAM and Grad-CAM, both Tensor[N, h, w] at ``target_layer``'s resolution.

    Unnormalized and not upsampled, from one forward and backward pass. With a GAP +
    Linear head right after ``target_layer``, ``dY_c/dA_k = w_ck / (h w)`` everywhere,
    so ``gradcam == relu(cam) / (h * w)``.
    Introduced in 06_cnn_visualization.
    """
    cam, grad_cam = CAM(model, target_layer, fc_layer), GradCAM(model, target_layer)
    acts, grads, t = grad_cam.activations_and_gradients(x, targets)
    return cam.cam_image(acts, grads, t), grad_cam.cam_image(acts, grads, t)


@contextmanager
def guided_relus(model: nn.Module) -> Iterator[nn.Module]:
    """Inside the block, every ``nn.ReLU`` of ``model`` passes back only positive gradients.

    Guided backpropagation: a forward hook on each ReLU clamps the gradient arriving at
    its output to ``>= 0``; the ReLU's own backward then zeroes it where the input was
    <= 0. Hooking the output tensor works with ``ReLU(inplace=True)`` unchanged; the
    hooks are removed on exit, also after an exception. ``F.relu`` calls are not seen.
    Introduced in 06_cnn_visualization.
    """
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
              stride: int = 4, baseline: float = 0.0, use_probs: bool = True,
              normalize: bool = True, batch_size: int = 256) -> Tensor:
    """Occlusion sensitivity (Zeiler & Fergus 2014), Tensor[N, H, W].

    A ``patch_size`` square filled with ``baseline`` slides over each image with
    ``stride``; each pixel gets the mean, over the windows covering it, of the drop in
    the target's softmax probability (``use_probs``) or logit. Raw drops can be
    negative; ``normalize`` min-max scales each map to ``[0, 1]``. Occluded copies run
    ``batch_size`` at a time. Matches ``captum.attr.Occlusion`` with window
    ``(C, patch_size, patch_size)`` and strides ``(C, stride, stride)``.
    Introduced in 06_cnn_visualization.
    """
    _check_input(x)
    n, c, h, w = x.shape
    if not 1 <= patch_size <= min(h, w) or stride < 1:
        raise ValueError(f"need 1 <= patch_size <= min(H, W) = {min(h, w)} and stride >= 1, "
                         f"got patch_size={patch_size}, stride={stride}")
    masks = _occlusion_masks((h, w), patch_size, stride).to(x.device)  # (P, H, W)
    score = (lambda z: z.softmax(1)) if use_probs else (lambda z: z)
    with _eval_mode(model), torch.no_grad():
        logits = model(x)
        t = _target_indices(logits, targets)
        base = score(logits).gather(1, t[:, None])  # (N, 1)
        drops = []
        for chunk in masks.split(max(1, batch_size // n)):  # (p, H, W)
            m = chunk[None, :, None]  # (1, p, 1, H, W)
            occluded = torch.where(m, baseline, x[:, None])  # (N, p, C, H, W)
            out = score(model(occluded.flatten(0, 1))).view(n, len(chunk), -1)
            drops.append(base - out.gather(2, t[:, None, None].expand(n, len(chunk), 1))[..., 0])
        drops = torch.cat(drops, 1)  # (N, P)
        maps = torch.einsum("np,phw->nhw", drops, masks.to(x.dtype)) / masks.sum(0)
    return normalize_maps(maps) if normalize else maps


def map_peaks(maps: Tensor) -> Tensor:
    """Pixel of each map's maximum as ``(x, y)``, LongTensor[N, 2], for maps Tensor[N, H, W].

    Ties go to the first maximum in row-major order (``argmax``). The point that the
    pointing game scores. Introduced in 06_cnn_visualization.
    """
    if not isinstance(maps, Tensor) or maps.ndim != 3:
        raise ValueError(f"expected maps of shape (N, H, W), got "
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
    if points.ndim != 2 or points.shape[1] != 2 or boxes.shape != (len(points), 4):
        raise ValueError(f"expected points (N, 2) and boxes (N, 4) for the same N, got "
                         f"{tuple(points.shape)} and {tuple(boxes.shape)}")
    x, y = points[:, 0], points[:, 1]
    return (x >= boxes[:, 0]) & (x < boxes[:, 2]) & (y >= boxes[:, 1]) & (y < boxes[:, 3])


def pointing_game(maps: Tensor, boxes: Tensor) -> Tensor:
    """Pointing-game hits (Zhang et al. 2016), BoolTensor[N]: the maximum of map ``i``
    (Tensor[N, H, W]) falls inside box ``i`` (Tensor[N, 4], xyxy, x2/y2 exclusive).

    The hit rate is ``pointing_game(maps, boxes).float().mean()``. No tolerance margin:
    the point must be inside the box itself. Introduced in 06_cnn_visualization.
    """
    return points_in_boxes(map_peaks(maps), boxes)
