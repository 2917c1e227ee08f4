"""The axe-core check of the browser journeys (tests/browser/conftest.py) can fail: a page with an unlabelled field,
low-contrast text, an image without a text alternative and a nameless button is reported rule by rule, with the
element and the page, whether it is checked directly or reached by a navigation; and a journey with findings fails."""

import threading
from urllib.parse import quote

import pytest
from playwright.sync_api import expect
from werkzeug.serving import make_server

from tests.browser.conftest import AxeAudit, pytest_runtest_call

pytestmark = pytest.mark.browser
TOUR = ["sekretariat@example.org", "kepala.dinkes@example.org"]
BAD = (
    '<!doctype html><html lang="id"><head><title>Buruk</title></head><body><main><h1>Halaman buruk</h1>'
    '<input id="unlabelled" type="text">'
    '<p id="faint" style="color:#bbb;background:#fff">Teks pucat</p>'
    '<img id="photo" src="data:,">'
    '<button id="nameless"></button>'
    "</main></body></html>"
)
GOOD = (
    '<!doctype html><html lang="id"><head><title>Baik</title></head><body><main><h1>Halaman baik</h1>'
    '<label for="q">Cari</label><input id="q" type="text"><p>Teks jelas</p></main></body></html>'
)


def data_url(html: str) -> str:
    return "data:text/html;charset=utf-8," + quote(html)


def test_axe_reports_each_serious_or_critical_violation_of_a_bad_page(page, axe):
    page.goto(data_url(BAD))
    found = {(f.rule, f.target, f.impact) for f in axe.check()}
    assert ("label", "#unlabelled", "critical") in found
    assert ("color-contrast", "#faint", "serious") in found
    assert ("image-alt", "#photo", "critical") in found
    assert ("button-name", "#nameless", "critical") in found
    assert "color-contrast (serious) at #faint on data:text/html" in axe.report()
    axe.findings.clear()  # the test is about these findings: they must not fail it as a journey's would


def test_a_navigation_gets_the_page_it_left_checked(page, axe):
    page.goto(data_url(BAD))
    page.goto(data_url(GOOD))  # the bad page is checked before the next action leaves it
    assert {f.rule for f in axe.findings} >= {"label", "color-contrast", "image-alt", "button-name"}
    assert axe.pending  # ... and the good one waits for the next action or the end of the test
    axe.findings.clear()
    assert axe.check() == [] and len(axe.checked) == 2


def test_a_locator_or_a_key_gets_the_new_page_checked_too(page, axe):
    page.goto(data_url(BAD))
    assert axe.pending and axe.findings == []
    page.locator("#unlabelled").fill("Teks")  # a locator's action checks the page the navigation brought first
    assert "label" in {f.rule for f in axe.findings} and not axe.pending
    axe.findings.clear()
    page.goto(data_url(BAD))
    page.keyboard.press("Tab")
    assert "label" in {f.rule for f in axe.findings}
    axe.findings.clear()


def test_a_journey_with_findings_fails_at_its_end(page, axe):
    page.goto(data_url(BAD))
    axe.pending = False  # this test's own audit stands aside: the hook is given another

    class Item:  # what the hook reads of a test: its audit
        axe_audit = AxeAudit(page)

    Item.axe_audit.pending = True
    hook = pytest_runtest_call(Item)
    next(hook)  # the test itself runs here
    with pytest.raises(AssertionError, match=r"label \(critical\) at #unlabelled on data:text/html"):
        hook.send(None)


@pytest.fixture
def demo_server(make_app, tmp_path):
    """The demo data served on loopback, with the first address of each page route per account, as the crawler
    found them."""
    from tests.test_crawl import demo_app, logged_in
    from tests.test_html_ids import IdCrawler

    app = demo_app(make_app, tmp_path)
    crawler = IdCrawler(app, query_variants=False, submit_forms=False, per_route=1, budget=60)
    for email in TOUR:
        crawler.crawl(logged_in(app, crawler, email), "/", max_pages=60)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", crawler.pages
    server.shutdown()
    thread.join(timeout=5)


def test_every_page_of_the_demo_passes_axe_for_an_editor_and_an_opd_head(demo_server, page):
    """One page of each route, as the secretariat and as Dinkes' head (what they see differs most): the pages the
    journeys do not visit (decrees, settings, the delivery log, the calendar...) meet the same check."""
    from tests.test_crawl import DEMO_PASSWORD

    base, pages = demo_server
    for email in TOUR:
        page.goto(f"{base}/login")
        page.fill("#email", email)
        page.fill("#password", DEMO_PASSWORD)
        page.click("button[type=submit].primary")
        expect(page.locator(".usermenu summary")).to_be_visible()
        label = email.split("@")[0]
        urls = [url for (who, _endpoint), url in pages.items() if who == label]
        assert len(urls) >= 15, urls
        for url in urls:
            page.goto(base + url)
        page.context.clear_cookies()
