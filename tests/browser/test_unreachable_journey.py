"""The secretariat gives a follow-up to an OPD nobody would hear for: warned as it ticks it, before saving, and
told its name after (issue 14, point 3). In `world`, DISDUKCAPIL has no head and no official email."""

import pytest
from playwright.sync_api import expect

from forum import services as forums
from tests.browser.test_forum_journey import login
from tests.conftest import as_user
from tests.forum.helpers import make_forum

pytestmark = pytest.mark.browser


def test_the_secretariat_is_warned_before_saving_and_told_after(live_server, page, app, world):
    with app.app_context():
        forum = make_forum(world, title="FGD PPT Kespro")
        recommendation = forums.add_recommendation(
            as_user(world.users["secretariat"].id), forum.id, text="Data kependudukan korban kekerasan."
        )
        url = f"/forums/{forum.id}/recommendations/{recommendation.id}/actions/new"
    login(page, live_server, "secretariat@example.org")
    page.goto(live_server + url)
    warning = page.locator("#reach-warning")
    expect(warning).to_be_hidden()
    page.select_option("#lead_opd_id", label="DINKES – Dinas Kesehatan")
    expect(warning).to_be_hidden()  # DINKES has a head

    disdukcapil = page.get_by_label("DISDUKCAPIL – Dinas Kependudukan dan Pencatatan Sipil (tidak ada penerima email)")
    disdukcapil.check()
    expect(warning).to_be_visible()
    expect(warning.locator("li:visible")).to_have_text(["DISDUKCAPIL – Dinas Kependudukan dan Pencatatan Sipil"])
    disdukcapil.uncheck()
    expect(warning).to_be_hidden()
    disdukcapil.check()

    page.fill("#due_date", "2026-01-31")
    page.get_by_role("button", name="Buat dan tugaskan").click()
    expect(page.locator(".flash-success")).to_contain_text("diberikan kepada 2 OPD")
    expect(page.locator(".flash-warning")).to_have_text(
        "1 OPD tidak akan menerima email: DISDUKCAPIL. Administrator pemerintahnya dapat menetapkan kepala aktif atau"
        " email resmi."
    )
