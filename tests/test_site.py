"""The static site of the course (scripts/build_site.py) opened in headless Chromium.

Every page loads, every image is present, every Plotly figure renders, no request leaves
localhost and the console shows no error. The site is built from the stored outputs.
"""
from __future__ import annotations

import functools
import sys
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from browser import CHROMIUM_ARGS, chromium_path, free_port, is_local, playwright

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    pytest.importorskip("myst_nb", reason="the site tools come with requirements-dev.txt")
    import build_site

    out = tmp_path_factory.mktemp("site")
    info = build_site.build(out, tmp_path_factory.mktemp("site-src"))
    print(f"site: {info['pages']} pages, {info['size_mb']} MB, built in {info['seconds']} s")
    port = free_port()
    server = ThreadingHTTPServer(("127.0.0.1", port), functools.partial(QuietHandler, directory=str(out)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{port}", out, info
    server.shutdown()
    server.server_close()


def test_site_built_without_warnings(site):
    _, _, info = site
    assert not info["warnings"], info["warnings"]


def test_every_page_in_chromium(site):
    base, out, _ = site
    pages = ["index.html", "notebooks/glossary.html"] + sorted(
        f"notebooks/{p.stem}.html" for p in (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    outside, errors, problems = [], [], []
    with playwright()() as pw:
        browser = pw.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(viewport={"width": 1280, "height": 900})

            def route(r):
                if is_local(r.request.url):
                    r.continue_()
                else:
                    outside.append(r.request.url)
                    r.abort()

            context.route("**/*", route)
            page = context.new_page()
            page.on("console", lambda m: errors.append(f"{page.url}: {m.text}") if m.type == "error" else None)
            page.on("pageerror", lambda e: errors.append(f"{page.url}: {e}"))
            for name in pages:
                response = page.goto(f"{base}/{name}", wait_until="load")
                if response is None or response.status != 200:
                    problems.append(f"{name}: HTTP {response and response.status}")
                    continue
                broken = page.eval_on_selector_all(
                    "img", "imgs => imgs.filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.src)")
                if broken:
                    problems.append(f"{name}: broken images {broken[:3]}")
                n_divs = page.locator("div.plotly-graph-div").count()
                if n_divs:
                    page.wait_for_function(
                        f"document.querySelectorAll('div.plotly-graph-div .main-svg').length >= {n_divs}",
                        timeout=20000)
        finally:
            browser.close()
    assert not problems, problems
    assert not outside, f"requests left localhost: {sorted(set(outside))[:5]}"
    assert not errors, errors[:5]
