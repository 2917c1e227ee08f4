"""A review meeting run from Kawal (issue 14, point 8): the presentation on a 1920×1080 projector, its ranking
above the fold in type read from the back of the room, the keyboard stepping through the OPDs, and one note
recorded into the task's history and the meeting's minutes."""

import pytest
from playwright.sync_api import expect

from core.extensions import db
from forum.models import Forum
from tests.actions.helpers import make_action
from tests.browser.conftest import _audited_page
from tests.browser.test_forum_journey import login
from tests.forum.helpers import make_forum
from tests.reports.test_present import REVIEW_DAY, review_forum

pytestmark = pytest.mark.browser

PROJECTOR = {"width": 1920, "height": 1080}


@pytest.fixture
def projector_page(request, browser, monkeypatch):
    """A 1920×1080 page, the projector's screen, checked by axe-core."""
    yield from _audited_page(request, browser, monkeypatch, PROJECTOR)


@pytest.fixture
def late_opds(live_app, world):
    """On the review day DINKES has two late tasks, DP3AP2KB one and PKM-CIBODAS one (ranked by days late); the
    review meeting, a rakor, is held that day."""
    clock = live_app.extensions["kawal.clock"]
    with live_app.app_context():
        forum = make_forum(world, title="FGD Pembahasan PPT Kespro")
        make_action(world, forum=forum, support=("DP3AP2KB",), due_in=1, title="Layanan keswa di Puskesmas")
        make_action(world, forum=forum, support=(), due_in=2, title="Sarana visum di RSUD")
        make_action(world, forum=forum, lead="PKM-CIBODAS", support=(), due_in=5, title="Posyandu remaja")
        review_id = review_forum(world).id
        db.session.remove()
    clock.set(REVIEW_DAY)
    return review_id


def _visible_slide(page):
    return page.locator("#deck .slide:not([hidden]) h1")


def test_a_review_meeting_steps_through_the_opds_and_records_a_note(
    live_app, live_server, projector_page, late_opds, tmp_path, request
):
    page = projector_page
    login(page, live_server, "secretariat@example.org")
    page.click("#present-link")
    expect(page).to_have_url(f"{live_server}/dashboard/present")
    ranking = page.locator("#ranking")
    expect(ranking).to_be_visible()
    page.screenshot(path=tmp_path / "present-ranking.png")
    box = ranking.bounding_box()
    assert box["y"] >= 0 and box["y"] + box["height"] <= PROJECTOR["height"]  # above the fold
    body_size = page.evaluate("() => parseFloat(getComputedStyle(document.querySelector('#ranking td')).fontSize)")
    assert body_size >= 28
    assert [name.strip() for name in ranking.locator("tbody td:nth-child(2) a").all_inner_texts()] == [
        "DINKES",
        "DP3AP2KB",
        "PKM-CIBODAS",
    ]
    expect(page.locator("#fullscreen")).to_be_visible()

    page.keyboard.press("ArrowRight")
    expect(_visible_slide(page)).to_contain_text("DINKES")
    expect(page).to_have_url(f"{live_server}/dashboard/present?opd={_opd(live_app, 'DINKES')}&forum={late_opds}")
    page.keyboard.press("ArrowRight")
    expect(_visible_slide(page)).to_contain_text("DP3AP2KB")
    page.keyboard.press("ArrowLeft")
    expect(_visible_slide(page)).to_contain_text("DINKES")
    slide = page.locator("#deck .slide:not([hidden])")
    expect(slide.locator(".late-tasks > li")).to_have_count(2)
    expect(slide.locator(".late-tasks > li").first).to_contain_text("terlambat 9 hari · tenggat 17 Des 2025")
    page.reload()  # the address holds the slide
    expect(_visible_slide(page)).to_contain_text("DINKES")
    page.keyboard.press("Home")
    expect(_visible_slide(page)).to_contain_text("Tindak lanjut terlambat per OPD")
    page.keyboard.press("ArrowRight")

    task = page.locator("#deck .slide:not([hidden]) .late-tasks > li").first
    task.locator("summary").click()
    task.locator("textarea").fill("Psikolog sudah direkrut, menunggu SK")
    task.locator("input[type=date]").fill("2026-01-31")
    assert request.node.axe_audit.check() == []  # the OPD's slide with its form open, shown by the script
    page.screenshot(path=tmp_path / "present-opd.png")
    task.locator("button[type=submit]").click()
    expect(page.locator(".flash-success")).to_contain_text("Dicatat dalam riwayat tugas dan dalam notulen.")
    expect(_visible_slide(page)).to_contain_text("DINKES")  # back on the same slide
    expect(page.locator("#deck .slide:not([hidden]) .late-tasks > li")).to_have_count(1)
    with live_app.app_context():
        minutes = db.session.get(Forum, late_opds).minutes
        db.session.remove()
    assert minutes == (
        "- DINKES — Layanan keswa di Puskesmas: Psikolog sudah direkrut, menunggu SK; tenggat baru Sabtu, 31 Januari 2026"
    )
    page.keyboard.press("Escape")  # not in full screen: Esc leaves the presentation
    expect(page).to_have_url(f"{live_server}/dashboard")


def _opd(app, code: str) -> int:
    from accounts.models import Opd

    with app.app_context():
        opd_id = db.session.query(Opd.id).filter(Opd.code == code).scalar()
        db.session.remove()
    return opd_id


# The longest name an OPD may have (accounts.models.Opd.name), in words as a Bappeda writes them.
LONG_NAME = ("Dinas Pemberdayaan Perempuan, Perlindungan Anak, Pengendalian Penduduk dan Keluarga Berencana " * 3)[:200]


@pytest.fixture
def many_long_opds(live_app, world):
    """24 OPDs, each with the longest name an OPD may have and one late task whose title is one unbroken word (a
    link pasted as a title, say); the review meeting is held that day."""
    from accounts import services as accounts
    from core.permissions import SYSTEM

    clock = live_app.extensions["kawal.clock"]
    with live_app.app_context():
        forum = make_forum(world, title="FGD Pembahasan PPT Kespro")
        for number in range(24):
            code = f"OPD-{number:02d}"
            world.opds[code] = accounts.create_opd(SYSTEM, code=code, name=LONG_NAME, kind="dinas").id
            title = f"https://jdih.example.go.id/peraturan/{'x' * 200}/{number}"
            make_action(world, forum=forum, lead=code, support=(), due_in=1 + number % 3, title=title)
        review_forum(world)
        db.session.remove()
    clock.set(REVIEW_DAY)


@pytest.fixture(params=[(1366, 768), (1920, 1080), (375, 740)], ids=["1366", "1920", "phone"])
def screen_page(request, browser, monkeypatch):
    """A page the size of a small projector, a large one, and a phone, checked by axe-core."""
    width, height = request.param
    yield from _audited_page(request, browser, monkeypatch, {"width": width, "height": height})


def test_long_names_and_many_opds_keep_the_ranking_above_the_fold_and_nothing_scrolls_sideways(
    live_server, screen_page, request, many_long_opds
):
    page = screen_page
    width, height = page.viewport_size["width"], page.viewport_size["height"]
    login(page, live_server, "secretariat@example.org")
    page.goto(f"{live_server}/dashboard/present")
    expect(page.locator("#ranking tbody tr")).to_have_count(10)
    box = page.locator("#ranking").bounding_box()
    if width > height:  # a projector: the ten ranked OPDs on one screen
        assert box["y"] + box["height"] <= height
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    page.keyboard.press("ArrowRight")
    expect(_visible_slide(page)).to_contain_text(LONG_NAME)  # the OPD's slide says its name whole
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    assert request.node.axe_audit.check() == []


def test_words_typed_and_not_saved_are_not_lost_to_esc(live_app, live_server, projector_page, late_opds):
    """Esc leaves the presentation, but with a note typed and not saved the browser asks first (and a form shown
    again with its errors holds such a note too); once saved, Esc leaves without asking."""
    page = projector_page
    asked = []
    page.on("dialog", lambda dialog: asked.append(dialog.type))  # the fixture's handler then accepts it
    login(page, live_server, "secretariat@example.org")
    page.goto(f"{live_server}/dashboard/present?opd={_opd(live_app, 'DINKES')}")
    task = page.locator("#deck .slide:not([hidden]) .late-tasks > li").first
    task.locator("summary").click()
    task.locator("textarea").fill("Psikolog sudah direkrut")
    task.locator("input[type=date]").fill("2025-12-01")  # already past: refused
    task.locator("button[type=submit]").click()
    expect(page.locator("#deck .slide:not([hidden]) .error")).to_contain_text("Tenggat sudah lewat.")
    page.locator("#deck .slide:not([hidden]) details[open] button[type=submit]").focus()
    page.keyboard.press("Escape")
    expect(page).to_have_url(f"{live_server}/dashboard")
    assert asked == ["beforeunload"]
    page.goto(f"{live_server}/dashboard/present?opd={_opd(live_app, 'DINKES')}")
    page.keyboard.press("Escape")
    expect(page).to_have_url(f"{live_server}/dashboard")
    assert asked == ["beforeunload"]  # nothing typed: not asked


def test_the_full_screen_button_says_whether_the_deck_is_in_full_screen(live_server, projector_page, late_opds):
    """A toggle with the same label both ways: aria-pressed tells a screen reader which way it stands."""
    page = projector_page
    login(page, live_server, "secretariat@example.org")
    page.goto(f"{live_server}/dashboard/present")
    button = page.locator("#fullscreen")
    expect(button).to_have_attribute("aria-pressed", "false")
    button.click()
    expect(button).to_have_attribute("aria-pressed", "true")
    button.click()
    expect(button).to_have_attribute("aria-pressed", "false")
