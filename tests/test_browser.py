"""Every page of the built book in a real browser: headless Chromium, offline, on 127.0.0.1."""

from __future__ import annotations

import functools
import http.server
import shutil
import threading
from pathlib import Path

import pytest

from tests.test_book import toc_files

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(
    CHROMIUM is None,
    reason="browser test skipped: Debian's `chromium` is not installed "
           "(sudo apt-get install chromium); .ci/run installs it")
# Generous: typesetting hundreds of formulas on a busy 2-core machine takes tens of seconds.
TIMEOUT_MS = 120_000
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="module")
def site(built_book: Path):
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(built_book))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        profile = tmp_path_factory.mktemp("chromium-profile")
        context = p.chromium.launch_persistent_context(
            str(profile), executable_path=CHROMIUM, headless=True, args=FLAGS)
        yield context
        context.close()


@pytest.mark.parametrize("page_name", toc_files())
def test_page_renders(site, browser, page_name):
    page = browser.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(f"uncaught: {exc}"))
    # A failed load is reported by URL below; the console repeats it without the URL.
    page.on("console", lambda msg: errors.append(f"console: {msg.text}")
            if msg.type == "error" and not msg.text.startswith("Failed to load resource") else None)
    page.on("response", lambda r: errors.append(f"HTTP {r.status}: {r.url}")
            if r.status >= 400 and not r.url.endswith("/favicon.ico") else None)
    page.on("requestfailed", lambda r: errors.append(f"request failed: {r.url}"))
    # "load" waits for every image; "networkidle" is not used: on some pages it never fires
    # although no request is pending.
    page.goto(f"{site}/{page_name}.html", wait_until="load")

    has_math = page.locator(".math, .tex2jax_process, div.math, span.math").count() > 0
    if has_math:
        # MathJax typesets in the background: wait until it says it is done.
        page.wait_for_function("() => window.MathJax && MathJax.startup && MathJax.startup.promise")
        page.evaluate("() => MathJax.startup.promise.then(() => true)")
        raw = page.evaluate("() => [...document.querySelectorAll('span.math, div.math')]"
                            ".filter(e => !e.querySelector('mjx-container')).length")
        assert raw == 0, f"{page_name}: {raw} formulas were not typeset"

    broken = page.evaluate("() => [...document.images].filter(i => !i.complete || "
                           "i.naturalWidth === 0).map(i => i.src)")
    assert not broken, f"{page_name}: images that did not load: {broken}"

    toggles = page.locator(".solution button.toggle-button, details.solution > summary")
    for i in range(toggles.count()):
        toggles.nth(i).click()
    if toggles.count():
        hidden = page.evaluate("() => [...document.querySelectorAll('.solution')]"
                               ".filter(e => e.classList.contains('toggle-hidden')).length")
        assert hidden == 0, f"{page_name}: a solution dropdown did not open"

    assert not errors, f"{page_name}: JavaScript errors: {errors}"
    page.close()
