"""A live Kawal on loopback and Debian's Chromium driven by Playwright."""

import threading

import pytest
from werkzeug.serving import make_server

from tests.conftest import require_or_skip

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
PHONE = {"width": 375, "height": 740}


@pytest.fixture(scope="session")
def browser():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        require_or_skip("Playwright is not installed")
    with sync_playwright() as playwright:
        try:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        except Exception as error:  # a missing or broken browser: the reason is in the message
            require_or_skip(f"Chromium cannot start: {error}")
        yield browser
        browser.close()


@pytest.fixture
def live_overrides():
    """Extra settings for the live app; a test module overrides this fixture to change them."""
    return {}


@pytest.fixture
def live_app(make_app, world, live_overrides):
    """Kawal with CSRF on, served by a real HTTP server on a free loopback port; emails link to it."""
    app = make_app(WTF_CSRF_ENABLED=True, **live_overrides)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    app.config["KAWAL_BASE_URL"] = f"http://127.0.0.1:{server.server_port}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield app
    server.shutdown()
    thread.join(timeout=5)


@pytest.fixture
def live_server(live_app):
    return live_app.config["KAWAL_BASE_URL"]


@pytest.fixture
def page(browser):
    """A fresh browser profile on a phone-sized screen, with confirm() dialogs accepted."""
    context = browser.new_context(viewport=PHONE, locale="id-ID")
    page = context.new_page()
    page.on("dialog", lambda dialog: dialog.accept())
    page.set_default_timeout(10_000)
    yield page
    context.close()
