"""Tests of course_utils.results: value beside floor, assertion below it, JSON record."""
from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from course_utils import results


@pytest.fixture(autouse=True)
def no_results_file(monkeypatch):
    monkeypatch.delenv("COURSE_RESULTS_FILE", raising=False)


def test_expect_at_least_prints_value_beside_floor(capsys):
    results.expect_at_least("test accuracy", 0.9731, 0.95)
    assert capsys.readouterr().out == "test accuracy: 0.973 (floor 0.950) ok\n"


def test_expect_at_least_equal_to_floor_passes(capsys):
    results.expect_at_least("acc", 0.95, 0.95)
    assert capsys.readouterr().out.endswith("ok\n")


def test_expect_at_least_below_floor(capsys):
    with pytest.raises(AssertionError, match="acc = 0.90 is below its floor 0.95"):
        results.expect_at_least("acc", 0.9, 0.95, digits=2)
    assert "BELOW FLOOR" in capsys.readouterr().out


def test_expect_at_most(capsys):
    results.expect_at_most("loss", 0.1, 0.2)
    assert capsys.readouterr().out == "loss: 0.100 (ceiling 0.200) ok\n"
    with pytest.raises(AssertionError, match="above its ceiling"):
        results.expect_at_most("loss", 0.3, 0.2)
    assert "ABOVE CEILING" in capsys.readouterr().out


@pytest.mark.parametrize("value", [torch.tensor(0.97), np.float32(0.97), np.float64(0.97),
                                   np.array(0.97), 1, torch.tensor(1)])
def test_accepts_scalars(value, capsys):
    results.expect_at_least("acc", value, 0.5)
    assert capsys.readouterr().out == f"acc: {float(value):.3f} (floor 0.500) ok\n"
    with pytest.raises(AssertionError, match="below its floor"):
        results.expect_at_least("acc", value, 2)


@pytest.mark.parametrize("fn", [results.expect_at_least, results.expect_at_most])
def test_nan_is_an_error(fn):
    with pytest.raises(ValueError, match="NaN"):
        fn("acc", float("nan"), 0.5)
    with pytest.raises(ValueError, match="NaN"):
        fn("acc", torch.tensor(float("nan")), 0.5)


@pytest.mark.parametrize("value", ["0.9", None, True, [0.9]])
def test_non_number_is_type_error(value):
    with pytest.raises(TypeError, match="expected a number"):
        results.expect_at_least("acc", value, 0.5)


def test_bad_floor():
    with pytest.raises(TypeError, match="acc floor"):
        results.expect_at_least("acc", 0.9, "0.5")


def test_records_json_lines(monkeypatch, tmp_path, capsys):
    path = tmp_path / "results.jsonl"
    monkeypatch.setenv("COURSE_RESULTS_FILE", str(path))
    monkeypatch.setenv("COURSE_NOTEBOOK", "notebooks/01_cnn_basics.ipynb")
    results.expect_at_least("test accuracy", 0.97, 0.95)
    with pytest.raises(AssertionError):
        results.expect_at_most("loss", 0.4, 0.3)
    rows = [json.loads(line) for line in path.read_text().splitlines()]
    assert rows == [
        {"notebook": "01_cnn_basics.ipynb", "name": "test accuracy", "value": 0.97,
         "floor": 0.95, "ok": True},
        {"notebook": "01_cnn_basics.ipynb", "name": "loss", "value": 0.4,
         "ceiling": 0.3, "ok": False},
    ]


def test_unknown_notebook_name(monkeypatch, tmp_path):
    path = tmp_path / "r.jsonl"
    monkeypatch.setenv("COURSE_RESULTS_FILE", str(path))
    monkeypatch.delenv("COURSE_NOTEBOOK", raising=False)
    monkeypatch.delenv("JPY_SESSION_NAME", raising=False)
    results.expect_at_least("acc", 1.0, 0.5)
    assert json.loads(path.read_text())["notebook"] == "unknown"


def test_nothing_recorded_without_environment(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    results.expect_at_least("acc", 1.0, 0.5)
    assert list(tmp_path.iterdir()) == []


def test_claim_prints_and_passes(capsys):
    results.claim("a beats b", 0.9 > 0.8, a=0.9, b=0.8)
    assert capsys.readouterr().out == "[ok] claim: a beats b (a=0.900, b=0.800)\n"


def test_claim_fails_loudly(capsys):
    with pytest.raises(AssertionError, match="claim no longer holds: a beats b"):
        results.claim("a beats b", 0.7 > 0.8, a=0.7, b=0.8)
    assert capsys.readouterr().out.startswith("[x] claim: a beats b")


@pytest.mark.parametrize("bad", [0.9, 1, "yes", None, [True]])
def test_claim_rejects_non_bool(bad):
    with pytest.raises(TypeError, match="'holds' must be a bool"):
        results.claim("a beats b", bad)


def test_claim_accepts_numpy_and_torch_bools(capsys):
    results.claim("numpy", np.float64(2.0) > 1.0)
    results.claim("torch", torch.tensor(2.0) > 1.0)
    assert capsys.readouterr().out.count("[ok]") == 2


def test_expect_learns_halfway(capsys):
    results.expect_learns("val mIoU", 0.6, baseline=0.2, reference=0.9)
    assert capsys.readouterr().out == ("val mIoU: 0.600 (baseline 0.200, checkpoint 0.900, "
                                       "halfway 0.550) ok\n")
    with pytest.raises(AssertionError, match="not halfway"):
        results.expect_learns("val mIoU", 0.5, baseline=0.2, reference=0.9)
    assert "BELOW HALFWAY" in capsys.readouterr().out


def test_expect_learns_lower_is_better():
    results.expect_learns("loss", 0.4, baseline=1.0, reference=0.1, higher_is_better=False)
    with pytest.raises(AssertionError):
        results.expect_learns("loss", 0.8, baseline=1.0, reference=0.1, higher_is_better=False)
    with pytest.raises(ValueError, match="must be better than the baseline"):
        results.expect_learns("loss", 0.4, baseline=0.1, reference=1.0, higher_is_better=False)


def test_seed_summary_matches_numpy():
    vals = [0.81, 0.84, 0.86, 0.80]
    mean, std, se = results.seed_summary(vals)
    assert mean == pytest.approx(np.mean(vals))
    assert std == pytest.approx(np.std(vals, ddof=1))
    assert se == pytest.approx(np.std(vals, ddof=1) / 2)
    with pytest.raises(ValueError, match="at least 3 seeds"):
        results.seed_summary([0.8, 0.9])


def test_compare_seeds(capsys):
    gap = results.compare_seeds("a beats b", "a", [0.90, 0.91, 0.92], "b", [0.80, 0.81, 0.82])
    assert gap == pytest.approx(0.1)
    with pytest.raises(AssertionError):
        results.compare_seeds("a beats b", "a", [0.80, 0.90, 0.85], "b", [0.84, 0.83, 0.85])
    results.compare_seeds("no clear winner", "a", [0.80, 0.90, 0.85], "b", [0.84, 0.83, 0.85],
                          expect="inconclusive")
    assert "[ok] claim: no clear winner" in capsys.readouterr().out


# --- bad inputs (collected by tests/test_bad_inputs.py) ---------------------------------

BAD_INPUTS = [
    (results.expect_at_least, ("acc", 0.9, float("inf")), {}, ValueError, "floor"),
    (results.expect_at_least, ("acc", float("-inf"), 0.5), {}, ValueError, "value"),
    (results.expect_at_least, ("acc", [0.9, 0.8], 0.5), {}, TypeError, "value"),
    (results.expect_at_least, ("acc", torch.tensor([0.9, 0.8]), 0.5), {}, TypeError, "value"),
    (results.expect_at_least, (0.9, 0.95, 0.9), {}, TypeError, "name"),
    (results.expect_at_least, ("acc", 0.9, 0.5), {"digits": -1}, ValueError, "digits"),
    (results.expect_at_most, ("loss", 0.3, "0.5"), {}, TypeError, "ceiling"),
    (results.expect_at_most, ("loss", 0.3, float("inf")), {}, ValueError, "ceiling"),
    (results.claim, ("", True), {}, TypeError, "statement"),
    (results.claim, ("a beats b", 0.7), {}, TypeError, "holds"),
    (results.expect_learns, ("acc", 0.9), {"baseline": 0.5, "reference": 0.4}, ValueError, "reference"),
    (results.expect_learns, ("acc", 0.9), {"baseline": None, "reference": 0.95}, TypeError, "baseline"),
    (results.expect_learns, ("acc", 0.9), {"baseline": 0.1, "reference": 0.95, "higher_is_better": "yes"},
     TypeError, "higher_is_better"),
    (results.seed_summary, (0.85,), {}, TypeError, "values"),
    (results.seed_summary, ("0.8 0.9 0.85",), {}, TypeError, "values"),
    (results.seed_summary, ([0.8, 0.9],), {}, ValueError, "values"),
    (results.compare_seeds, ("a beats b", "a", [0.9, 0.91, 0.92], "b", [0.8, 0.81]), {}, ValueError, "b_values"),
    (results.compare_seeds, ("a beats b", "a", [0.9, 0.91, 0.92], "b", [0.8, 0.81, 0.82]), {"expect": "less"},
     ValueError, "expect"),
]


@pytest.mark.parametrize("fn, args, kwargs, exc, name", BAD_INPUTS)
def test_bad_inputs(fn, args, kwargs, exc, name):
    with pytest.raises(exc, match=name):
        fn(*args, **kwargs)


def test_compare_seeds_counts_seeds_given_as_generators(capsys):
    results.compare_seeds("a beats b", "a", (v for v in [0.90, 0.91, 0.92]),
                          "b", (v for v in [0.80, 0.81, 0.82]))
    assert "over 3 seeds" in capsys.readouterr().out
