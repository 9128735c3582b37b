"""Tests of course_utils.core: device choice, seeding, scratch folder, environment report."""
from __future__ import annotations

import random

import numpy as np
import pytest
import torch

from course_utils import core


@pytest.fixture
def no_device_env(monkeypatch):
    monkeypatch.delenv("COURSE_DEVICE", raising=False)


def test_get_device_prefer_cpu(no_device_env):
    assert core.get_device("cpu") == torch.device("cpu")


def test_get_device_reads_course_device(monkeypatch):
    monkeypatch.setenv("COURSE_DEVICE", "cpu")
    assert core.get_device() == torch.device("cpu")


def test_get_device_prefer_beats_environment(monkeypatch):
    monkeypatch.setenv("COURSE_DEVICE", "cuda")
    assert core.get_device(prefer="cpu") == torch.device("cpu")


def test_get_device_default_follows_availability(no_device_env, monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: False)
    assert core.get_device() == torch.device("cpu")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert core.get_device() == torch.device("cuda")


@pytest.mark.parametrize("name", ["gpu", "CPU", "tpu", "cuda:0"])
def test_get_device_invalid_name(no_device_env, name):
    with pytest.raises(ValueError, match="device must be one of"):
        core.get_device(name)


def test_get_device_invalid_environment_value(monkeypatch):
    monkeypatch.setenv("COURSE_DEVICE", "gpu")
    with pytest.raises(ValueError, match="'gpu'"):
        core.get_device()


def test_get_device_unavailable_cuda(no_device_env, monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(RuntimeError, match="not available"):
        core.get_device("cuda")


def test_seed_everything_repeats_draws():
    def draws():
        return random.random(), np.random.rand(5), torch.rand(5)

    core.seed_everything(123)
    a = draws()
    core.seed_everything(123)
    b = draws()
    core.seed_everything(124)
    c = draws()
    assert a[0] == b[0] and np.array_equal(a[1], b[1]) and torch.equal(a[2], b[2])
    assert a[0] != c[0] and not np.array_equal(a[1], c[1]) and not torch.equal(a[2], c[2])


@pytest.mark.parametrize("seed", [-1, 1.5, "0", None])
def test_seed_everything_rejects_bad_seed(seed):
    with pytest.raises(ValueError, match="non-negative int"):
        core.seed_everything(seed)


def test_scratch_dir_under_course_scratch(monkeypatch, tmp_path):
    monkeypatch.setenv("COURSE_SCRATCH", str(tmp_path / "scratch"))
    path = core.scratch_dir("logs", "run1")
    assert path == tmp_path / "scratch" / "logs" / "run1"
    assert path.is_dir()
    assert core.scratch_dir("logs", "run1") == path   # existing folder is fine


def test_scratch_dir_root(monkeypatch, tmp_path):
    monkeypatch.setenv("COURSE_SCRATCH", str(tmp_path))
    assert core.scratch_dir() == tmp_path


def test_data_dir_is_inside_repo():
    assert core.DATA_DIR.parent == core.REPO_ROOT
    assert (core.REPO_ROOT / "course_utils" / "core.py").is_file()


def test_environment_report(monkeypatch):
    monkeypatch.setenv("COURSE_DEVICE", "cpu")
    report = core.environment_report()
    assert set(report) == {"python", "torch", "torchvision", "numpy", "pandas", "matplotlib",
                           "scikit-learn", "device", "torch threads"}
    assert all(isinstance(v, str) and v for v in report.values())
    assert report["torch"] == torch.__version__
    assert report["numpy"] == np.__version__
    assert report["device"] == "cpu"
    assert int(report["torch threads"]) == torch.get_num_threads()


def test_importing_course_utils_keeps_albumentations_offline():
    """Albumentations checks PyPI for updates on import unless told not to; the course
    must not touch the network at run time (the setup cell imports course_utils first)."""
    import os
    import subprocess
    import sys

    code = ("import socket\n"
            "def refuse(*args, **kwargs):\n"
            "    raise SystemExit('network used: ' + repr(args))\n"
            "socket.socket.connect = refuse\n"
            "socket.create_connection = refuse\n"
            "import course_utils\n"
            "import albumentations\n")
    env = {k: v for k, v in os.environ.items() if k != "NO_ALBUMENTATIONS_UPDATE"}
    proc = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.strip() == "", proc.stderr


BAD_INPUTS = [
    (core.get_device, ("gpu",), {}, ValueError, "prefer"),
    (core.get_device, (0,), {}, TypeError, "prefer"),
    (core.seed_everything, (-1,), {}, ValueError, "seed"),
    (core.seed_everything, ("0",), {}, ValueError, "seed"),
    (core.scratch_dir, ("/tmp/course_scratch_escape",), {}, ValueError, "parts"),
    (core.scratch_dir, ("logs", "../../outside"), {}, ValueError, "parts"),
    (core.scratch_dir, (3,), {}, TypeError, "parts"),
]


def test_scratch_dir_refuses_absolute_path_without_creating_it(monkeypatch, tmp_path):
    monkeypatch.setenv("COURSE_SCRATCH", str(tmp_path / "scratch"))
    outside = tmp_path / "outside"
    with pytest.raises(ValueError, match="absolute path"):
        core.scratch_dir(str(outside))
    assert not outside.exists()


@pytest.mark.parametrize("fn, args, kwargs, exc, name", BAD_INPUTS)
def test_bad_inputs(fn, args, kwargs, exc, name):
    with pytest.raises(exc, match=name):
        fn(*args, **kwargs)
