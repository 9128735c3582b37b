"""course_utils.attribution: clear errors on bad input (the methods themselves are checked
against captum in tests/test_cam.py, which reaches them as cam.<name>)."""
from __future__ import annotations

import pytest
import torch

from course_utils import attribution, models

NET = models.DigitsCNN(num_classes=5).eval()
X = torch.randn(2, 1, 32, 32)

BAD_INPUTS = [
    (attribution.normalize_maps, (torch.rand(8, 8),), {}, ValueError, "maps"),
    (attribution.normalize_maps, ([[0.0, 1.0]],), {}, TypeError, "maps"),
    (attribution.input_gradients, (NET, X[0]), {}, ValueError, "x"),
    (attribution.input_gradients, (NET, X, torch.tensor([0.9, 0.8])), {}, TypeError, "targets"),
    (attribution.saliency, (NET, X, [0, 7]), {}, ValueError, "targets"),
    (attribution.saliency, (NET, X.long()), {}, ValueError, "x"),
    (attribution.guided_backprop, (NET, X, torch.tensor([0.5, 0.5])), {}, TypeError, "targets"),
    (attribution.guided_backprop, (NET, X, [0]), {}, ValueError, "targets"),
    (attribution.occlusion, (NET, X), {"patch_size": 4, "stride": 8}, ValueError, "stride"),
    (attribution.occlusion, (NET, X), {"patch_size": 40}, ValueError, "patch_size"),
    (attribution.occlusion, (NET, X, torch.tensor([1.0, 2.0])), {}, TypeError, "targets"),
    (attribution.map_peaks, (torch.rand(2, 1, 8, 8),), {}, ValueError, "maps"),
    (attribution.points_in_boxes, (torch.zeros(3, 3), torch.zeros(3, 4)), {}, ValueError, "points"),
    (attribution.points_in_boxes, (torch.zeros(3, 2), torch.zeros(2, 4)), {}, ValueError, "boxes"),
    (attribution.pointing_game, (torch.rand(8, 8), torch.zeros(1, 4)), {}, ValueError, "maps"),
    (attribution.pointing_game, (torch.rand(2, 8, 8), torch.zeros(3, 4)), {}, ValueError, "boxes"),
]


@pytest.mark.parametrize("fn, args, kwargs, exc, name", BAD_INPUTS)
def test_bad_inputs_raise_naming_the_argument(fn, args, kwargs, exc, name):
    with pytest.raises(exc) as info:
        fn(*args, **kwargs)
    assert name in str(info.value)


def test_guided_relus_rejects_a_non_module():
    with pytest.raises(TypeError, match="model"):
        with attribution.guided_relus("net"):
            pass


def test_normalize_maps_single_map_is_refused_not_broadcast():
    """It used to return (H, H, W) for one (H, W) map."""
    m = torch.rand(5, 7)
    with pytest.raises(ValueError, match=r"maps\[None\]"):
        attribution.normalize_maps(m)
    assert attribution.normalize_maps(m[None]).shape == (1, 5, 7)


def test_float_targets_are_refused_not_truncated():
    """probs.max(1).values used to become class 0 for every image."""
    probs = torch.softmax(NET(X), 1)
    with pytest.raises(TypeError, match="probs.max\\(1\\).indices"):
        attribution.saliency(NET, X, probs.max(1).values)
    ok = attribution.saliency(NET, X, probs.max(1).indices)
    assert torch.equal(ok, attribution.saliency(NET, X))  # the predicted class, as targets=None


def test_occlusion_stride_larger_than_patch_is_refused():
    """It used to return all-NaN maps (pixels that no window covers divide 0 by 0)."""
    with pytest.raises(ValueError, match="stride"):
        attribution.occlusion(NET, X, patch_size=4, stride=6)
    maps = attribution.occlusion(NET, X, patch_size=4, stride=4)
    assert not maps.isnan().any()


def test_occlusion_default_scores_logits():
    """Default use_probs=False: the drop of the logit, as notebook 06 needs for multi-label."""
    raw = attribution.occlusion(NET, X, [1, 2], patch_size=8, stride=8, normalize=False)
    logit = attribution.occlusion(NET, X, [1, 2], patch_size=8, stride=8, normalize=False,
                                  use_probs=False)
    torch.testing.assert_close(raw, logit)

BAD_INPUTS.append((attribution.guided_relus, ("net",), {}, TypeError, "model"))
