"""Build the read-only static site of the course from the stored notebook outputs.

    ./course site            # -> scratch/site/index.html (git-ignored)

Sphinx with myst-nb (what Jupyter Book 1 is made of) and sphinx-book-theme renders
every executed notebook without running it, plus an index with the course map and the
glossary. Nothing loads from the internet: plotly.js is copied from the plotly package
into the site, Plotly figures become HTML that calls it, the ipywidgets CDN scripts are
switched off (widget state is not stored), and the theme's fonts are its own files.
"""
from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
PLOTLY = "application/vnd.plotly.v1+json"
CONF = '''
project = "Computer vision and data visualization"
author = "the course authors"
extensions = ["myst_nb"]
html_theme = "sphinx_book_theme"
html_title = project
html_static_path = ["_static"]
html_js_files = ["plotly.min.js"]
html_theme_options = {"home_page_in_toc": True, "show_toc_level": 2}
html_context = {"default_mode": "light"}
html_last_updated_fmt = None
nb_execution_mode = "off"         # stored outputs, exactly as nbval tested them
nb_ipywidgets_js = {}             # no require.js / widget bundle from a CDN
nb_merge_streams = True
myst_enable_extensions = ["colon_fence"]
exclude_patterns = ["_build"]
suppress_warnings = ["mystnb.unknown_mime_type", "myst.header", "misc.highlighting_failure"]
'''


def notebooks() -> list[Path]:
    return sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))


def _title(path: Path) -> str:
    first = nbformat.read(path, as_version=4).cells[0].source.splitlines()[0]
    return first.lstrip("# ").strip()


def plotly_to_html(nb: nbformat.NotebookNode) -> int:
    """Give every Plotly output an HTML view that draws it with the site's plotly.js."""
    count = 0
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            fig = out.get("data", {}).get(PLOTLY)
            if fig is None:
                continue
            count += 1
            div = f"plotly-{count}"
            spec = json.dumps({"data": fig.get("data", []), "layout": fig.get("layout", {})})
            out["data"]["text/html"] = (
                f'<div id="{div}" class="plotly-graph-div" style="width:100%;height:460px"></div>'
                f'<script>Plotly.newPlot("{div}", ...(s => [s.data, s.layout])({spec}), '
                f'{{responsive: true, displaylogo: false}});</script>')
            del out["data"][PLOTLY]
            out["data"].pop("image/png", None)   # the static copy is for GitHub/nbviewer only
    return count


def index_page(paths: list[Path]) -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    intro = readme.split("\n## ")[0].split("\n", 1)[1].strip()
    rows = "\n".join(f"| [{_title(p)}](notebooks/{p.stem}) |" for p in paths)
    toc = "\n".join(f"notebooks/{p.stem}" for p in paths)
    return (f"# Computer vision and data visualization\n\n{intro}\n\n"
            f"## Course map\n\n| lecture |\n|---|\n{rows}\n\n"
            f"See also the [glossary](notebooks/glossary.md) of key terms (English and Korean).\n\n"
            f"```{{toctree}}\n:hidden:\n:maxdepth: 1\n\n{toc}\nnotebooks/glossary\n```\n")


def build(out: Path, src: Path) -> dict:
    start = time.perf_counter()
    shutil.rmtree(src, ignore_errors=True)
    (src / "notebooks").mkdir(parents=True)
    (src / "_static").mkdir()
    import plotly

    shutil.copy(Path(plotly.__file__).parent / "package_data" / "plotly.min.js", src / "_static")
    (src / "conf.py").write_text(CONF, encoding="utf-8")
    paths = notebooks()
    figures = 0
    for path in paths:
        nb = nbformat.read(path, as_version=4)
        figures += plotly_to_html(nb)
        for cell in nb.cells:  # links that leave the notebooks folder point into the site
            if cell.cell_type == "markdown":
                cell.source = cell.source.replace("](../README.md", "](../index.md")
        nbformat.write(nb, src / "notebooks" / path.name)
    glossary = (ROOT / "notebooks" / "glossary.md").read_text(encoding="utf-8")
    (src / "notebooks" / "glossary.md").write_text(glossary, encoding="utf-8")
    (src / "index.md").write_text(index_page(paths), encoding="utf-8")
    shutil.rmtree(out, ignore_errors=True)
    proc = subprocess.run([sys.executable, "-m", "sphinx", "-b", "html", "-q", "-j", "2", str(src), str(out)],
                          capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"sphinx-build failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
    size = sum(f.stat().st_size for f in out.rglob("*") if f.is_file())
    return {"pages": len(paths) + 2, "plotly_figures": figures, "seconds": round(time.perf_counter() - start, 1),
            "size_mb": round(size / 2**20, 1), "warnings": proc.stderr.strip()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=ROOT / "scratch" / "site")
    args = parser.parse_args()
    info = build(args.out, ROOT / "scratch" / "site-src")
    if info["warnings"]:
        print(info["warnings"], file=sys.stderr)
    print(f"built {info['pages']} pages ({info['plotly_figures']} Plotly figures) in {info['seconds']} s, "
          f"{info['size_mb']} MB: {args.out / 'index.html'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
