"""Tests of course_utils.selfsup against torchvision, scikit-learn and plain loops."""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
import torchvision.transforms.functional as TF
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler

from course_utils import checks, selfsup


def nt_xent_loop(z1: torch.Tensor, z2: torch.Tensor, t: float) -> float:
    """NT-Xent written as the paper states it: a loop over the 2N anchors and their negatives."""
    z = [v / v.norm() for v in torch.cat([z1, z2]).double()]
    n, total = len(z1), 0.0
    for i in range(2 * n):
        j = (i + n) % (2 * n)
        denom = sum(math.exp(float(z[i] @ z[k]) / t) for k in range(2 * n) if k != i)
        total += -math.log(math.exp(float(z[i] @ z[j]) / t) / denom)
    return total / (2 * n)


# ---------------------------------------------------------------- rotation pretext
def test_rotate_batch_matches_torchvision_rotate():
    x = torch.rand(3, 2, 6, 6)
    images, labels = selfsup.rotate_batch(x)
    assert images.shape == (12, 2, 6, 6) and labels.tolist() == [0] * 3 + [1] * 3 + [2] * 3 + [3] * 3
    for k in range(4):
        torch.testing.assert_close(images[3 * k:3 * k + 3], TF.rotate(x, 90.0 * k))


def test_rotation_loss_and_accuracy_of_a_constant_net():
    class Constant(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.w = torch.nn.Parameter(torch.zeros(1))

        def forward(self, x):
            return torch.zeros(len(x), 4) + self.w

    x = torch.rand(5, 1, 8, 8)
    loss = selfsup.rotation_loss(Constant(), x, torch.Generator())
    assert math.isclose(loss.item(), math.log(4), rel_tol=1e-6)
    assert selfsup.rotation_accuracy(Constant(), x) == pytest.approx(0.25)


# ---------------------------------------------------------------- NT-Xent
@pytest.mark.parametrize("n, d, t", [(2, 3, 0.5), (4, 8, 0.1), (7, 5, 1.0)])
def test_nt_xent_matches_a_loop_over_pairs(n, d, t):
    gen = torch.Generator().manual_seed(n)
    z1, z2 = torch.randn(n, d, generator=gen), torch.randn(n, d, generator=gen)
    assert selfsup.nt_xent(z1, z2, t).item() == pytest.approx(nt_xent_loop(z1, z2, t), rel=1e-5)


def test_nt_xent_is_small_for_aligned_pairs_and_scale_free():
    z = torch.eye(4) * 3.0
    aligned = selfsup.nt_xent(z, z * 2, 0.1).item()
    shuffled = selfsup.nt_xent(z, z.roll(1, 0), 0.1).item()
    assert aligned < 0.01 < shuffled


# ---------------------------------------------------------------- augmentation
def test_augment_identity_settings_return_the_input():
    x = torch.rand(4, 3, 8, 8)
    out = selfsup.augment(x, torch.Generator().manual_seed(0), min_scale=1.0, flip=False, color=0.0)
    torch.testing.assert_close(out, x, atol=1e-5, rtol=0)


def test_augment_flip_only_gives_the_image_or_its_mirror():
    x = torch.rand(16, 1, 8, 8)
    out = selfsup.augment(x, torch.Generator().manual_seed(0), min_scale=1.0, flip=True, color=0.0)
    same = (out - x).abs().flatten(1).amax(1) < 1e-5
    mirrored = (out - TF.hflip(x)).abs().flatten(1).amax(1) < 1e-5
    assert bool((same | mirrored).all()) and 0 < int(mirrored.sum()) < 16


def test_augment_is_seeded_per_sample_and_in_range():
    x = torch.rand(8, 3, 16, 16)
    a = selfsup.augment(x, torch.Generator().manual_seed(1), max_angle=30, shuffle_channels=True)
    b = selfsup.augment(x, torch.Generator().manual_seed(1), max_angle=30, shuffle_channels=True)
    torch.testing.assert_close(a, b)
    assert a.shape == x.shape and a.min() >= 0 and a.max() <= 1
    assert not torch.allclose(a[0], a[1]) and not torch.allclose(a, x)


def test_augment_shuffle_channels_permutes_colours():
    x = torch.rand(6, 3, 4, 4)
    out = selfsup.augment(x, torch.Generator().manual_seed(0), min_scale=1.0, flip=False, color=0.0,
                          gray_p=0.0, shuffle_channels=True)
    for i in range(6):
        assert sorted(out[i].sum((1, 2)).tolist()) == pytest.approx(sorted(x[i].sum((1, 2)).tolist()), abs=1e-4)


# ---------------------------------------------------------------- models and features
@pytest.mark.parametrize("head, out_dim", [("linear", 4), ("mlp", 32)])
def test_selfsup_net_shapes(head, out_dim):
    net = selfsup.SelfSupNet(out_dim, in_channels=3, width=4, head=head, standardize=True).eval()
    x = torch.rand(2, 3, 32, 32)
    assert net(x).shape == (2, out_dim) and net.embed(x).shape == (2, 16)


def test_extract_features_equals_a_forward_pass_and_keeps_the_mode():
    enc = selfsup.SmallEncoder(1, 4).train()
    x = torch.rand(5, 1, 16, 16)
    feats = selfsup.extract_features(enc, x, batch_size=2)
    assert enc.training and feats.dtype == np.float32
    with torch.no_grad():
        np.testing.assert_allclose(feats, enc.eval()(x).numpy(), atol=1e-5)


def test_linear_probe_matches_sklearn_and_picks_c_on_validation():
    rng = np.random.default_rng(0)
    xtr, ytr = rng.normal(size=(60, 5)), rng.integers(0, 3, 60)
    xtr[np.arange(60), ytr] += 2.0
    xva, yva = rng.normal(size=(40, 5)), rng.integers(0, 3, 40)
    xva[np.arange(40), yva] += 2.0
    model, best_c, scores = selfsup.linear_probe(xtr, ytr, xva, yva, Cs=(0.001, 1.0))
    assert best_c == max(scores, key=lambda c: (scores[c], -c))
    scaler = StandardScaler().fit(xtr)
    ref = LogisticRegression(C=best_c, max_iter=2000).fit(scaler.transform(xtr), ytr)
    np.testing.assert_array_equal(model.predict(xva), ref.predict(scaler.transform(xva)))
    assert scores[best_c] == pytest.approx(ref.score(scaler.transform(xva), yva))


def test_block_encoder_matches_slicing_and_pooling_by_hand():
    enc = selfsup.SmallEncoder(1, 4).eval()
    x = torch.rand(3, 1, 16, 16)
    with torch.no_grad():
        maps = enc.features[:3](x)                                  # block2 output (3, 8, 8, 8)
        expected = F.avg_pool2d(maps, 4).flatten(1)                 # 8x8 -> 2x2
        torch.testing.assert_close(selfsup.block_encoder(enc, "block2")(x), expected)
        torch.testing.assert_close(selfsup.block_encoder(enc, "block4", pool=1)(x), enc(x))


def test_best_probe_picks_the_informative_feature_set():
    rng = np.random.default_rng(1)
    y = rng.integers(0, 2, 120)
    useful = rng.normal(size=(120, 3)) + 3.0 * y[:, None]
    noise = rng.normal(size=(120, 3))
    sets = {"noise": (noise[:60], noise[60:]), "useful": (useful[:60], useful[60:])}
    model, name, c, val_acc = selfsup.best_probe(sets, y[:60], y[60:], Cs=(0.1, 1.0))
    assert name == "useful" and val_acc == pytest.approx(model.score(useful[60:], y[60:])) and val_acc > 0.9


def test_retrieval_accuracy_against_a_loop():
    gen = torch.Generator().manual_seed(0)
    z1 = torch.randn(10, 4, generator=gen)
    z2 = z1 + 0.8 * torch.randn(10, 4, generator=gen)
    expected = np.mean([int(np.argmax([F.cosine_similarity(z1[i], z2[j], dim=0) for j in range(10)]) == i)
                        for i in range(10)])
    assert selfsup.retrieval_accuracy(z1, z2) == pytest.approx(expected)
    assert selfsup.retrieval_accuracy(z1, z1) == 1.0


def test_pretrain_lowers_the_rotation_loss_and_is_seeded():
    x = torch.rand(64, 1, 8, 8)
    x[:, :, :4] *= 0.2                                          # top half dark: rotation is visible
    losses = []
    for _ in range(2):
        torch.manual_seed(0)
        net = selfsup.SelfSupNet(4, width=4)
        losses.append(selfsup.pretrain(net, x, selfsup.rotation_loss, 6, batch_size=32, lr=1e-2))
    assert losses[0] == losses[1] and losses[0][-1] < losses[0][0]


# ---------------------------------------------------------------- bad inputs (name the argument)
X = torch.rand(2, 1, 8, 8)
BAD_INPUTS = [
    (selfsup.SmallEncoder, (0,), {}, ValueError, "in_channels"),
    (selfsup.SelfSupNet, (4,), {"head": "conv"}, ValueError, "head"),
    (selfsup.rotate_batch, (torch.rand(1, 8, 8),), {}, ValueError, "x"),
    (selfsup.rotate_batch, (torch.rand(1, 1, 8, 6),), {}, ValueError, "x"),
    (selfsup.rotate_batch, (np.zeros((1, 1, 8, 8)),), {}, TypeError, "x"),
    (selfsup.nt_xent, (torch.rand(4, 3), torch.rand(3, 3)), {}, ValueError, "z1, z2"),
    (selfsup.nt_xent, (torch.rand(4, 3), torch.rand(4, 3)), {"temperature": 0.0}, ValueError, "temperature"),
    (selfsup.augment, (X, torch.Generator()), {"min_scale": 0.0}, ValueError, "min_scale"),
    (selfsup.augment, (X, 0), {}, TypeError, "gen"),
    (selfsup.augment, ((X * 255).to(torch.uint8), torch.Generator()), {}, TypeError, "x"),
    (selfsup.extract_features, (selfsup.SmallEncoder(1, 2), X[0]), {}, ValueError, "x"),
    (selfsup.extract_features, (lambda z: z, X), {}, TypeError, "encoder"),
    (selfsup.linear_probe, (np.zeros((4, 2)), np.zeros(3), np.zeros((2, 2)), np.zeros(2)), {},
     ValueError, "train_x"),
    (selfsup.linear_probe, (np.zeros((4, 2)), np.zeros(4), np.zeros((2, 2)), np.zeros(2)), {"Cs": (0.0,)},
     ValueError, "Cs"),
    (selfsup.block_encoder, (selfsup.SmallEncoder(1, 2), "block9"), {}, ValueError, "block"),
    (selfsup.block_encoder, (selfsup.SelfSupNet(4), "block2"), {}, TypeError, "encoder"),
    (selfsup.best_probe, ({}, np.zeros(2), np.zeros(2)), {}, ValueError, "features"),
    (selfsup.rotation_loss, (selfsup.SelfSupNet(4), X[0], None), {}, ValueError, "batch"),
    (selfsup.simclr_loss, (selfsup.SelfSupNet(4), X[0], torch.Generator()), {}, ValueError, "batch"),
    (selfsup.pretrain, (selfsup.SelfSupNet(4), X, selfsup.rotation_loss, 0), {}, ValueError, "num_epochs"),
    (selfsup.pretrain, (selfsup.SelfSupNet(4), X, selfsup.rotation_loss, 1), {"batch_size": 3},
     ValueError, "batch_size"),
    (selfsup.rotation_accuracy, (selfsup.SelfSupNet(4), X[0]), {}, ValueError, "x"),
    (selfsup.retrieval_accuracy, (torch.rand(3, 2), torch.rand(2, 2)), {}, ValueError, "z1, z2"),
]


@pytest.mark.parametrize("fn, args, kwargs, exc, name", BAD_INPUTS)
def test_bad_inputs_raise_naming_the_argument(fn, args, kwargs, exc, name):
    with pytest.raises(exc) as info:
        fn(*args, **kwargs)
    assert name in str(info.value)


# ---------------------------------------------------------------- the notebook's exercise checks
# Each check cell of 10_self_supervised is repeated here: it must reject plausible wrong
# answers and accept correct variants.
def run_rotation_check(rotation_pretext):
    x = torch.rand(3, 2, 8, 8, generator=torch.Generator().manual_seed(0))
    images, labels = rotation_pretext(x)
    checks.check_equal("rotation labels", labels, torch.tensor([0, 0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 3]))
    checks.check_close("rotated images", images, torch.cat([TF.rotate(x, 90.0 * k) for k in range(4)]))


def rot_blocks(x, ks=(0, 1, 2, 3)):
    return torch.cat([torch.rot90(x, k, dims=(2, 3)) for k in ks]), torch.arange(4).repeat_interleave(len(x))


ROTATION_RIGHT = [
    rot_blocks,
    lambda x: (torch.cat([TF.rotate(x, 90.0 * k) for k in range(4)]),
               torch.tensor([0, 1, 2, 3]).repeat_interleave(len(x))),
    lambda x: (torch.cat([x, x.transpose(2, 3).flip(2), x.flip(2, 3), x.transpose(2, 3).flip(3)]),
               torch.arange(4).repeat_interleave(len(x))),
]
ROTATION_WRONG = [
    lambda x: rot_blocks(x, ks=(0, -1, -2, -3)),                                         # clockwise
    lambda x: (torch.stack([torch.rot90(x, k, dims=(2, 3)) for k in range(4)], 1).flatten(0, 1),
               torch.arange(4).repeat(len(x))),                                          # interleaved
    lambda x: (rot_blocks(x)[0], 90 * rot_blocks(x)[1]),                                 # degrees as labels
    lambda x: (rot_blocks(x)[0], torch.arange(4).repeat(len(x))),                        # labels out of order
    lambda x: (torch.cat([x.transpose(2, 3) for _ in range(4)]), rot_blocks(x)[1]),      # transpose is no rotation
]


@pytest.mark.parametrize("answer", ROTATION_RIGHT)
def test_rotation_exercise_check_accepts(answer):
    run_rotation_check(answer)


@pytest.mark.parametrize("answer", ROTATION_WRONG)
def test_rotation_exercise_check_rejects(answer):
    with pytest.raises(AssertionError):
        run_rotation_check(answer)


def nt_xent_cross_entropy(z1, z2, temperature):
    z = F.normalize(torch.cat([z1, z2]), dim=1)
    n = len(z1)
    sim = (z @ z.T / temperature).fill_diagonal_(float("-inf"))
    return F.cross_entropy(sim, torch.cat([torch.arange(n, 2 * n), torch.arange(n)]))


def run_nt_xent_check(nt_xent_pairs):
    gen = torch.Generator().manual_seed(4)
    cases = [(torch.randn(4, 3, generator=gen), torch.randn(4, 3, generator=gen), 0.5),
             (torch.randn(2, 5, generator=gen), torch.randn(2, 5, generator=gen), 0.1),
             (torch.randn(6, 2, generator=gen), torch.randn(6, 2, generator=gen), 1.0)]
    checks.check_function("NT-Xent by a loop", nt_xent_pairs, nt_xent_cross_entropy, cases, rtol=1e-4)


def nt_xent_variant(z1, z2, t, normalise=True, self_in_denominator=False, positive_in_denominator=True,
                    use_t=True, reduce="mean"):
    z = torch.cat([z1, z2])
    z = F.normalize(z, dim=1) if normalise else z
    t = t if use_t else 1.0
    n, losses = len(z1), []
    for i in range(2 * n):
        j = (i + n) % (2 * n)
        ks = [k for k in range(2 * n) if (k != i or self_in_denominator) and (k != j or positive_in_denominator)]
        losses.append(torch.logsumexp(torch.stack([z[i] @ z[k] / t for k in ks]), 0) - z[i] @ z[j] / t)
    losses = torch.stack(losses)
    return losses.mean() if reduce == "mean" else losses.sum()


NT_XENT_RIGHT = [nt_xent_variant, nt_xent_loop, selfsup.nt_xent]
NT_XENT_WRONG = [
    lambda a, b, t: nt_xent_variant(a, b, t, normalise=False),
    lambda a, b, t: nt_xent_variant(a, b, t, self_in_denominator=True),
    lambda a, b, t: nt_xent_variant(a, b, t, positive_in_denominator=False),
    lambda a, b, t: nt_xent_variant(a, b, t, use_t=False),
    lambda a, b, t: nt_xent_variant(a, b, t, reduce="sum"),
    lambda a, b, t: nt_xent_variant(a[:1].expand_as(a), b, t),                        # one anchor only
]


@pytest.mark.parametrize("answer", NT_XENT_RIGHT)
def test_nt_xent_exercise_check_accepts(answer):
    run_nt_xent_check(answer)


@pytest.mark.parametrize("answer", NT_XENT_WRONG)
def test_nt_xent_exercise_check_rejects(answer):
    with pytest.raises(AssertionError):
        run_nt_xent_check(answer)


@pytest.fixture(scope="module")
def probe_data():
    from course_utils import checkpoints, data

    train_set, test_set = data.digits_datasets(size=16)
    enc = selfsup.block_encoder(checkpoints.load_model("digits10_simclr").encoder, "block3")
    lab = np.array(data.few_labels(train_set, 10, seed=0).indices)
    return (selfsup.extract_features(enc, train_set.tensors[0][lab]), train_set.tensors[1].numpy()[lab],
            selfsup.extract_features(enc, test_set.tensors[0]), test_set.tensors[1].numpy())


def run_probe_check(torch_probe, probe_data):
    from sklearn.pipeline import make_pipeline

    F_lab, y_lab, F_test, y_test = probe_data
    sk_pred = make_pipeline(StandardScaler(), LogisticRegression(C=0.1, max_iter=5000, tol=1e-8)).fit(
        F_lab, y_lab).predict(F_test)
    mine = np.asarray(torch_probe(F_lab, y_lab, F_test, C=0.1))
    checks.check_true("agreement", mine.shape == sk_pred.shape and (mine == sk_pred).mean() >= 0.99, "disagree")
    checks.check_close("accuracy", (mine == y_test).mean(), (sk_pred == y_test).mean(), atol=0.005)


def torch_probe_variant(train_x, train_y, test_x, C, standardize=True, reduction="sum", penalise_bias=False,
                        steps=500, test_stats=False):
    train_x, test_x = torch.as_tensor(train_x, dtype=torch.float64), torch.as_tensor(test_x, dtype=torch.float64)
    y = torch.as_tensor(train_y)
    stats_from = test_x if test_stats else train_x
    mean, std = stats_from.mean(0), stats_from.std(0, unbiased=False).clamp_min(1e-12)
    xs, xt = ((train_x - mean) / std, (test_x - mean) / std) if standardize else (train_x, test_x)
    W = torch.zeros(xs.shape[1], 10, dtype=torch.float64, requires_grad=True)
    b = torch.zeros(10, dtype=torch.float64, requires_grad=True)
    opt = torch.optim.LBFGS([W, b], max_iter=steps, tolerance_grad=1e-9, line_search_fn="strong_wolfe")

    def closure():
        opt.zero_grad()
        loss = C * F.cross_entropy(xs @ W + b, y, reduction=reduction) + 0.5 * (W ** 2).sum()
        if penalise_bias:
            loss = loss + 0.5 * (b ** 2).sum() * 100
        loss.backward()
        return loss

    if steps:
        opt.step(closure)
    return (xt @ W + b).argmax(1)


def sklearn_probe(train_x, train_y, test_x, C):
    from sklearn.pipeline import make_pipeline

    return make_pipeline(StandardScaler(), LogisticRegression(C=C, max_iter=3000)).fit(train_x, train_y).predict(test_x)


PROBE_RIGHT = [torch_probe_variant, sklearn_probe]
PROBE_WRONG = [
    lambda *a, C: torch_probe_variant(*a, C=C, steps=0),                 # never trained
    lambda *a, C: torch_probe_variant(*a, C=C, reduction="mean"),        # C / N: far stronger penalty
    lambda *a, C: torch_probe_variant(*a, C=1.0 / C),                    # C read as the penalty weight
    lambda *a, C: torch.as_tensor(a[1][:1]).repeat(len(a[2])),           # a constant class
]


@pytest.mark.parametrize("answer", PROBE_RIGHT)
def test_probe_exercise_check_accepts(answer, probe_data):
    run_probe_check(answer, probe_data)


@pytest.mark.parametrize("answer", PROBE_WRONG)
def test_probe_exercise_check_rejects(answer, probe_data):
    with pytest.raises(AssertionError):
        run_probe_check(answer, probe_data)
