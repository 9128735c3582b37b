"""Tests of course_utils.data: image tensors, photos, digits, splits, loaders, shapes datasets."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from sklearn.datasets import load_digits as sk_load_digits
from torch.utils.data import Subset, TensorDataset
from torchvision.transforms.v2 import functional as TF

from course_utils import data, shapes


@pytest.fixture(scope="module")
def digit_splits():
    return data.digits_datasets()


@pytest.fixture(scope="module")
def scenes():
    return shapes.make_shapes_scenes(6, seed=11)


# --- image_to_tensor --------------------------------------------------------------------

@pytest.mark.parametrize("shape", [(5, 7, 3), (5, 7), (4, 6, 1), (4, 6, 4)])
def test_image_to_tensor_matches_torchvision(shape):
    image = np.random.default_rng(0).integers(0, 256, size=shape, dtype=np.uint8)
    expected = TF.to_dtype(TF.to_image(image), torch.float32, scale=True)
    got = data.image_to_tensor(image)
    assert got.dtype == torch.float32
    assert got.shape == expected.shape
    torch.testing.assert_close(got, expected.as_subclass(torch.Tensor))


def test_image_to_tensor_range():
    image = np.array([[0, 255]], dtype=np.uint8)
    assert data.image_to_tensor(image).tolist() == [[[0.0, 1.0]]]


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int64, np.uint16])
def test_image_to_tensor_rejects_non_uint8(dtype):
    with pytest.raises(TypeError, match="uint8"):
        data.image_to_tensor(np.zeros((4, 4, 3), dtype=dtype))


@pytest.mark.parametrize("shape", [(4,), (1, 4, 4, 3), ()])
def test_image_to_tensor_rejects_bad_ndim(shape):
    with pytest.raises(ValueError, match=r"\(H, W\)"):
        data.image_to_tensor(np.zeros(shape, dtype=np.uint8))


# --- load_photo -------------------------------------------------------------------------

@pytest.mark.parametrize("name", data.PHOTOS)
def test_load_photo(name):
    from skimage import data as skdata

    photo = data.load_photo(name)
    reference = getattr(skdata, name)()
    assert photo.dtype == np.uint8
    if reference.ndim == 3:
        assert photo.shape == reference.shape[:2] + (3,)
        np.testing.assert_array_equal(photo, reference[..., :3])
    else:
        assert photo.shape == reference.shape
        expected = reference.astype(np.uint8) * 255 if reference.dtype == bool else reference
        np.testing.assert_array_equal(photo, expected)


@pytest.mark.parametrize("name, max_side", [("chelsea", 100), ("camera", 64), ("horse", 50)])
def test_load_photo_max_side(name, max_side):
    full = data.load_photo(name)
    small = data.load_photo(name, max_side=max_side)
    assert small.dtype == np.uint8 and small.ndim == full.ndim
    assert max(small.shape[:2]) == max_side
    ratio = full.shape[0] / full.shape[1]
    assert small.shape[0] / small.shape[1] == pytest.approx(ratio, rel=0.05)
    assert abs(float(small.mean()) - float(full.mean())) < 3          # same photo, smaller
    assert data.load_photo(name, max_side=10_000).shape == full.shape  # never enlarged


@pytest.mark.parametrize("max_side", [0, 7, 64.0])
def test_load_photo_bad_max_side(max_side):
    with pytest.raises(ValueError, match="max_side"):
        data.load_photo("astronaut", max_side=max_side)


def test_load_photo_unknown_name():
    with pytest.raises(ValueError, match="unknown photo 'lena'"):
        data.load_photo("lena")


# --- load_digits ------------------------------------------------------------------------

def test_load_digits_shapes_and_range():
    X, y = data.load_digits(16)
    assert X.shape == (1797, 1, 16, 16) and X.dtype == torch.float32
    assert y.shape == (1797,) and y.dtype == torch.int64
    assert X.min() >= 0 and X.max() <= 1
    assert set(y.tolist()) == set(range(10))


def test_load_digits_size8_equals_sklearn():
    bunch = sk_load_digits()
    X, y = data.load_digits(8)
    np.testing.assert_allclose(X[:, 0].numpy(), bunch.images / 16.0, rtol=0, atol=1e-7)
    np.testing.assert_array_equal(y.numpy(), bunch.target)


def test_load_digits_upsampled_matches_downsampled_back():
    """Averaging each 4x4 block of the 32x32 digits recovers the 8x8 originals closely."""
    bunch = sk_load_digits()
    X, _ = data.load_digits(32)
    pooled = torch.nn.functional.avg_pool2d(X, 4)[:, 0].numpy()
    original = bunch.images / 16.0
    corr = np.corrcoef(pooled.ravel(), original.ravel())[0, 1]
    assert corr > 0.97, corr


def test_load_digits_returns_copies():
    X, _ = data.load_digits(8)
    X.zero_()
    assert data.load_digits(8)[0].max() > 0


@pytest.mark.parametrize("size", [7, 129, 16.0, "32"])
def test_load_digits_bad_size(size):
    with pytest.raises(ValueError, match="size must be an int"):
        data.load_digits(size)


# --- digits_datasets --------------------------------------------------------------------

def test_digits_datasets_sizes(digit_splits):
    train, test = digit_splits
    assert isinstance(train, TensorDataset) and isinstance(test, TensorDataset)
    assert (len(train), len(test)) == (1347, 450)
    assert train.tensors[0].shape[1:] == (1, 32, 32)
    _, y = data.load_digits(32)
    together = torch.cat([train.tensors[1], test.tensors[1]])
    assert torch.equal(torch.bincount(together), torch.bincount(y))


def test_digits_datasets_match_sklearn_split(digit_splits):
    from sklearn.model_selection import train_test_split

    X, y = data.load_digits(32)
    idx_train, idx_test = train_test_split(np.arange(1797), test_size=0.25, random_state=0,
                                           stratify=y.numpy())
    train, test = digit_splits
    torch.testing.assert_close(train.tensors[0], X[np.sort(idx_train)])
    torch.testing.assert_close(test.tensors[0], X[np.sort(idx_test)])
    torch.testing.assert_close(test.tensors[1], y[np.sort(idx_test)])
    assert not set(idx_train) & set(idx_test)                    # disjoint
    assert len(idx_train) + len(idx_test) == len(y)              # and complete


def test_digits_datasets_stratified(digit_splits):
    train, test = digit_splits
    _, y = data.load_digits(32)
    full = np.bincount(y.numpy(), minlength=10) / len(y)
    for ds in (train, test):
        share = np.bincount(ds.tensors[1].numpy(), minlength=10) / len(ds)
        np.testing.assert_allclose(share, full, atol=0.005)


def test_digits_datasets_classes_relabel():
    train, test = data.digits_datasets(size=8, classes=range(5, 10))
    full_train, full_test = data.digits_datasets(size=8)
    for ds, full in ((train, full_train), (test, full_test)):
        keep = full.tensors[1] >= 5
        torch.testing.assert_close(ds.tensors[0], full.tensors[0][keep])
        torch.testing.assert_close(ds.tensors[1], full.tensors[1][keep] - 5)
        assert set(ds.tensors[1].tolist()) == set(range(5))


def test_digits_datasets_classes_order():
    train, _ = data.digits_datasets(size=8, classes=[7, 2])
    full, _ = data.digits_datasets(size=8)
    original = full.tensors[1][(full.tensors[1] == 7) | (full.tensors[1] == 2)]
    expected = torch.where(original == 7, 0, 1)
    torch.testing.assert_close(train.tensors[1], expected)


@pytest.mark.parametrize("classes", [[], [1, 1], [3, 10], [-1, 2]])
def test_digits_datasets_bad_classes(classes):
    with pytest.raises(ValueError, match="classes must be distinct digits"):
        data.digits_datasets(size=8, classes=classes)


@pytest.mark.parametrize("test_size", [0.0, 1.0, -0.1, 1.5])
def test_digits_datasets_bad_test_size(test_size):
    with pytest.raises(ValueError, match="test_size"):
        data.digits_datasets(size=8, test_size=test_size)


# --- labels_of / few_labels -------------------------------------------------------------

def test_labels_of(digit_splits, scenes):
    train, _ = digit_splits
    assert torch.equal(data.labels_of(train), train.tensors[1])
    sub = Subset(train, [5, 2, 9])
    assert data.labels_of(sub).tolist() == [int(train.tensors[1][i]) for i in (5, 2, 9)]
    ds = data.ShapesDataset(scenes)
    assert data.labels_of(ds).tolist() == scenes.class_labels().tolist()
    with pytest.raises(TypeError, match="TensorDataset"):
        data.labels_of([1, 2, 3])


def test_few_labels_exact_count_per_class(digit_splits):
    train, _ = digit_splits
    sub = data.few_labels(train, per_class=3, seed=1)
    assert isinstance(sub, Subset) and len(sub) == 30
    labels = data.labels_of(sub)
    assert np.bincount(labels.numpy(), minlength=10).tolist() == [3] * 10
    assert sub.indices == sorted(set(sub.indices))
    assert data.few_labels(train, 3, seed=1).indices == sub.indices
    assert data.few_labels(train, 3, seed=2).indices != sub.indices


def test_few_labels_too_few():
    ds = TensorDataset(torch.zeros(5, 2), torch.tensor([0, 0, 0, 1, 1]))
    with pytest.raises(ValueError, match="class 1 has only 2 examples, 3 requested"):
        data.few_labels(ds, per_class=3)


@pytest.mark.parametrize("per_class", [0, -1, 1.5])
def test_few_labels_bad_per_class(per_class):
    ds = TensorDataset(torch.zeros(6, 2), torch.tensor([0, 0, 0, 1, 1, 1]))
    with pytest.raises(ValueError, match="per_class"):
        data.few_labels(ds, per_class=per_class)


# --- loaders ----------------------------------------------------------------------------

def _order(loader):
    return torch.cat([y for _, y in loader])


def test_make_loaders_seeded():
    ds = TensorDataset(torch.arange(50).float()[:, None], torch.arange(50))
    a_train, a_test = data.make_loaders(ds, ds, batch_size=8, seed=3)
    b_train, _ = data.make_loaders(ds, ds, batch_size=8, seed=3)
    c_train, _ = data.make_loaders(ds, ds, batch_size=8, seed=4)
    first = _order(a_train)
    assert torch.equal(first, _order(b_train))
    assert not torch.equal(first, _order(c_train))
    assert sorted(first.tolist()) == list(range(50))
    assert not torch.equal(first, torch.arange(50))            # shuffled
    assert torch.equal(_order(a_test), torch.arange(50))       # test in order
    assert len(next(iter(a_train))[1]) == 8


@pytest.mark.parametrize("batch_size", [0, -2, 8.0])
def test_make_loaders_bad_batch_size(batch_size):
    ds = TensorDataset(torch.zeros(4, 1), torch.zeros(4))
    with pytest.raises(ValueError, match="batch_size"):
        data.make_loaders(ds, ds, batch_size=batch_size)


# --- train_val_split --------------------------------------------------------------------

def test_train_val_split_partitions_and_stratifies(digit_splits):
    train, _ = digit_splits
    fit, val = data.train_val_split(train, val_size=0.2, seed=0)
    assert isinstance(fit, Subset) and isinstance(val, Subset)
    assert set(fit.indices).isdisjoint(val.indices)
    assert sorted(fit.indices + val.indices) == list(range(len(train)))
    assert fit.indices == sorted(fit.indices) and val.indices == sorted(val.indices)
    assert len(val) == int(np.ceil(0.2 * len(train)))
    y = train.tensors[1].numpy()
    share_all = np.bincount(y, minlength=10) / len(y)
    share_val = np.bincount(y[val.indices], minlength=10) / len(val)
    assert np.abs(share_all - share_val).max() < 0.01       # stratified: same class shares
    assert torch.equal(data.labels_of(val), train.tensors[1][val.indices])


def test_train_val_split_seeded(digit_splits):
    train, _ = digit_splits
    assert data.train_val_split(train, 0.25, seed=3)[1].indices == \
        data.train_val_split(train, 0.25, seed=3)[1].indices
    assert data.train_val_split(train, 0.25, seed=3)[1].indices != \
        data.train_val_split(train, 0.25, seed=4)[1].indices


def test_train_val_split_of_a_subset(digit_splits):
    train, _ = digit_splits
    few = data.few_labels(train, per_class=10, seed=0)
    fit, val = data.train_val_split(few, val_size=0.5, seed=0)
    assert np.bincount(data.labels_of(val).numpy(), minlength=10).tolist() == [5] * 10
    assert len(fit) == 50


@pytest.mark.parametrize("val_size", [0.0, 1.0, -0.1, 1, True, "0.2"])
def test_train_val_split_bad_val_size(digit_splits, val_size):
    with pytest.raises(ValueError, match="val_size"):
        data.train_val_split(digit_splits[0], val_size=val_size)


def test_train_val_split_needs_labels():
    with pytest.raises(TypeError, match="TensorDataset"):
        data.train_val_split([(torch.zeros(1), 0)] * 10)


def test_load_data_digits():
    train_loader, test_loader = data.load_data_digits(batch_size=100, size=8, classes=range(5))
    X, y = next(iter(train_loader))
    assert X.shape == (100, 1, 8, 8) and y.max() <= 4
    assert len(test_loader.dataset) == len(data.digits_datasets(size=8, classes=range(5))[1])


# --- ShapesDataset ----------------------------------------------------------------------

def test_shapes_dataset_classification(scenes):
    ds = data.ShapesDataset(scenes, "classification")
    assert len(ds) == len(scenes)
    image, label = ds[2]
    assert image.shape == (3, 64, 64) and image.dtype == torch.float32
    assert 0 <= image.min() and image.max() <= 1
    torch.testing.assert_close(image, data.image_to_tensor(scenes.images[2]))
    assert label.dtype == torch.int64 and label.shape == ()
    assert int(label) == scenes.labels[2][0] - 1


def test_shapes_dataset_multilabel(scenes):
    _, target = data.ShapesDataset(scenes, "multilabel")[1]
    assert target.dtype == torch.float32 and target.shape == (3,)
    assert target.tolist() == scenes.multilabel_targets()[1].tolist()


def test_shapes_dataset_segmentation(scenes):
    _, mask = data.ShapesDataset(scenes, "segmentation")[0]
    assert mask.dtype == torch.int64 and mask.shape == (64, 64)
    assert np.array_equal(mask.numpy(), scenes.masks[0])


def test_shapes_dataset_detection(scenes):
    _, target = data.ShapesDataset(scenes, "detection")[3]
    k = len(scenes.labels[3])
    assert set(target) == {"boxes", "labels", "masks"}
    assert target["boxes"].dtype == torch.float32 and target["boxes"].shape == (k, 4)
    assert target["labels"].dtype == torch.int64 and target["labels"].shape == (k,)
    assert target["masks"].dtype == torch.bool and target["masks"].shape == (k, 64, 64)
    assert target["labels"].min() >= 1


def test_shapes_dataset_bad_task(scenes):
    with pytest.raises(ValueError, match="task must be one of"):
        data.ShapesDataset(scenes, "regression")


def test_detection_collate(scenes):
    ds = data.ShapesDataset(scenes, "detection")
    images, targets = data.detection_collate([ds[0], ds[1], ds[2]])
    assert images.shape == (3, 3, 64, 64)
    assert isinstance(targets, list) and len(targets) == 3
    assert torch.equal(targets[1]["boxes"], ds[1][1]["boxes"])
    train_loader, _ = data.make_loaders(ds, ds, batch_size=4, collate_fn=data.detection_collate)
    batch_images, batch_targets = next(iter(train_loader))
    assert batch_images.shape == (4, 3, 64, 64) and len(batch_targets) == 4


# --- bad inputs (collected by tests/test_bad_inputs.py) ---------------------------------

_RGB = np.zeros((8, 6, 3), dtype=np.uint8)
_DS = TensorDataset(torch.zeros(6, 2), torch.tensor([0, 1, 0, 1, 0, 1]))

BAD_INPUTS = [
    (data.image_to_tensor, (_RGB.transpose(2, 0, 1),), {}, ValueError, "image"),
    (data.image_to_tensor, (torch.from_numpy(_RGB.transpose(2, 0, 1)),), {}, ValueError, "image"),
    (data.image_to_tensor, (_RGB / 255.0,), {}, TypeError, "image"),
    (data.load_photo, ("lena",), {}, ValueError, "name"),
    (data.load_photo, ("camera",), {"max_side": 4}, ValueError, "max_side"),
    (data.load_digits, (4,), {}, ValueError, "size"),
    (data.digits_datasets, (), {"test_size": "0.2"}, TypeError, "test_size"),
    (data.digits_datasets, (), {"classes": 5}, TypeError, "classes"),
    (data.digits_datasets, (), {"classes": "01234"}, TypeError, "classes"),
    (data.digits_datasets, (), {"seed": -1}, ValueError, "seed"),
    (data.train_val_split, (_DS,), {"val_size": 20}, ValueError, "val_size"),
    (data.train_val_split, (torch.zeros(6, 2),), {}, TypeError, "dataset"),
    (data.load_data_digits, (0,), {}, ValueError, "batch_size"),
    (data.make_loaders, (torch.zeros(6, 2), _DS), {}, TypeError, "train"),
    (data.make_loaders, (_DS, _DS), {"seed": 1.5}, TypeError, "seed"),
    (data.labels_of, ([(torch.zeros(2), 0)],), {}, TypeError, "dataset"),
    (data.few_labels, (_DS, 0), {}, ValueError, "per_class"),
    (data.ShapesDataset, (shapes.make_shapes_scenes(1).images,), {}, TypeError, "scenes"),
    (data.ShapesDataset, (shapes.make_shapes_scenes(1), "boxes"), {}, ValueError, "task"),
    (data.detection_collate, ([],), {}, ValueError, "batch"),
    (data.detection_collate, ([torch.zeros(3, 4, 4)],), {}, ValueError, "batch"),
]


@pytest.mark.parametrize("fn, args, kwargs, exc, name", BAD_INPUTS)
def test_bad_inputs(fn, args, kwargs, exc, name):
    with pytest.raises(exc, match=name):
        fn(*args, **kwargs)


def test_image_to_tensor_accepts_uint8_hwc_tensor():
    image = np.random.default_rng(1).integers(0, 256, size=(5, 7, 3), dtype=np.uint8)
    torch.testing.assert_close(data.image_to_tensor(torch.from_numpy(image)), data.image_to_tensor(image))
