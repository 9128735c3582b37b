"""Tests of course_utils.gans against independent references (scikit-learn, torchmetrics,
scipy-free closed forms, plain loops), its errors on bad input, the GAN checkpoints, and
the exercise checks of 08_gans fed wrong and right answers."""
from __future__ import annotations

import copy
import math
from pathlib import Path

import nbformat
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from course_utils import checkpoints, checks, gans, models

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK = ROOT / "notebooks" / "08_gans.ipynb"

BAD_INPUTS = [
    (gans.digit_splits, (), {"val_fraction": 1.5}, ValueError, "val_fraction"),
    (gans.DCGANGenerator, (), {"width": 0}, ValueError, "width"),
    (gans.DCGANDiscriminator, (), {"in_channels": 0}, ValueError, "in_channels"),
    (gans.discriminator_loss, ([0.0], torch.zeros(2)), {}, TypeError, "real_logits"),
    (gans.generator_loss, (torch.zeros(2, dtype=torch.long),), {}, TypeError, "fake_logits"),
    (gans.dcgan_step, (gans.DCGANGenerator(), gans.DCGANDiscriminator(), None, None,
                       torch.zeros(2, 16, 16), torch.zeros(2, 32)), {}, ValueError, "real"),
    (gans.train_dcgan, (gans.DCGANGenerator(), gans.DCGANDiscriminator(), torch.zeros(4, 1, 16, 16), 0),
     {}, ValueError, "steps"),
    (gans.generate, (gans.DCGANGenerator(), 0), {}, ValueError, "n must"),
    (gans.classifier_report, (nn.Flatten(), torch.zeros(3, 16, 16)), {}, ValueError, "images"),
    (gans.PooledFeatures, (nn.Linear(2, 2),), {}, TypeError, "classifier"),
    (gans.frechet_distance, (torch.zeros(5), torch.zeros(5, 2)), {}, ValueError, "feats_a"),
    (gans.two_style_shapes, (0,), {}, ValueError, "n must"),
    (gans.CycleGenerator, (), {"blocks": 0}, ValueError, "blocks"),
    (gans.PatchDiscriminator, (), {"width": -1}, ValueError, "width"),
    (gans.CycleGenerators, (), {"width": 0}, ValueError, "width"),
    (gans.cycle_loss, (nn.Identity(), nn.Identity(), np.zeros((1, 3, 8, 8)), torch.zeros(1, 3, 8, 8)),
     {}, TypeError, "a must"),
    (gans.cyclegan_step, (gans.CycleGenerators(), None, None, None, None, torch.zeros(1, 3, 8, 8),
                          torch.zeros(3, 8, 8)), {}, ValueError, "b must"),
    (gans.train_cyclegan, (gans.CycleGenerators(), None, None, torch.zeros(2, 1, 8, 8),
                           torch.zeros(2, 3, 8, 8), 1), {}, ValueError, "A must"),
]


@pytest.mark.parametrize("fn, args, kwargs, exc, text", BAD_INPUTS,
                         ids=[f"{c[0].__name__}-{c[4]}" for c in BAD_INPUTS])
def test_bad_inputs_raise_clear_errors(fn, args, kwargs, exc, text):
    with pytest.raises(exc, match=text):
        fn(*args, **kwargs)


# --- data -------------------------------------------------------------------------------

def test_digit_splits_partition_the_course_train_split():
    from course_utils import data

    s = gans.digit_splits()
    train, test = data.digits_datasets(size=16)
    assert s["train"].shape[1:] == (1, 16, 16) and len(s["train"]) + len(s["val"]) == len(train)
    assert abs(len(s["val"]) - 0.2 * len(train)) <= 1
    assert torch.equal(s["test"], test.tensors[0])
    per_image = lambda t: t.flatten(1).sum(1).sort().values  # noqa: E731
    torch.testing.assert_close(per_image(torch.cat([s["train"], s["val"]])), per_image(train.tensors[0]))


def test_two_style_shapes_same_layout_two_palettes():
    A, B = gans.two_style_shapes(20, seed=5)
    A2, _ = gans.two_style_shapes(20, seed=5)
    assert A.shape == B.shape == (20, 3, 32, 32) and torch.equal(A, A2)
    fg_a = (A - torch.tensor(gans.STYLE_A["shape"]).view(1, 3, 1, 1)).abs().sum(1) < 1e-6
    bg_a = (A - torch.tensor(gans.STYLE_A["background"]).view(1, 3, 1, 1)).abs().sum(1) < 1e-6
    fg_b = (B - torch.tensor(gans.STYLE_B["shape"]).view(1, 3, 1, 1)).abs().sum(1) < 1e-6
    assert torch.all(fg_a ^ bg_a)                       # every A pixel is one of the two colours
    assert torch.all(fg_b <= fg_a)                      # outlines lie on the filled shapes
    assert fg_b.sum() < fg_a.sum() and fg_b.flatten(1).any(1).all()
    # an outline pixel touches the background (4-neighbourhood), as scipy's erosion says
    from scipy import ndimage
    for i in range(5):
        m = fg_a[i].numpy()
        inner = ndimage.binary_erosion(m, structure=np.ones((3, 3)), border_value=1)
        np.testing.assert_array_equal(fg_b[i].numpy(), m & ~inner)


# --- DCGAN --------------------------------------------------------------------------------

def test_generator_and_discriminator_shapes():
    G, D = gans.DCGANGenerator(latent_dim=8, width=4), gans.DCGANDiscriminator(width=4)
    x = G(torch.randn(5, 8))
    assert x.shape == (5, 1, 16, 16) and x.min() >= 0 and x.max() <= 1
    assert D(x).shape == (5,)
    with pytest.raises(ValueError, match=r"z must be noise of shape \(N, 8\)"):
        G(torch.randn(5, 8, 1, 1))
    with pytest.raises(ValueError, match="16x16"):
        D(torch.zeros(2, 1, 32, 32))


def test_losses_match_sklearn_log_loss():
    from sklearn.metrics import log_loss

    real, fake = torch.randn(50) * 3, torch.randn(40) * 3
    p_real, p_fake = torch.sigmoid(real).double().numpy(), torch.sigmoid(fake).double().numpy()
    expected_d = log_loss(np.ones(50), p_real, labels=[0, 1]) + log_loss(np.zeros(40), p_fake, labels=[0, 1])
    assert gans.discriminator_loss(real, fake).item() == pytest.approx(expected_d, rel=1e-4)
    expected_g = log_loss(np.ones(40), p_fake, labels=[0, 1])
    assert gans.generator_loss(fake).item() == pytest.approx(expected_g, rel=1e-4)


def test_dcgan_step_equals_a_plain_update():
    torch.manual_seed(0)
    G, D = gans.DCGANGenerator(latent_dim=8, width=4), gans.DCGANDiscriminator(width=4)
    G2, D2 = copy.deepcopy(G), copy.deepcopy(D)
    real, z = torch.rand(6, 1, 16, 16), torch.randn(6, 8)
    opt = lambda m: torch.optim.SGD(m.parameters(), lr=0.1)  # noqa: E731
    d_loss, g_loss = gans.dcgan_step(G, D, opt(G), opt(D), real, z)
    # the same update written without the helper
    og, od = opt(G2), opt(D2)
    fake = G2(z)
    d_ref = -(F.logsigmoid(D2(real)).mean() + F.logsigmoid(-D2(fake.detach())).mean())
    od.zero_grad()
    d_ref.backward()
    od.step()
    g_ref = -F.logsigmoid(D2(fake)).mean()
    og.zero_grad()
    g_ref.backward()
    og.step()
    assert d_loss == pytest.approx(d_ref.item(), rel=1e-5) and g_loss == pytest.approx(g_ref.item(), rel=1e-5)
    for a, b in zip([*G.parameters(), *D.parameters()], [*G2.parameters(), *D2.parameters()]):
        torch.testing.assert_close(a, b)


def test_train_dcgan_is_seeded_and_calls_back():
    X = torch.rand(30, 1, 16, 16)
    runs, calls = [], []
    for _ in range(2):
        torch.manual_seed(0)
        G, D = gans.DCGANGenerator(latent_dim=4, width=2), gans.DCGANDiscriminator(width=2)
        h = gans.train_dcgan(G, D, X, steps=3, batch_size=8, callback=lambda s, g: calls.append(s))
        runs.append((h, G(torch.ones(1, 4))))
    assert runs[0][0] == runs[1][0] and len(runs[0][0]["d_loss"]) == 3
    torch.testing.assert_close(runs[0][1], runs[1][1])
    assert calls == [1, 2, 3, 1, 2, 3]


def test_generate_is_seeded_and_restores_mode():
    G = gans.DCGANGenerator(latent_dim=4, width=2).train()
    a, b = gans.generate(G, 7, seed=3), gans.generate(G, 7, seed=3)
    assert a.shape == (7, 1, 16, 16) and torch.equal(a, b) and G.training
    assert not torch.equal(a, gans.generate(G, 7, seed=4))


# --- measuring ----------------------------------------------------------------------------

def test_classifier_report_against_a_plain_loop():
    torch.manual_seed(0)
    clf = nn.Sequential(nn.Flatten(), nn.Linear(16, 4))
    x = torch.randn(23, 1, 4, 4)
    rep = gans.classifier_report(clf, x, num_classes=4)
    probs = torch.softmax(clf(x), 1).detach().numpy()
    np.testing.assert_allclose(rep["max_prob"].numpy(), probs.max(1), rtol=1e-6)
    np.testing.assert_array_equal(rep["pred"].numpy(), probs.argmax(1))
    counts = np.bincount(probs.argmax(1), minlength=4) / 23
    np.testing.assert_allclose(rep["class_fraction"].numpy(), counts)
    with pytest.raises(ValueError, match="num_classes=10"):
        gans.classifier_report(clf, x)


def test_frechet_distance_matches_torchmetrics_and_closed_forms():
    from torchmetrics.image.fid import FrechetInceptionDistance

    torch.manual_seed(0)
    feats = gans.PooledFeatures(models.DigitsCNN(width=2)).eval()
    a, b = torch.rand(60, 1, 16, 16), torch.rand(50, 1, 16, 16) ** 2
    fid = FrechetInceptionDistance(feature=feats, normalize=True, input_img_size=(1, 16, 16))
    fid.update(a, real=True)
    fid.update(b, real=False)
    with torch.no_grad():
        mine = gans.frechet_distance(feats(a), feats(b))
    assert mine == pytest.approx(fid.compute().item(), rel=1e-3, abs=1e-5)
    # one dimension: (m1 - m2)^2 + (s1 - s2)^2 with sample standard deviations
    x, y = torch.randn(200, 1).double(), 3 + 2 * torch.randn(300, 1).double()
    expected = (x.mean() - y.mean()) ** 2 + (x.std() - y.std()) ** 2
    assert gans.frechet_distance(x, y) == pytest.approx(expected.item(), rel=1e-6)
    assert gans.frechet_distance(x, x) == pytest.approx(0.0, abs=1e-6)
    with pytest.raises(ValueError, match="same feature size"):
        gans.frechet_distance(torch.zeros(3, 2), torch.zeros(3, 4))


def test_pooled_features_are_the_global_average_of_the_feature_map():
    net = models.DigitsCNN(width=2).eval()
    x = torch.rand(3, 1, 16, 16)
    with torch.no_grad():
        torch.testing.assert_close(gans.PooledFeatures(net)(x), F.adaptive_avg_pool2d(net.features(x), 1).flatten(1))


# --- CycleGAN -----------------------------------------------------------------------------

def test_cycle_networks_shapes_and_errors():
    g, d = gans.CycleGenerator(width=4, blocks=1), gans.PatchDiscriminator(width=4)
    x = torch.rand(2, 3, 32, 32)
    y = g(x)
    assert y.shape == x.shape and y.min() >= 0 and y.max() <= 1
    assert d(x).shape == (2, 1, 8, 8)
    with pytest.raises(ValueError, match="even height and width"):
        g(torch.rand(1, 3, 31, 32))
    with pytest.raises(ValueError, match="3 channel"):
        d(torch.rand(1, 1, 32, 32))


def test_cycle_loss_against_hand_computation():
    g_ab, g_ba = (lambda t: 1 - t), (lambda t: t * 0.5)
    a, b = torch.rand(2, 3, 4, 4), torch.rand(2, 3, 4, 4)
    expected = (0.5 * (1 - a) - a).abs().mean() + (1 - 0.5 * b - b).abs().mean()
    torch.testing.assert_close(gans.cycle_loss(g_ab, g_ba, a, b), expected)
    assert gans.cycle_loss(nn.Identity(), nn.Identity(), a, b).item() == 0.0


def test_cyclegan_step_and_train_are_seeded():
    A, B = gans.two_style_shapes(8, seed=1)
    outs = []
    for _ in range(2):
        torch.manual_seed(0)
        gens = gans.CycleGenerators(width=2, blocks=1)
        h = gans.train_cyclegan(gens, gans.PatchDiscriminator(width=2), gans.PatchDiscriminator(width=2),
                                A, B, steps=2, batch_size=2)
        outs.append((h, gens.g_ab(A[:1])))
    assert set(outs[0][0]) == {"g_adv", "cycle", "d_loss"} and len(outs[0][0]["cycle"]) == 2
    assert outs[0][0] == outs[1][0]
    torch.testing.assert_close(outs[0][1], outs[1][1])


# --- checkpoints ----------------------------------------------------------------------------

def test_digits16_cnn_judge():
    from torch.utils.data import DataLoader

    from course_utils import data, train

    net = checkpoints.load_model("digits16_cnn")
    acc = train.evaluate(net, DataLoader(data.digits_datasets(size=16)[1], batch_size=256))["acc"]
    assert acc >= 0.96


def test_digits_dcgan_checkpoint_quality():
    G = checkpoints.load_model("digits_dcgan")
    judge = checkpoints.load_model("digits16_cnn")
    rep = gans.classifier_report(judge, gans.generate(G, 500, seed=7))
    assert rep["max_prob"].mean() >= 0.75
    assert int((rep["class_fraction"] >= 0.02).sum()) >= 8


def test_shapes_cyclegan_checkpoint_translates():
    gens = checkpoints.load_model("shapes_cyclegan")
    a, b = gans.two_style_shapes(50, seed=77)
    with torch.no_grad():
        fake_b, fake_a = gens(a, b)
    assert F.l1_loss(fake_b, b).item() < 0.1 and F.l1_loss(fake_a, a).item() < 0.1
    assert F.l1_loss(a, b).item() > 0.5


# --- the exercise checks of 08_gans reject wrong answers and accept right ones ----------------

def _exercise_cells():
    """(solution source, check source) for each exercise of 08_gans."""
    nb = nbformat.read(NOTEBOOK, as_version=4)
    code = [c.source for c in nb.cells if c.cell_type == "code"]
    return [(src, code[i + 1]) for i, src in enumerate(code) if "# BEGIN SOLUTION" in src]


def _run_check(check_source: str, **answers) -> None:
    namespace = {"torch": torch, "F": F, "nn": nn, "np": np, "checks": checks, "math": math}
    namespace.update(answers)
    exec(check_source, namespace)


def _wrong_and_right(name):
    """Plausible wrong answers (must fail) and right variants (must pass) per exercise."""
    ones_zeros = lambda r, f: (F.binary_cross_entropy_with_logits(r, torch.ones_like(r))  # noqa: E731
                               + F.binary_cross_entropy_with_logits(f, torch.zeros_like(f)))
    cases = {
        "d_loss_by_hand": (
            [lambda r, f: -(torch.log(torch.sigmoid(r)).mean() + torch.log(1 - torch.sigmoid(f)).mean()),  # unstable
             lambda r, f: -(F.logsigmoid(f).mean() + F.logsigmoid(-r).mean()),                          # labels swapped
             lambda r, f: -(F.logsigmoid(r).sum() + F.logsigmoid(-f).sum()),                            # sums
             lambda r, f: -F.logsigmoid(r).mean()],                                                     # real term only
            [lambda r, f: -(F.logsigmoid(r).mean() + F.logsigmoid(-f).mean()),
             lambda r, f: (F.softplus(-r).mean() + F.softplus(f).mean()),
             ones_zeros]),
        "trace_sqrt_product": (
            [lambda s1, s2: torch.linalg.eigvals(s1 @ s2).real.sum(),                     # no square root
             lambda s1, s2: torch.sqrt(torch.diagonal(s1 @ s2)).sum(),                   # diagonal only
             lambda s1, s2: torch.trace(s1).sqrt() * torch.trace(s2).sqrt()],
            [lambda s1, s2: torch.linalg.eigvals(s1 @ s2).sqrt().real.sum(),
             lambda s1, s2: torch.linalg.eigvalsh(_sym_sqrt(s1) @ s2 @ _sym_sqrt(s1)).clamp(min=0).sqrt().sum()]),
        "cycle_consistency": (
            [lambda g_ab, g_ba, a, b: F.l1_loss(g_ba(g_ab(a)), a),                       # one direction
             lambda g_ab, g_ba, a, b: F.mse_loss(g_ba(g_ab(a)), a) + F.mse_loss(g_ab(g_ba(b)), b),
             lambda g_ab, g_ba, a, b: F.l1_loss(g_ab(a), a) + F.l1_loss(g_ba(b), b)],     # identity loss
            [lambda g_ab, g_ba, a, b: F.l1_loss(g_ba(g_ab(a)), a) + F.l1_loss(g_ab(g_ba(b)), b),
             lambda g_ab, g_ba, a, b: (g_ba(g_ab(a)) - a).abs().mean() + (g_ab(g_ba(b)) - b).abs().mean()]),
    }
    return cases[name]


def _sym_sqrt(s):
    vals, vecs = torch.linalg.eigh(s)
    return vecs @ torch.diag(vals.clamp(min=0).sqrt()) @ vecs.T


@pytest.mark.skipif(not NOTEBOOK.exists(), reason="08_gans.ipynb not written yet")
@pytest.mark.parametrize("name", ["d_loss_by_hand", "trace_sqrt_product", "cycle_consistency"])
def test_exercise_checks_reject_wrong_answers(name):
    cells = {sol.split("def ")[1].split("(")[0]: check for sol, check in _exercise_cells() if "def " in sol}
    assert name in cells, f"no exercise defining {name} in 08_gans; found {sorted(cells)}"
    wrong, right = _wrong_and_right(name)
    for answer in wrong:
        with pytest.raises(AssertionError):
            _run_check(cells[name], **{name: answer})
    for answer in right:
        _run_check(cells[name], **{name: answer})
    with pytest.raises(NotImplementedError):   # the learner's stub
        _run_check(cells[name], **{name: lambda *args: (_ for _ in ()).throw(NotImplementedError())})
