"""course_utils.cam: hooks released, shapes and ranges, the CAM/Grad-CAM identity, and
agreement with captum (a test-only reference)."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from course_utils import cam, models

captum_attr = pytest.importorskip("captum.attr")

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning:captum.*")


@pytest.fixture
def net() -> models.DigitsCNN:
    """GAP + Linear head over 'features' (N, 64, 8, 8); its ReLUs are inplace."""
    return models.DigitsCNN(num_classes=5).eval()


def batch(n: int, size: int = 32) -> torch.Tensor:
    return torch.randn(n, 1, size, size)


def num_hooks(model: nn.Module) -> int:
    return sum(len(m._forward_hooks) + len(m._forward_pre_hooks) + len(m._backward_hooks)
               + len(m._backward_pre_hooks) for m in model.modules())


METHODS = {
    "cam": lambda net, x, t=None: cam.CAM(net, "features")(x, t),
    "gradcam": lambda net, x, t=None: cam.GradCAM(net, "features")(x, t),
    "gradcam++": lambda net, x, t=None: cam.GradCAMPlusPlus(net, "features")(x, t),
    "saliency": lambda net, x, t=None: cam.saliency(net, x, t),
    "guided": lambda net, x, t=None: cam.guided_backprop(net, x, t),
    "occlusion": lambda net, x, t=None: cam.occlusion(net, x, t, patch_size=8, stride=8),
}


# --- hooks and model state ----------------------------------------------------------------

@pytest.mark.parametrize("method", [cam.CAM, cam.GradCAM, cam.GradCAMPlusPlus])
def test_hooks_released_after_use(net, method):
    with method(net, "features") as explainer:
        assert len(net.features._forward_hooks) == 1
        explainer(batch(2))
        explainer(batch(1))
    assert num_hooks(net) == 0
    method(net, "features")(batch(2))  # without `with`: the call adds and removes the hook
    assert num_hooks(net) == 0


def test_hooks_released_after_exception(net):
    with pytest.raises(RuntimeError, match="boom"):
        with cam.GradCAM(net, "features") as grad_cam:
            grad_cam(batch(1))
            raise RuntimeError("boom")
    assert num_hooks(net) == 0
    with pytest.raises((RuntimeError, ValueError)):  # 3 channels into a 1-channel net fails mid-forward
        cam.GradCAM(net, "features")(torch.randn(1, 3, 32, 32))
    assert num_hooks(net) == 0


def test_guided_backprop_restores_relus(net):
    relus = [m for m in net.modules() if isinstance(m, nn.ReLU)]
    assert relus and all(m.inplace for m in relus)
    cam.guided_backprop(net, batch(2))
    assert num_hooks(net) == 0
    assert all(isinstance(m, nn.ReLU) and m.inplace for m in relus)
    assert [m for m in net.modules() if isinstance(m, nn.ReLU)] == relus
    with pytest.raises(RuntimeError, match="boom"):
        with cam.guided_relus(net):
            assert num_hooks(net) == len(relus)
            raise RuntimeError("boom")
    assert num_hooks(net) == 0
    with pytest.raises((RuntimeError, ValueError)):   # 3 channels for a 1-channel net
        cam.guided_backprop(net, torch.randn(1, 3, 32, 32))
    assert num_hooks(net) == 0


@pytest.mark.parametrize("name", METHODS)
def test_model_state_restored(net, name):
    net.train()
    net.features[0][1].eval()  # a submodule in its own mode must stay so
    stats = net.features[0][1].running_mean.clone()
    METHODS[name](net, batch(2))
    assert net.training and net.head.training and not net.features[0][1].training
    assert torch.equal(net.features[0][1].running_mean, stats)
    assert all(p.grad is None for p in net.parameters())


# --- shapes, ranges, targets --------------------------------------------------------------

@pytest.mark.parametrize("n", [1, 3])
@pytest.mark.parametrize("name", METHODS)
def test_shape_and_range(net, name, n):
    maps = METHODS[name](net, batch(n))
    assert maps.shape == (n, 32, 32) and maps.dtype == torch.float32
    assert maps.min() >= 0 and maps.max() <= 1
    assert torch.allclose(maps.flatten(1).amax(1), torch.ones(n))  # no constant maps here


@pytest.mark.parametrize("name", ["gradcam", "saliency", "occlusion"])
def test_targets(net, name):
    x = batch(3)
    predicted = net(x).argmax(1)
    assert torch.equal(METHODS[name](net, x), METHODS[name](net, x, predicted.tolist()))
    t = torch.tensor([4, 0, 2])
    assert torch.equal(METHODS[name](net, x, t), METHODS[name](net, x, t.tolist()))
    with pytest.raises(ValueError, match="one target class per image"):
        METHODS[name](net, x, [0, 1])
    with pytest.raises(ValueError, match=r"in \[0, 5\)"):
        METHODS[name](net, x, [0, 1, 5])


# --- the identity and hand-computed references --------------------------------------------

def test_gradcam_is_relu_cam_over_hw(net):
    x, t = batch(3), [0, 3, 4]
    raw_cam, raw_gradcam = cam.cam_and_gradcam(net, x, "features", t)
    assert raw_cam.shape == raw_gradcam.shape == (3, 8, 8)
    torch.testing.assert_close(raw_gradcam, raw_cam.relu() / (8 * 8), rtol=1e-5, atol=1e-9)
    torch.testing.assert_close(cam.CAM(net, "features").raw(x, t), raw_cam)
    assert (raw_cam < 0).any()  # so the ReLU in the identity matters


def _pytorch_grad_cam_plusplus(activations: np.ndarray, grads: np.ndarray) -> np.ndarray:
    """NumPy transcription of pytorch-grad-cam's GradCAMPlusPlus.get_cam_weights (eq. 19,
    eps = 0.000001) followed by its BaseCAM.get_cam_image (weighted sum, ReLU)."""
    grads_power_2 = grads ** 2
    grads_power_3 = grads_power_2 * grads
    sum_activations = np.sum(activations, axis=(2, 3))
    eps = 0.000001
    aij = grads_power_2 / (2 * grads_power_2 + sum_activations[:, :, None, None] * grads_power_3 + eps)
    aij = np.where(grads != 0, aij, 0)
    weights = np.sum(np.maximum(grads, 0) * aij, axis=(2, 3))
    return np.maximum((weights[:, :, None, None] * activations).sum(axis=1), 0)


@pytest.mark.parametrize("layer", ["features", "features.2"])
def test_gradcam_plus_plus_matches_pytorch_grad_cam(net, layer):
    """Activations and gradients taken here with a plain hook, then pytorch-grad-cam's formula."""
    x, t = batch(2), torch.tensor([1, 2])
    store = {}
    handle = cam.get_layer(net, layer).register_forward_hook(
        lambda m, i, o: store.update(a=o.detach().clone().requires_grad_()) or store["a"])
    logits = net(x)
    handle.remove()
    grads, = torch.autograd.grad(logits.gather(1, t[:, None]).sum(), store["a"])
    expected = _pytorch_grad_cam_plusplus(store["a"].detach().double().numpy(), grads.double().numpy())
    ours = cam.GradCAMPlusPlus(net, layer).raw(x, t)
    np.testing.assert_allclose(ours.numpy(), expected, rtol=1e-4, atol=1e-6 * expected.max())
    # the epsilon is not cosmetic: last-layer gradients are ~w / (h w), so g^2 is near 1e-6
    assert cam.GradCAMPlusPlus.eps == 1e-6


def test_gradcam_before_inplace_relu(net):
    """'features.4.1' (BatchNorm) feeds ReLU(inplace=True): the map uses the BN output."""
    x, t = batch(2), torch.tensor([1, 2])
    acts = net.features[4][:2](net.features[:4](x)).detach().requires_grad_()
    score = net.head(acts.relu()).gather(1, t[:, None]).sum()
    grads = torch.autograd.grad(score, acts)[0]
    expected = (grads.mean((2, 3), keepdim=True) * acts).sum(1).relu()
    torch.testing.assert_close(cam.GradCAM(net, "features.4.1").raw(x, t), expected.detach())


def test_frozen_model(net):
    x = batch(2)
    expected = cam.GradCAM(net, "features")(x)
    net.requires_grad_(False)
    torch.testing.assert_close(cam.GradCAM(net, "features")(x), expected)


# --- captum as reference ------------------------------------------------------------------

def test_gradcam_matches_captum(net):
    x, t = batch(3), [0, 1, 4]
    ref = captum_attr.LayerGradCam(net, net.features).attribute(x, target=t, relu_attributions=True)
    got = cam.GradCAM(net, "features").raw(x, t)
    torch.testing.assert_close(got, ref[:, 0].detach(), rtol=1e-5, atol=1e-9)


def test_saliency_matches_captum(net):
    x, t = batch(3), [0, 1, 4]
    ref = captum_attr.Saliency(net).attribute(x, target=t)  # |grad|, (N, C, H, W)
    torch.testing.assert_close(cam.input_gradients(net, x, t).abs(), ref)
    torch.testing.assert_close(cam.saliency(net, x, t, normalize=False), ref.amax(1))
    torch.testing.assert_close(cam.saliency(net, x, t), cam.normalize_maps(ref.amax(1)))


def test_guided_backprop_matches_captum(net):
    x, t = batch(3), [0, 1, 4]
    ref = captum_attr.GuidedBackprop(net).attribute(x, target=t)  # signed, (N, C, H, W)
    got = cam.input_gradients(net, x, t, guided=True)
    torch.testing.assert_close(got, ref, rtol=1e-5, atol=1e-9)
    torch.testing.assert_close(cam.guided_backprop(net, x, t, normalize=False), ref.abs().amax(1))
    assert not torch.allclose(got, cam.input_gradients(net, x, t))  # the ReLU hooks did act


@pytest.mark.parametrize("patch_size, stride", [(8, 4), (6, 4), (5, 3)])
@pytest.mark.parametrize("use_probs", [True, False])
def test_occlusion_matches_captum(net, patch_size, stride, use_probs):
    """captum attributes (score(x) - score(occluded)), averaged over the windows that
    cover a pixel, with windows starting at 0, stride, ... and the last one cropped at
    the border; the same sign and averaging as ours, so the raw maps agree. captum
    scores the forward function's output: we pass softmax for use_probs."""
    x, t = batch(2, size=16), [1, 3]
    forward = (lambda z: net(z).softmax(1)) if use_probs else net
    ref = captum_attr.Occlusion(forward).attribute(
        x, sliding_window_shapes=(1, patch_size, patch_size), strides=(1, stride, stride),
        baselines=0.5, target=t)
    got = cam.occlusion(net, x, t, patch_size, stride, baseline=0.5, use_probs=use_probs,
                        normalize=False)
    torch.testing.assert_close(got, ref[:, 0], rtol=1e-4, atol=1e-7)


def test_occlusion_batching_does_not_change_result(net):
    x = batch(3)
    torch.testing.assert_close(cam.occlusion(net, x, patch_size=8, stride=4, batch_size=1),
                               cam.occlusion(net, x, patch_size=8, stride=4, batch_size=1000))


# --- errors -------------------------------------------------------------------------------

def test_missing_layer_lists_valid_names(net):
    with pytest.raises(ValueError, match=r"no layer named 'featurez'.*'features'.*named_modules"):
        cam.GradCAM(net, "featurez")
    with pytest.raises(ValueError, match="no layer named"):
        cam.CAM(net, "features", fc_layer="head.9")


def test_cam_needs_gap_linear_head():
    flat_head = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.Flatten(),
                              nn.Linear(4 * 32 * 32, 5))
    with pytest.raises(ValueError, match=r"in_features=4096.*GradCAM"):
        cam.CAM(flat_head, "1")(batch(2))
    assert num_hooks(flat_head) == 0
    cam.GradCAM(flat_head, "1")(batch(2))  # Grad-CAM has no such requirement
    no_linear = nn.Sequential(nn.Conv2d(1, 5, 3), nn.AdaptiveAvgPool2d(1), nn.Flatten())
    with pytest.raises(ValueError, match="no nn.Linear"):
        cam.CAM(no_linear, "0")
    with pytest.raises(ValueError, match="must be an nn.Linear"):
        cam.CAM(flat_head, "1", fc_layer="0")


@pytest.mark.parametrize("name", METHODS)
def test_rejects_3d_input(net, name):
    with pytest.raises(ValueError, match=r"\(N, C, H, W\), got shape \(1, 32, 32\)"):
        METHODS[name](net, torch.randn(1, 32, 32))
    assert num_hooks(net) == 0


def test_occlusion_rejects_bad_patch(net):
    with pytest.raises(ValueError, match="patch_size"):
        cam.occlusion(net, batch(1, size=16), patch_size=17)
    with pytest.raises(ValueError, match="stride"):
        cam.occlusion(net, batch(1), stride=0)


def test_layer_must_give_feature_maps(net):
    with pytest.raises(ValueError, match=r"must output \(N, K, h, w\)"):
        cam.GradCAM(net, "head.1")(batch(1))


# --- pointing game ------------------------------------------------------------------------

def test_map_peaks_hand_case():
    maps = torch.zeros(3, 4, 5)
    maps[0, 2, 3] = 1.0          # row 2, column 3 -> (x=3, y=2)
    maps[1, 0, 4] = 5.0
    maps[2, 3, 0] = 0.5
    maps[2, 1, 1] = 0.5          # a tie: the first in row-major order wins
    assert cam.map_peaks(maps).tolist() == [[3, 2], [4, 0], [1, 1]]


def test_map_peaks_matches_loop():
    maps = torch.rand(6, 7, 9)
    for m, (x, y) in zip(maps, cam.map_peaks(maps)):
        assert m[y, x] == m.max()


def test_points_in_boxes_edges_are_exclusive():
    boxes = torch.tensor([[2.0, 3.0, 6.0, 8.0]] * 6)
    points = torch.tensor([[2, 3], [5, 7], [6, 7], [5, 8], [1, 5], [4, 5]])
    assert cam.points_in_boxes(points, boxes).tolist() == [True, True, False, False, False, True]


def test_pointing_game_matches_loop():
    gen = torch.Generator().manual_seed(0)
    maps = torch.rand(20, 16, 16, generator=gen)
    x1y1 = torch.randint(0, 10, (20, 2), generator=gen).float()
    boxes = torch.cat([x1y1, x1y1 + torch.randint(1, 7, (20, 2), generator=gen)], 1)
    expected = []
    for m, (bx1, by1, bx2, by2) in zip(maps, boxes.tolist()):
        y, x = divmod(int(m.argmax()), 16)
        expected.append(bx1 <= x < bx2 and by1 <= y < by2)
    assert cam.pointing_game(maps, boxes).tolist() == expected


def test_pointing_game_bad_input():
    with pytest.raises(ValueError, match=r"maps: expected shape \(N, H, W\)"):
        cam.map_peaks(torch.rand(2, 1, 8, 8))
    with pytest.raises(ValueError, match=r"boxes: expected shape \(3, 4\)"):
        cam.points_in_boxes(torch.zeros(3, 2), torch.zeros(2, 4))


# --- bad inputs (name the argument) -------------------------------------------------------
_NET = models.DigitsCNN(num_classes=5).eval()

BAD_INPUTS = [
    (cam.get_layer, (_NET, "featurs"), {}, ValueError, "name"),
    (cam.get_layer, ("net", "features"), {}, TypeError, "model"),
    (cam.get_layer, (_NET, 3), {}, TypeError, "name"),
    (cam.cam_and_gradcam, (_NET, torch.randn(1, 32, 32), "features"), {}, ValueError, "x"),
    (cam.cam_and_gradcam, (_NET, torch.randn(2, 1, 32, 32), "features", torch.tensor([0.7, 0.2])), {},
     TypeError, "targets"),
    (cam.normalize_maps, (torch.rand(8, 8),), {}, ValueError, "maps"),
]


@pytest.mark.parametrize("fn, args, kwargs, exc, name", BAD_INPUTS)
def test_bad_inputs_raise_naming_the_argument(fn, args, kwargs, exc, name):
    with pytest.raises(exc) as info:
        fn(*args, **kwargs)
    assert name in str(info.value)


@pytest.mark.parametrize("method", [cam.CAM, cam.GradCAM, cam.GradCAMPlusPlus])
def test_float_targets_are_refused_by_every_cam(method):
    """probs.max(1).values (floats in [0, 1]) used to be truncated to class 0."""
    x = batch(2)
    probs = torch.softmax(_NET(x), 1)
    with pytest.raises(TypeError, match="targets"):
        method(_NET, "features")(x, probs.max(1).values)

BAD_INPUTS += [
    (cam.ActivationsAndGradients, ("features",), {}, TypeError, "layer"),
    (cam.BaseCAM, (_NET, "featurs"), {}, ValueError, "target_layer"),
    (cam.CAM, (_NET, "features"), {"fc_layer": "features"}, ValueError, "fc_layer"),
    (cam.GradCAM, (_NET, 3), {}, TypeError, "target_layer"),
    (cam.GradCAMPlusPlus, ("net", "features"), {}, TypeError, "model"),
]
