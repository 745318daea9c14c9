"""Fixtures for testing the built book the way a reader meets it: in a browser.

These tests need a built site. ``make test`` builds one and points
``OPTNOTES_SITE`` at it; without the variable they are skipped.
"""

import functools
import http.server
import os
import shutil
import threading
from pathlib import Path

import pytest

SITE = os.environ.get("OPTNOTES_SITE")
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# Chromium as root in a sandbox with no network: no sandbox, no background traffic.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def pytest_collection_modifyitems(config, items):
    if SITE:
        return
    skip = pytest.mark.skip(reason="set OPTNOTES_SITE to a built site (make test does)")
    for item in items:
        if "tests/site/" in str(item.path).replace(os.sep, "/"):
            item.add_marker(skip)


@pytest.fixture(scope="session")
def site() -> Path:
    root = Path(SITE).resolve()
    assert (root / "index.html").is_file(), f"no built site at {root}"
    return root


@pytest.fixture(scope="session")
def base_url(site):
    handler = functools.partial(QuietHandler, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def screenshots(site) -> Path:
    folder = site.parent / "screenshots"
    folder.mkdir(exist_ok=True)
    return folder
