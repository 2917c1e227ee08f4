"""Three governments in one Kawal, in Chromium: the province's FGD gives a follow-up to the attending OPDs of the
province, of Kabupaten Serang and of Kota Tangerang; the kabupaten's Dinkes head acknowledges it from the new-task
email on a phone and reports; Kota Tangerang's secretariat cannot see the kabupaten's task; the province's dashboard
rolls it up."""

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from actions.models import Assignment
from core.extensions import db
from forum import services as forums
from notifications import dispatcher
from tests.browser.test_followup_journey import logout, report_done
from tests.browser.test_forum_journey import login
from tests.browser.test_reminder_journey import acknowledge_from
from tests.conftest import as_user
from tests.forum.helpers import FGD
from tests.notifications.conftest import smtp  # noqa: F401  (the SMTP server fixture)

pytestmark = pytest.mark.browser
TITLE = "Menyampaikan hasil FGD PPT Kespro kepada pimpinan OPD"


@pytest.fixture
def live_overrides(smtp):  # noqa: F811
    return {"MAIL_PORT": smtp.port}


@pytest.fixture
def fgd(app, tree):
    """The FGD PPT Kespro, logged by Provinsi Banten's secretariat, attended by an OPD of each government."""
    with app.app_context():
        secretariat = as_user(tree.users["prov_secretariat"])
        forum = forums.create_forum(secretariat, **{**FGD, "organiser_opd_id": tree.opds["prov:BAPPEDA"]})
        people = [
            ("Lelih Herawati", "prov:BAPPEDA"),
            ("dr. Rizka Sofiani", "kab:DINKES"),
            ("Dewi Lestari", "kota:DINKES"),
        ]
        forums.add_participants(
            secretariat,
            forum.id,
            [
                dict(name=name, position=None, opd_id=tree.opds[opd], institution=None, category="opd")
                | dict(role="peserta", attendance="hadir")
                for name, opd in people
            ],
        )
        forums.add_recommendation(
            secretariat,
            forum.id,
            text="Seluruh peserta menyampaikan informasi PPT Kespro kepada pimpinan masing-masing OPD.",
        )
        return forum.id


def _assignment_of(app, opd_id):
    with app.app_context():
        found = db.session.scalar(sa.select(Assignment.id).where(Assignment.opd_id == opd_id))
        db.session.remove()
        return found


def test_province_fans_out_kabupaten_acknowledges_on_a_phone_sibling_sees_nothing(
    live_app,
    page,
    tree,
    fgd,
    smtp,  # noqa: F811
):
    app = live_app
    base = app.config["KAWAL_BASE_URL"]

    # Provinsi Banten's secretariat gives the follow-up to every OPD that attended, of all three governments.
    login(page, base, "secretariat.prov@example.org")
    page.goto(f"{base}/forums/{fgd}")
    page.click("text=Tambah tindak lanjut")
    page.fill("#title", TITLE)
    page.fill("#due_date", "2026-01-31")
    page.check("#all_present")
    page.click("button[type=submit].primary")
    recommendations = page.locator("#recommendations")
    expect(recommendations).to_contain_text(TITLE)
    expect(recommendations).to_contain_text("DINKES · Kab. Serang")  # another government's OPD says which one
    logout(page)
    with app.app_context():
        given = db.session.scalars(sa.select(Assignment.opd_id)).all()
        db.session.remove()
    assert sorted(given) == sorted(tree.opds[key] for key in ("prov:BAPPEDA", "kab:DINKES", "kota:DINKES"))
    task = _assignment_of(app, tree.opds["kab:DINKES"])

    # The new-task email reaches the head of Kabupaten Serang's Dinkes, through a real SMTP server.
    with app.app_context():
        dispatcher.dispatch()
    mail = next(m for m in smtp.messages if m["To"] == "head.kab@example.org")
    assert mail["Subject"] == f"[Kawal] Tugas baru untuk DINKES: {TITLE}"
    acknowledge_from(page, mail, TITLE)  # two taps on the phone: the email's button, then "Terima tugas"

    # ... and reports, signed in.
    login(page, base, "head.kab@example.org")
    page.goto(f"{base}/assignments/{task}")
    expect(page.locator("#assignment-status")).to_contain_text("Diterima")
    report_done(page, 100, "Disampaikan dalam rapat pimpinan Dinkes Kabupaten Serang.", "notulen-rapim.pdf")
    logout(page)

    # Kota Tangerang, a sibling, attended the same FGD: it sees its own task and nothing of the kabupaten's.
    login(page, base, "secretariat@example.org")
    assert page.goto(f"{base}/assignments/{task}").status == 404
    page.goto(f"{base}/actions")
    expect(page.locator(f"a[href$='/assignments/{task}']")).to_have_count(0)
    expect(page.locator(f"a[href$='/assignments/{_assignment_of(app, tree.opds['kota:DINKES'])}']")).to_have_count(1)
    expect(page.locator("main")).not_to_contain_text("Kab. Serang")
    page.goto(f"{base}/forums/{fgd}")
    expect(page.locator("main")).not_to_contain_text("Disampaikan dalam rapat pimpinan Dinkes Kabupaten Serang")
    logout(page)

    # The province's dashboard rolls the kabupaten up, with its figures.
    login(page, base, "secretariat.prov@example.org")
    page.goto(f"{base}/dashboard")
    expect(page.locator("main")).to_contain_text("Kab. Serang")
