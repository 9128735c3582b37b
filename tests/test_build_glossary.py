"""Tests of scripts/build_glossary.py: which marked terms it finds and how it writes them."""
from __future__ import annotations

import importlib.util
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("build_glossary", ROOT / "scripts" / "build_glossary.py")
glossary = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(glossary)


@pytest.mark.parametrize("markdown, expected", [
    ("A **receptive field** (수용 영역) grows.", [("receptive field", "수용 영역")]),
    # the bold term wraps a line of markdown
    ("the **region proposal\nnetwork** (RPN, 영역 제안 네트워크). Stage one",
     [("region proposal network", "RPN, 영역 제안 네트워크")]),
    # the parenthesis wraps a line, and there is a line break before it
    ("**Hungarian matching**\n(헝가리안\n매칭) pairs", [("Hungarian matching", "헝가리안 매칭")]),
    # nested parentheses inside a code span, which is dropped
    ("**Global\naverage pooling** (전역 평균 풀링, GAP; `nn.AdaptiveAvgPool2d(1)`) averages",
     [("global average pooling", "전역 평균 풀링, GAP")]),
    # an explanation after a colon is not part of the Korean name
    ("**hover** (호버: rest the pointer on a point)", [("hover", "호버")]),
    # a parenthesis without Korean is not a glossary entry; bold without parenthesis neither
    ("**ReLU** (a non-saturating activation) and **dropout** (드롭아웃)", [("dropout", "드롭아웃")]),
    ("**bold** text, then (괄호) later", []),
    ("**first** (첫째) and **second**\n(둘째)", [("first", "첫째"), ("second", "둘째")]),
])
def test_terms_in(markdown, expected):
    assert glossary.terms_in(markdown) == expected


def test_unclosed_parenthesis_is_skipped():
    assert glossary.terms_in("**term** (한국어, never closed") == []


@pytest.mark.parametrize("term, expected", [
    ("Padding", "padding"), ("Self-training", "self-training"), ("Min-max scaling", "min-max scaling"),
    ("Non-maximum suppression", "non-maximum suppression"), ("GAP", "GAP"), ("IoU", "IoU"),
    ("RoI pooling", "RoI pooling"), ("Sobel filter", "Sobel filter"),
    ("Hungarian matching", "Hungarian matching"), ("Pearson correlation", "Pearson correlation"),
    ("k-NN", "k-NN"), ("ReLU", "ReLU"),
])
def test_term_case(term, expected):
    assert glossary._term_case(term) == expected


def _notebook(path: Path, *markdowns: str) -> None:
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(m) for m in markdowns]
                                  + [nbformat.v4.new_code_cell("x = '**code** (코드)'")])
    nbformat.write(nb, path)


def test_collect_first_notebook_wins_and_sorts(tmp_path):
    _notebook(tmp_path / "01_a.ipynb", "**Global\naverage pooling** (전역 평균 풀링, GAP)",
              "**kernel** (커널)")
    _notebook(tmp_path / "06_b.ipynb", "**global average pooling** (전역 평균 풀링)",
              "**Anchor box** (앵커 박스)")
    (tmp_path / "notes.ipynb").write_text("not a course notebook")
    terms = glossary.collect(tmp_path)
    assert list(terms) == ["anchor box", "global average pooling", "kernel"]
    assert terms["global average pooling"] == ("global average pooling", "전역 평균 풀링, GAP",
                                               "01_a.ipynb")
    assert terms["anchor box"][2] == "06_b.ipynb"
    assert "code" not in terms                        # code cells are not searched


def test_render_has_one_row_per_term():
    text = glossary.render()
    rows = [line for line in text.splitlines() if line.startswith("| ") and "---" not in line][1:]
    assert len(rows) == len(glossary.collect())
    assert text.startswith("# Glossary (용어집)")
