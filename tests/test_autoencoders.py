"""Tests of course_utils.autoencoders, and of the exercise checks of 07_autoencoders.

Helpers are compared with independent references (scikit-image's PSNR, plain torch
noise, F.mse_loss); each exercise check of the notebook is fed wrong answers that it
must reject and correct variants that it must accept.
"""
from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from scipy.stats import rankdata
from skimage.metrics import peak_signal_noise_ratio
from sklearn.decomposition import PCA
from sklearn.metrics import precision_recall_fscore_support, roc_auc_score

from course_utils import autoencoders, checkpoints, checks, data

IMAGES = torch.rand(6, 1, 16, 16, generator=torch.Generator().manual_seed(0))
DENSE = autoencoders.DenseAutoencoder(in_features=256, latent_dim=4)

BAD_INPUTS = [
    (autoencoders.add_noise, (IMAGES.numpy(), 0.3), {}, TypeError, "images"),
    (autoencoders.add_noise, (IMAGES * 255, 0.3), {}, ValueError, "images"),
    (autoencoders.add_noise, (IMAGES, -0.1), {}, ValueError, "factor"),
    (autoencoders.psnr, (IMAGES, IMAGES[:3]), {}, ValueError, "same shape"),
    (autoencoders.psnr, (IMAGES, IMAGES.long()), {}, TypeError, "reference"),
    (autoencoders.psnr, (IMAGES, IMAGES), {"data_range": 0}, ValueError, "data_range"),
    (autoencoders.DenseAutoencoder, (), {"latent_dim": 0}, ValueError, "latent_dim"),
    (autoencoders.DenseAutoencoder, (), {"output": "relu"}, ValueError, "output"),
    (DENSE.forward, (torch.rand(2, 1, 8, 8),), {}, ValueError, "x"),
    (autoencoders.ConvDenoiser, (), {"width": 7}, ValueError, "width"),
    (autoencoders.ConvDenoiser().forward, (torch.rand(2, 1, 15, 15),), {}, ValueError, "x"),
    (autoencoders.reconstruction_errors, (lambda x: x, IMAGES), {}, TypeError, "net"),
    (autoencoders.reconstruction_errors, (DENSE, IMAGES[0, 0, 0]), {}, ValueError, "X"),
    (autoencoders.fit_autoencoder, (DENSE, IMAGES, 0), {}, ValueError, "num_epochs"),
    (autoencoders.fit_autoencoder, (DENSE, [[0.5]], 1), {}, TypeError, "X"),
    (autoencoders.fit_autoencoder, (DENSE, IMAGES, 1), {"lr": 0.0}, ValueError, "lr"),
]


# --- helpers ----------------------------------------------------------------------------

def test_add_noise_matches_plain_torch_and_is_clipped():
    x = IMAGES
    got = autoencoders.add_noise(x, 0.4, torch.Generator().manual_seed(3))
    expected = torch.clamp(x + 0.4 * torch.randn(x.shape, generator=torch.Generator().manual_seed(3)), 0, 1)
    assert torch.equal(got, expected)
    assert got.min() >= 0 and got.max() <= 1
    assert torch.equal(autoencoders.add_noise(x, 0.0), x)


def test_add_noise_statistics_away_from_the_clip():
    x = torch.full((200, 1, 16, 16), 0.5)
    noise = autoencoders.add_noise(x, 0.05, torch.Generator().manual_seed(0)) - x
    assert abs(noise.mean().item()) < 0.002 and abs(noise.std().item() - 0.05) < 0.002


def test_psnr_matches_skimage_per_image():
    noisy = autoencoders.add_noise(IMAGES, 0.2, torch.Generator().manual_seed(1))
    got = autoencoders.psnr(noisy, IMAGES)
    expected = [peak_signal_noise_ratio(c.numpy(), n.numpy(), data_range=1.0) for c, n in zip(IMAGES, noisy)]
    np.testing.assert_allclose(got.numpy(), expected, rtol=1e-6)
    got255 = autoencoders.psnr(noisy * 255, IMAGES * 255, data_range=255)
    np.testing.assert_allclose(got255.numpy(), expected, rtol=1e-5)
    assert torch.isinf(autoencoders.psnr(IMAGES, IMAGES)).all()


def test_dense_autoencoder_shapes_and_output_range():
    net = autoencoders.DenseAutoencoder(in_features=256, latent_dim=5, hidden=32)
    assert net(IMAGES).shape == IMAGES.shape
    assert net(IMAGES.flatten(1)).shape == (6, 256)
    assert net.encode(IMAGES).shape == (6, 5)
    out = net(IMAGES)
    assert out.min() >= 0 and out.max() <= 1
    linear = autoencoders.DenseAutoencoder(in_features=256, latent_dim=5, output="linear")
    assert isinstance(linear.decoder[-1], torch.nn.Identity)


def test_conv_denoiser_shapes():
    net = autoencoders.ConvDenoiser(width=8)
    assert net.encoder(IMAGES).shape == (6, 4, 4, 4)
    out = net(IMAGES)
    assert out.shape == IMAGES.shape and out.min() >= 0 and out.max() <= 1


def test_reconstruction_errors_match_mse_loss_and_keep_mode():
    net = autoencoders.DenseAutoencoder(in_features=256, latent_dim=3).train()
    got = autoencoders.reconstruction_errors(net, IMAGES, batch_size=4)
    with torch.no_grad():
        expected = F.mse_loss(net(IMAGES), IMAGES, reduction="none").flatten(1).mean(dim=1)
    torch.testing.assert_close(got, expected)
    assert net.training


def test_fit_autoencoder_learns_is_seeded_and_keeps_the_best_epoch():
    X = data.digits_datasets(size=16)[0].tensors[0][:300]
    runs = []
    for _ in range(2):
        torch.manual_seed(0)
        net = autoencoders.DenseAutoencoder(in_features=256, latent_dim=8, hidden=64)
        hist = autoencoders.fit_autoencoder(net, X[:200], num_epochs=6, seed=1, X_val=X[200:])
        runs.append((net, hist))
    (net, hist), (net2, hist2) = runs
    assert hist["train_loss"] == hist2["train_loss"]
    assert hist["train_loss"][-1] < 0.5 * hist["train_loss"][0]
    with torch.no_grad():
        val = F.mse_loss(net(X[200:]), X[200:]).item()
    assert val == pytest.approx(min(hist["val_loss"]), rel=1e-6)
    assert hist["val_loss"][hist["best_epoch"] - 1] == min(hist["val_loss"])


def test_fit_autoencoder_denoising_beats_the_noisy_input():
    X = data.digits_datasets(size=16)[0].tensors[0]
    torch.manual_seed(0)
    net = autoencoders.ConvDenoiser(width=16)
    autoencoders.fit_autoencoder(net, X, num_epochs=6, noise_factor=0.3, seed=0)
    noisy = autoencoders.add_noise(X, 0.3, torch.Generator().manual_seed(5))
    with torch.no_grad():
        gain = (autoencoders.psnr(net(noisy), X) - autoencoders.psnr(noisy, X)).mean().item()
    assert gain > 3.0


@pytest.mark.parametrize("name", ["digits16_dae", "digits04_ae"])
def test_checkpoints_load_and_work(name):
    net = checkpoints.load_model(name)
    test = data.digits_datasets(size=16)[1]
    X, y = test.tensors
    if name == "digits16_dae":
        noisy = autoencoders.add_noise(X, 0.3, torch.Generator().manual_seed(2))
        with torch.no_grad():
            assert (autoencoders.psnr(net(noisy), X) - autoencoders.psnr(noisy, X)).mean() > 8.0
    else:
        errors = autoencoders.reconstruction_errors(net, X).numpy()
        assert roc_auc_score((y >= 5).numpy(), errors) > 0.95


# --- exercise 1: PCA reconstruction error by SVD ---------------------------------------

FIT = np.random.default_rng(0).normal(size=(120, 12)) @ np.random.default_rng(1).normal(size=(12, 12)) + 3.0
EVAL = np.random.default_rng(2).normal(size=(40, 12)) + 3.0
PCA_CASES = [(FIT, EVAL, [1, 2, 5]), (FIT[:60], FIT, [3, 8])]


def sklearn_pca_mse(X_fit, X_eval, ks):
    fitted = [PCA(k).fit(X_fit) for k in ks]
    return np.array([((p.inverse_transform(p.transform(X_eval)) - X_eval) ** 2).mean() for p in fitted])


def check_pca(fn):
    checks.check_function("PCA reconstruction MSE by SVD vs sklearn PCA", fn, sklearn_pca_mse, PCA_CASES,
                          rtol=1e-4, atol=1e-7)


def _pca_svd(X_fit, X_eval, ks, centre_eval_with_own_mean=False, centre=True, last=False):
    mean = X_fit.mean(axis=0) if centre else 0.0
    _, _, Vt = np.linalg.svd(X_fit - mean, full_matrices=False)
    m_eval = X_eval.mean(axis=0) if centre_eval_with_own_mean else mean
    out = []
    for k in ks:
        V = Vt[-k:].T if last else Vt[:k].T
        out.append((((X_eval - m_eval) @ V @ V.T + m_eval - X_eval) ** 2).mean())
    return np.array(out)


def _pca_eigh(X_fit, X_eval, ks):
    mean = X_fit.mean(axis=0)
    _, vecs = np.linalg.eigh(np.cov(X_fit - mean, rowvar=False))
    return np.array([(((X_eval - mean) @ vecs[:, -k:] @ vecs[:, -k:].T + mean - X_eval) ** 2).mean() for k in ks])


@pytest.mark.parametrize("wrong", [
    lambda a, b, ks: _pca_svd(a, b, ks, centre=False),                       # forgot to centre
    lambda a, b, ks: _pca_svd(a, b, ks, centre_eval_with_own_mean=True),     # mean of X_eval
    lambda a, b, ks: _pca_svd(a, b, ks, last=True),                          # smallest directions
    lambda a, b, ks: _pca_svd(a, b, [k + 1 for k in ks]),                    # off by one component
    lambda a, b, ks: np.sqrt(_pca_svd(a, b, ks)),                            # RMSE, not MSE
])
def test_pca_check_rejects_wrong_answers(wrong):
    with pytest.raises(AssertionError):
        check_pca(wrong)


@pytest.mark.parametrize("right", [_pca_svd, _pca_eigh, sklearn_pca_mse])
def test_pca_check_accepts_correct_variants(right):
    check_pca(right)


# --- exercise 2: mean PSNR --------------------------------------------------------------

CLEAN = data.digits_datasets(size=16)[1].tensors[0][:20]
NOISY = autoencoders.add_noise(CLEAN, 0.3, torch.Generator().manual_seed(1))
PSNR_CASES = [(NOISY, CLEAN), ((CLEAN + 0.05).clamp(0, 1), CLEAN), (NOISY[:5], CLEAN[:5]),
              (NOISY[:7] * 255, CLEAN[:7] * 255, 255.0)]


def skimage_mean_psnr(images, reference, data_range=1.0):
    return np.mean([peak_signal_noise_ratio(r.double().numpy(), i.double().numpy(), data_range=data_range)
                    for i, r in zip(images, reference)])


def check_psnr(fn):
    checks.check_function("mean PSNR vs skimage, image by image", fn, skimage_mean_psnr, PSNR_CASES,
                          rtol=1e-4, atol=1e-4)


def _psnr(images, reference, data_range=1.0, per_image=True, log=torch.log10, squared_range=True):
    mse = ((images - reference) ** 2).flatten(1).mean(dim=1) if per_image else ((images - reference) ** 2).mean()
    peak = data_range ** 2 if squared_range else data_range
    return (10 * log(peak / mse)).mean()


@pytest.mark.parametrize("wrong", [
    lambda i, r, d=1.0: _psnr(i, r, d, per_image=False),                    # PSNR of the pooled MSE
    lambda i, r, d=1.0: _psnr(i, r, 1.0),                                   # ignores data_range
    lambda i, r, d=1.0: _psnr(i, r, d, log=torch.log),                      # natural log
    lambda i, r, d=1.0: _psnr(i, r, d, squared_range=False),                # MAX, not MAX^2
    lambda i, r, d=1.0: 20 * torch.log10(d / ((i - r) ** 2).flatten(1).mean(dim=1)).mean(),  # 20 log of MSE
])
def test_psnr_check_rejects_wrong_answers(wrong):
    with pytest.raises(AssertionError):
        check_psnr(wrong)


@pytest.mark.parametrize("right", [
    _psnr,
    lambda i, r, d=1.0: autoencoders.psnr(i, r, d).mean(),
    lambda i, r, d=1.0: np.mean(20 * np.log10(d) - 10 * np.log10(((i - r).numpy() ** 2).reshape(len(i), -1).mean(1))),
])
def test_psnr_check_accepts_correct_variants(right):
    check_psnr(right)


# --- exercise 3: threshold, precision, recall, F1 ----------------------------------------

_rng = np.random.default_rng(0)
THRESHOLD_CASES = [(_rng.gamma(2, 1, 50), np.r_[_rng.gamma(2, 1, 40), _rng.gamma(4, 1, 20)],
                    np.r_[np.zeros(40, bool), np.ones(20, bool)]) for _ in range(4)]


def sklearn_threshold_and_scores(normal_errors, errors, is_anomaly):
    threshold = np.mean(normal_errors) + np.std(normal_errors)
    p, r, f, _ = precision_recall_fscore_support(is_anomaly, errors > threshold, average="binary", zero_division=0)
    return threshold, p, r, f


def check_threshold(fn):
    checks.check_function("threshold, precision, recall, F1 vs sklearn", fn, sklearn_threshold_and_scores,
                          THRESHOLD_CASES, rtol=1e-6, atol=1e-9)


def _scores(normal_errors, errors, is_anomaly, ddof=0, from_all=False, swap=False, positive_normal=False):
    base = errors if from_all else normal_errors
    threshold = base.mean() + base.std(ddof=ddof)
    flagged = errors > threshold
    truth = ~is_anomaly if positive_normal else is_anomaly
    pred = ~flagged if positive_normal else flagged
    tp = np.sum(pred & truth)
    precision, recall = tp / max(pred.sum(), 1), tp / truth.sum()
    if swap:
        precision, recall = recall, precision
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return threshold, precision, recall, f1


@pytest.mark.parametrize("wrong", [
    lambda n, e, a: _scores(n, e, a, ddof=1),                 # sample std: a different threshold
    lambda n, e, a: _scores(n, e, a, from_all=True),          # threshold from all errors
    lambda n, e, a: _scores(n, e, a, swap=True),              # precision and recall swapped
    lambda n, e, a: _scores(n, e, a, positive_normal=True),   # normal as the positive class
])
def test_threshold_check_rejects_wrong_answers(wrong):
    with pytest.raises(AssertionError):
        check_threshold(wrong)


@pytest.mark.parametrize("right", [_scores, sklearn_threshold_and_scores])
def test_threshold_check_accepts_correct_variants(right):
    check_threshold(right)


# --- exercise 4: ROC-AUC by pairs -------------------------------------------------------

SCORES = np.r_[_rng.normal(0, 1, 60), _rng.normal(1, 1, 40)]
LABELS = np.r_[np.zeros(60, bool), np.ones(40, bool)]
AUC_CASES = [(SCORES, LABELS), (np.round(SCORES), LABELS), (-SCORES, LABELS)]


def check_auc(fn):
    checks.check_function("ROC-AUC by pairs vs sklearn roc_auc_score", fn,
                          lambda scores, is_anomaly: roc_auc_score(is_anomaly, scores), AUC_CASES)


def _auc_pairs(scores, is_anomaly, tie=0.5):
    diff = scores[is_anomaly][:, None] - scores[~is_anomaly][None, :]
    return (diff > 0).mean() + tie * (diff == 0).mean()


def _auc_ranks(scores, is_anomaly):           # Mann-Whitney U from average ranks
    ranks = rankdata(scores)
    n_pos, n_neg = is_anomaly.sum(), (~is_anomaly).sum()
    return (ranks[is_anomaly].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg)


@pytest.mark.parametrize("wrong", [
    lambda s, a: _auc_pairs(s, a, tie=0.0),                   # ties ignored
    lambda s, a: _auc_pairs(s, a, tie=1.0),                   # ties counted as wins
    lambda s, a: 1 - _auc_pairs(s, a),                        # classes swapped
    lambda s, a: np.mean((s > np.median(s)) == a),            # accuracy at the median
])
def test_auc_check_rejects_wrong_answers(wrong):
    with pytest.raises(AssertionError):
        check_auc(wrong)


@pytest.mark.parametrize("right", [_auc_pairs, _auc_ranks])
def test_auc_check_accepts_correct_variants(right):
    check_auc(right)


def test_stub_fails_every_check():
    def stub(*args):
        raise NotImplementedError("your code here")

    for check in (check_pca, check_psnr, check_threshold, check_auc):
        with pytest.raises(NotImplementedError):
            check(stub)
