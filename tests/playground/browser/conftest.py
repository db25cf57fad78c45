"""What the browser tests share: the served bundled app, one Chromium page per test file, and small helpers.

A person in a real browser (Debian's Chromium, driven by Playwright), each tab clicked through, one file per tab.
Screenshots land in docs/screenshots/ (the README shows them). Skipped when /usr/bin/chromium is missing;
test.sh installs it when it can.
"""
import os
import tempfile
from pathlib import Path

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("NO_PROXY", "127.0.0.1,localhost")
os.environ.setdefault("GRADIO_TEMP_DIR", tempfile.mkdtemp(prefix="gradio-test-"))

import pytest  # noqa: E402

from browser_helpers import CHROMIUM  # noqa: E402

playwright_api = pytest.importorskip("playwright.sync_api")


@pytest.fixture(scope="module")
def app_url(serve_app):
    return serve_app("bundled").url


@pytest.fixture(scope="module")
def page(app_url):
    with playwright_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"])
        pg = browser.new_page(viewport={"width": 1400, "height": 1000})
        pg.set_default_timeout(120_000)
        pg.goto(app_url)
        pg.wait_for_selector("#prompt textarea")
        yield pg
        browser.close()


def pytest_collection_modifyitems(config, items):
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.browser)
            item.add_marker(pytest.mark.slow)
            if not Path(CHROMIUM).exists():
                item.add_marker(pytest.mark.skip(reason="needs Debian's chromium (/usr/bin/chromium)"))
