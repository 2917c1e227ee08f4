"""The secretariat's decisions reach the OPD head by email: a task returned with a note, then accepted, each email
read out of a real SMTP server, its task link opened in Chromium on a phone."""

import re

import pytest
from playwright.sync_api import expect

from actions import services as actions
from notifications import dispatcher
from tests.actions.helpers import dinkes_assignment, link_report, make_action
from tests.browser.test_followup_journey import logout
from tests.browser.test_forum_journey import login
from tests.conftest import as_user
from tests.notifications.conftest import smtp  # noqa: F401  (the SMTP server fixture)

pytestmark = pytest.mark.browser
TITLE = "Layanan keswa tersedia di setiap Puskesmas"
# What to fix, as a list: typed on several lines, kept as lines in the email and atop the task page.
NOTE = "1. Lampirkan daftar hadir pelatihan.\n2. Unggah foto kegiatan <di 12 Puskesmas>."


@pytest.fixture
def live_overrides(smtp):  # noqa: F811
    return {"MAIL_PORT": smtp.port}


def _decision_mail(app, smtp):  # noqa: F811
    """Send what the outbox holds; the one new email, with its plain text."""
    before = len(smtp.messages)
    with app.app_context():
        assert dispatcher.dispatch().sent == 1
    [mail] = smtp.messages[before:]
    return mail, mail.get_body(("plain",)).get_content().replace("\r\n", "\n")


def test_a_returned_then_accepted_task_is_told_to_the_head_each_time(live_app, page, world, smtp):  # noqa: F811
    app, base = live_app, live_app.config["KAWAL_BASE_URL"]
    with app.app_context():  # the head's report, as the follow-up journey makes it through the pages
        head = as_user(world.users["opd_head"].id)
        assignment_id = dinkes_assignment(make_action(world, support=(), title=TITLE)).id
        actions.acknowledge(head, assignment_id)
        link_report(world, assignment_id)
        actions.submit(head, assignment_id)
        dispatcher.dispatch()  # the new-task email
    task_url = f"{base}/assignments/{assignment_id}"

    login(page, base, "secretariat@example.org")
    page.goto(task_url)
    page.fill("#verify textarea[name=note]", NOTE)
    page.click("#verify button[value=no]")
    expect(page.locator("#assignment-status")).to_contain_text("Perlu perbaikan")
    logout(page)

    returned, text = _decision_mail(app, smtp)
    assert returned["To"] == "opd.head@example.org"
    assert returned["Subject"] == f"[Kawal] Dikembalikan untuk perbaikan: {TITLE}"
    assert f"Yang perlu diperbaiki:\n{NOTE}\n" in text
    html = returned.get_body(("html",)).get_content()
    assert "1. Lampirkan daftar hadir pelatihan.<br>2. Unggah foto kegiatan &lt;di 12 Puskesmas&gt;." in html
    link = re.search(r'href="([^"]+/assignments/\d+)"', returned.get_body(("html",)).get_content()).group(1)
    assert link == task_url

    login(page, base, "opd.head@example.org")
    page.goto(link)  # from the email
    expect(page.locator("#assignment-status")).to_contain_text("Perlu perbaikan")
    assert page.inner_text("#return-note .note") == NOTE  # shown as the lines it was typed on
    expect(page.locator("#timeline")).to_contain_text("Lampirkan daftar hadir pelatihan.")
    page.click("#submit button[type=submit]")
    expect(page.locator("#assignment-status")).to_contain_text("Dilaporkan selesai")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    logout(page)

    login(page, base, "secretariat@example.org")
    page.goto(task_url)
    page.click("#verify button[value=yes]")
    expect(page.locator("#assignment-status")).to_contain_text("Sesuai rekomendasi")

    accepted, text = _decision_mail(app, smtp)
    assert accepted["To"] == "opd.head@example.org"
    assert accepted["Subject"] == f"[Kawal] Selesai — sesuai rekomendasi: {TITLE}"
    assert "tugas dinyatakan selesai, sesuai rekomendasi" in text
