"""The axe-core check of the browser journeys (tests/browser/conftest.py) can fail: a page with an unlabelled field,
low-contrast text, an image without a text alternative and a nameless button is reported rule by rule, with the
element and the page, whether it is checked directly or reached by a navigation; and a journey with findings fails."""

from urllib.parse import quote

import pytest

from tests.browser.conftest import AxeAudit, pytest_runtest_call

pytestmark = pytest.mark.browser
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
