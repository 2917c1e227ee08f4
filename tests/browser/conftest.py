"""A live Kawal on loopback and Debian's Chromium driven by Playwright; every page a journey visits is checked
with axe-core, and a serious or critical violation fails the journey."""

import threading
from dataclasses import dataclass, field

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
DESKTOP = {"width": 1280, "height": 800}
# The impacts that fail a journey; "moderate" and "minor" ones are left to judgement.
FAILING_IMPACTS = {"serious", "critical"}
# The methods that act on a page (of the page, its locators and its keyboard): before each, the page state that a
# navigation brought is checked.
ACTIONS = ("goto", "click", "fill", "select_option", "check", "uncheck", "set_input_files", "press", "tap", "reload")
LOCATOR_ACTIONS = ("click", "dblclick", "fill", "select_option", "check", "uncheck", "set_input_files", "press", "tap")
KEYBOARD_ACTIONS = ("press", "type", "insert_text")


@dataclass
class Finding:
    """One element that breaks one axe rule on one page."""

    rule: str
    impact: str
    target: str
    url: str
    help: str
    detail: str = ""

    def __str__(self) -> str:
        url = self.url if len(self.url) < 100 else self.url[:60] + "…"  # a data: URL holds its whole page
        return f"{self.rule} ({self.impact}) at {self.target} on {url}: {self.help}. {self.detail}".rstrip()


@dataclass
class AxeAudit:
    """Runs axe-core (the copy bundled with axe-playwright-python: no network) on every new page state of a
    Playwright page: a navigation of the main frame marks the page, and the next action on it (or the end of the
    test) checks it once it has loaded."""

    page: object
    findings: list[Finding] = field(default_factory=list)
    checked: list[str] = field(default_factory=list)
    pending: bool = False

    def watch(self, monkeypatch) -> None:
        """Check before every action on the page, its locators (for this test: the classes are patched back at
        its end) and its keyboard."""
        from playwright.sync_api import Locator, Page

        self.page.on("framenavigated", self._navigated)
        AUDITS[self.page] = self
        for name in ACTIONS:
            monkeypatch.setattr(Page, name, _audited(getattr(Page, name), lambda page: page))
        for name in LOCATOR_ACTIONS:
            monkeypatch.setattr(Locator, name, _audited(getattr(Locator, name), lambda locator: locator.page))
        for name in KEYBOARD_ACTIONS:
            original = getattr(self.page.keyboard, name)
            monkeypatch.setattr(self.page.keyboard, name, self._before(original))

    def _navigated(self, frame) -> None:
        if frame == self.page.main_frame:
            self.pending = True

    def _before(self, action):
        def acting(*args, **kwargs):
            if self.pending:
                self.check()
            return action(*args, **kwargs)

        return acting

    def check(self) -> list[Finding]:
        """Check the page as it stands now; returns (and keeps) its serious and critical violations."""
        from axe_playwright_python.sync_playwright import Axe

        self.pending = False
        self.page.wait_for_load_state("load")
        url = self.page.url
        if not url.startswith(("http:", "data:")):  # about:blank, a download
            return []
        results = Axe().run(self.page).response
        self.checked.append(url)
        found = [
            Finding(v["id"], v["impact"], ", ".join(map(str, node["target"])), url, v["help"], _detail(node))
            for v in results["violations"]
            if v["impact"] in FAILING_IMPACTS
            for node in v["nodes"]
        ]
        self.findings.extend(found)
        return found

    def report(self) -> str:
        """Each violation once (a page checked twice repeats its own), with the pages checked."""
        lines = list(dict.fromkeys(map(str, self.findings)))
        return "\n".join(
            [f"axe-core found {len(lines)} serious or critical violations on {len(self.checked)} page states:", *lines]
        )


AUDITS: dict = {}  # page -> its AxeAudit, while its test runs


def _audited(method, page_of):
    """`method` of a Page or a Locator, checking first the page state that a navigation brought."""

    def acting(self, *args, **kwargs):
        audit = AUDITS.get(page_of(self))
        if audit is not None and audit.pending:
            audit.check()
        return method(self, *args, **kwargs)

    return acting


def _detail(node: dict) -> str:
    """What axe says first of the element, which for contrast is the ratio and both colours."""
    return next((check["message"] for check in node.get("any", []) if check.get("message")), "")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    """A journey fails on what axe found on any page it visited, the last one included."""
    result = yield
    audit = getattr(item, "axe_audit", None)
    if audit is not None:
        if audit.pending:
            audit.check()
        if audit.findings:
            raise AssertionError(audit.report())
    return result


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
def axe(page, request):
    """The audit of the test's `page`: every page state it reaches is checked by axe-core (AxeAudit)."""
    return request.node.axe_audit


def _audited_page(request, browser, monkeypatch, viewport):
    """A fresh browser profile of this screen size, with confirm() dialogs accepted, checked by axe-core."""
    context = browser.new_context(viewport=viewport, locale="id-ID")
    page = context.new_page()
    page.on("dialog", lambda dialog: dialog.accept())
    page.set_default_timeout(10_000)
    audit = AxeAudit(page)
    audit.watch(monkeypatch)
    request.node.axe_audit = audit
    yield page
    AUDITS.pop(page, None)
    context.close()


@pytest.fixture
def page(request, browser, monkeypatch):
    """A phone-sized page (375 px), checked by axe-core."""
    yield from _audited_page(request, browser, monkeypatch, PHONE)


@pytest.fixture
def desktop_page(request, browser, monkeypatch):
    """A desktop-sized page (1280 px), checked by axe-core."""
    yield from _audited_page(request, browser, monkeypatch, DESKTOP)
