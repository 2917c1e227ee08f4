"""Every page the crawler reaches over the demo data, as each kind of user, has unique ids, and every <label for>
names a form control on the same page (tests/html_ids.py); and the checker itself finds each kind of mistake."""

import re

import pytest

from actions import services as actions
from tests.actions.helpers import dinkes_assignment, make_action
from tests.conftest import as_user
from tests.crawler import Crawler, Identity
from tests.html_ids import id_problems
from tests.test_crawl import demo_app, logged_in

# One account per role that sees different pages: the editors, an OPD head (acknowledge, report), its staff, a reader.
ACCOUNTS = [
    "sekretariat@example.org",
    "kepala.dinkes@example.org",
    "staf.dinkes@example.org",
    "viewer@example.org",
    "admin@example.org",
]


class IdCrawler(Crawler):
    """The crawler, reading the ids of every HTML page it is answered with, and keeping the first address of each
    route that answered a page (for the browser's axe-core tour, tests/browser/test_axe.py)."""

    def __init__(self, app, **options):
        super().__init__(app, **options)
        self.problems: dict[str, list[str]] = {}
        self.pages: dict[tuple[str, str], str] = {}  # (identity, endpoint) -> URL

    def request(self, identity, method, url, data=None, variant="page"):
        response = super().request(identity, method, url, data, variant)
        if response is not None and response.mimetype == "text/html":
            found = id_problems(response.get_data(as_text=True))
            if found:
                self.problems.setdefault(f"{identity.label} {method} {url}", found)
            if method == "GET" and response.status_code == 200:
                self.pages.setdefault((identity.label, self.route(url)[0]), url)
        return response


def test_every_page_has_unique_ids_and_labels_that_name_a_form_control(make_app, tmp_path):
    app = demo_app(make_app, tmp_path)
    crawler = IdCrawler(app, query_variants=False, submit_forms=False, per_route=1, budget=60)
    crawler.crawl(Identity("anonymous", app.test_client()), "/login", "/password/forgot")
    for email in ACCOUNTS:
        crawler.crawl(logged_in(app, crawler, email), "/", "/tasks", "/actions?awaiting=1", max_pages=80)
    assert crawler.counts["pages"] >= 100, crawler.summary()
    assert not crawler.problems, "\n".join(f"{page}: {'; '.join(found)}" for page, found in crawler.problems.items())


def label_of(html: str, name: str, form_action: str) -> str:
    """The text of the label that names the control `name` of the form posting to `form_action`."""
    form = re.search(rf'<form[^>]*action="{re.escape(form_action)}".*?</form>', html, re.S).group(0)
    control = re.search(rf'<(?:input|textarea|select)[^>]*name="{name}"[^>]*>', form).group(0)
    control_id = re.search(r'\bid="([^"]+)"', control).group(1)
    return re.search(rf'<label for="{control_id}">(.*?)</label>', form, re.S).group(1)


def test_the_assignment_page_names_each_note_by_its_own_label(app, world, client_as):
    """An acknowledged task shows its head two forms with a note (report progress, report as done): each note has
    its own id, and the label inside each form names that form's note."""
    with app.app_context():
        task = dinkes_assignment(make_action(world)).id
        actions.acknowledge(as_user(world.users["opd_head"].id), task)
    html = client_as("opd_head").get(f"/assignments/{task}").get_data(as_text=True)
    assert id_problems(html) == []
    assert html.count('name="note"') >= 2
    assert label_of(html, "note", f"/assignments/{task}/progress") == "Yang sudah dikerjakan"
    assert label_of(html, "note", f"/assignments/{task}/submit") == "Catatan untuk sekretariat"
    assert 'id="progress-note"' in html and 'id="submit-note"' in html
    assert 'id="csrf_token"' not in html


def test_a_field_with_errors_is_described_by_them(app, world, client_as):
    """The page shown again with errors keeps unique ids, and the field points at its error (aria-describedby)."""
    with app.app_context():
        task = dinkes_assignment(make_action(world)).id
        actions.acknowledge(as_user(world.users["opd_head"].id), task)
    response = client_as("opd_head").post(f"/assignments/{task}/progress", data={"percent": "seratus", "note": "Tetap"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and id_problems(html) == []
    percent = re.search(r'<input[^>]*name="percent"[^>]*>', html).group(0)
    assert 'aria-invalid="true"' in percent and 'aria-describedby="percent-error"' in percent
    assert re.search(r'<div id="percent-error"><p class="error">[^<]+</p>', html)


@pytest.mark.parametrize(
    ("html", "problem"),
    [
        ('<input id="note"><textarea id="note"></textarea>', 'id="note" is used 2 times'),
        ('<label for="pic">PIC</label><input id="pic_name">', '<label for="pic"> names no element'),
        ('<label for="pic">PIC</label><dd id="pic">–</dd>', '<label for="pic"> names a <dd>, which is no form control'),
        ('<label for="t">T</label><input type="hidden" id="t">', "names a <input[type=hidden]>"),
        ('<input id="a" aria-describedby="a-hint">', 'aria-describedby="a-hint" names no element'),
    ],
)
def test_the_id_checker_finds_each_mistake(html, problem):
    assert any(problem in found for found in id_problems(html)), id_problems(html)


def test_the_id_checker_passes_a_correct_form():
    html = '<label for="a">A</label><input id="a" aria-describedby="a-hint"><p id="a-hint">hint</p>'
    assert id_problems(html) == []


def test_hidden_fields_carry_no_id(make_app):
    """A page of several forms would repeat id="csrf_token" once per form: hidden fields render without an id."""
    from wtforms import HiddenField

    from core.forms import Form

    class Twice(Form):
        payload = HiddenField(default="x")

    with make_app(WTF_CSRF_ENABLED=True).test_request_context():
        html = Twice().hidden_tag() + Twice().hidden_tag("payload")
    assert 'name="csrf_token"' in html and 'name="payload"' in html
    assert "id=" not in html
