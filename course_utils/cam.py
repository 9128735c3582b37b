"""Class activation maps (CAM, Grad-CAM, Grad-CAM++) of a CNN classifier's prediction.

Every method answers "which pixels made the model predict class c?" for a batch
``x`` of shape ``(N, C, H, W)`` and returns ``Tensor[N, H, W]`` maps in ``[0, 1]``::

    with cam.GradCAM(net, "features") as grad_cam:
        maps = grad_cam(X, targets=y)          # (N, H, W), 1 = most important

The CAM family (``CAM``, ``GradCAM``, ``GradCAMPlusPlus``) share ``BaseCAM``, which
owns the hook, the upsampling and the normalization; each method overrides only
``cam_image``. Pixel methods (gradient saliency, guided backpropagation, occlusion) and
the pointing game live in ``course_utils.attribution``; they are also reachable here
(``cam.saliency``, ``cam.occlusion``, ``cam.pointing_game``, ...). The models are run in
eval mode (their modes are restored afterwards) and gradients come from
``torch.autograd.grad``, so no ``.grad`` is left on parameters. Drawing the maps over
images belongs in ``viz``.

Introduced in 06_cnn_visualization.
"""
from __future__ import annotations

import difflib
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from . import attribution
from .attribution import Targets, _check_input, _eval_mode, _target_indices, normalize_maps

#: names that moved to ``course_utils.attribution``, still reachable as ``cam.<name>``
_ATTRIBUTION_NAMES = ("guided_relus", "input_gradients", "saliency", "guided_backprop",
                      "occlusion", "map_peaks", "points_in_boxes", "pointing_game")


def __getattr__(name: str) -> Any:
    if name in _ATTRIBUTION_NAMES:
        return getattr(attribution, name)
    raise AttributeError(f"module 'course_utils.cam' has no attribute {name!r}")


def get_layer(model: nn.Module, name: str) -> nn.Module:
    """The submodule of ``model`` called ``name`` in ``model.named_modules()``.

    ``name`` is dotted, e.g. ``"features"`` or ``"layer4.1.conv2"``. A missing name
    raises ``ValueError`` listing close matches and a few valid names.
    Introduced in 06_cnn_visualization.
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"model: expected an nn.Module, got {type(model).__name__}")
    if not isinstance(name, str):
        raise TypeError(f"name: expected a dotted layer name (str), got {type(name).__name__}")
    modules = dict(model.named_modules())
    if name in modules and name != "":
        return modules[name]
    names = [n for n in modules if n]
    close = difflib.get_close_matches(name, names, n=3)
    hint = f" Did you mean {close}?" if close else ""
    raise ValueError(f"name: no layer named {name!r} in {type(model).__name__}.{hint} Valid names "
                     f"include {names[:8]}{' ...' if len(names) > 8 else ''} "
                     f"(see model.named_modules())")


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
        if not isinstance(layer, nn.Module):
            raise TypeError(f"layer: expected an nn.Module to hook, got {type(layer).__name__}")
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
        if self.activations is None:
            raise RuntimeError("no activations stored: run the model's forward first")
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
        if not isinstance(target_layer, str):
            raise TypeError(f"target_layer: expected a layer name such as 'features', got "
                            f"{type(target_layer).__name__}")
        try:
            layer = get_layer(model, target_layer)
        except ValueError as err:
            raise ValueError(f"target_layer: {err}") from None
        self.model = model
        self.target_layer = layer
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
        fc_weight: Tensor = self.fc.weight  # type: ignore[assignment]
        weights = fc_weight[targets].detach()  # (N, K)
        return torch.einsum("nk,nkhw->nhw", weights, activations)


class GradCAM(BaseCAM):
    """Grad-CAM (Selvaraju et al. 2017): ``ReLU(sum_k alpha_k A_k)``, ``alpha_k`` the
    spatial mean of ``dY_c/dA_k``. Works for any layer with (N, K, h, w) output.
    Introduced in 06_cnn_visualization.
    """

    def cam_image(self, activations: Tensor, grads: Tensor | None, targets: Tensor) -> Tensor:
        if grads is None:
            raise ValueError("grads: Grad-CAM needs the gradients of the target layer, got None")
        alpha = grads.mean(dim=(2, 3), keepdim=True)  # (N, K, 1, 1)
        return F.relu((alpha * activations).sum(1))


class GradCAMPlusPlus(BaseCAM):
    """Grad-CAM++ (Chattopadhay et al. 2018), with the exp-score closed form (their eq. 19)
    that pytorch-grad-cam's ``GradCAMPlusPlus`` uses, including its ``eps = 1e-6``::

        a = g^2 / (2 g^2 + sum_ij(A) g^3 + eps),  a = 0 where g == 0
        alpha_k = sum_ij a ReLU(g),  map = ReLU(sum_k alpha_k A_k),  g = dY_c/dA

    ``tests/test_cam.py`` compares it with a NumPy transcription of pytorch-grad-cam's
    ``get_cam_weights`` (pytorch-grad-cam is not a course dependency).
    Introduced in 06_cnn_visualization.
    """

    eps = 1e-6

    def cam_image(self, activations: Tensor, grads: Tensor | None, targets: Tensor) -> Tensor:
        if grads is None:
            raise ValueError("grads: Grad-CAM++ needs the gradients of the target layer, got None")
        g2, g3 = grads ** 2, grads ** 3
        sum_a = activations.sum(dim=(2, 3), keepdim=True)
        a = torch.where(grads.ne(0), g2 / (2 * g2 + sum_a * g3 + self.eps), torch.zeros_like(grads))
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
