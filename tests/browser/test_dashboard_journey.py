"""The head of Bappeda's view: the dashboard, the overdue tile, the filtered list, the Excel file."""

import io
from pathlib import Path

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect

from actions import services as actions
from tests.actions.helpers import dinkes_assignment, make_action
from tests.browser.test_forum_journey import login
from tests.conftest import as_user

pytestmark = pytest.mark.browser


@pytest.fixture
def overdue_and_not(live_app, world):
    with live_app.app_context():
        late = dinkes_assignment(make_action(world, support=(), due_in=1, title="Layanan keswa di setiap Puskesmas"))
        actions.acknowledge(as_user(world.users["opd_head"].id), late.id)
        make_action(world, lead="DP3AP2KB", support=(), due_in=60, title="Masih lama")
    clock = live_app.extensions["kawal.clock"]
    clock.set(clock.now().replace(day=24))  # a week later: the first task is 7 days late


def test_dashboard_overdue_tile_to_list_to_excel(live_server, page, overdue_and_not):
    base = live_server
    login(page, base, "secretariat@example.org")
    expect(page).to_have_url(f"{base}/dashboard")
    expect(page.locator("#tile-overdue strong")).to_have_text("1")
    expect(page.locator("#chart-opd")).to_contain_text("DINKES")
    page.click("#tile-overdue")
    expect(page).to_have_url(f"{base}/actions?overdue=1")
    rows = page.locator("table tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Layanan keswa di setiap Puskesmas")
    expect(rows.first).to_contain_text("terlambat 7 hari")
    with page.expect_download() as download:
        page.click("text=Excel (.xlsx)")
    assert download.value.suggested_filename == "tindak-lanjut-2025-12-24-terlambat.xlsx"
    sheet = load_workbook(io.BytesIO(Path(download.value.path()).read_bytes())).active
    assert [row[4] for row in sheet.iter_rows(min_row=2, values_only=True)] == ["Layanan keswa di setiap Puskesmas"]


def test_on_a_phone_a_table_cell_stacks_its_pieces_inside_the_card(live_server, page, overdue_and_not):
    """A cell of a table shown as cards holds a link and its forum's title, or two badges: they stack in the value
    column and wrap there, instead of standing side by side past the card's right edge."""
    login(page, live_server, "secretariat@example.org")
    cell = page.locator("#most-overdue tbody td").first
    expect(cell).to_contain_text("Layanan keswa di setiap Puskesmas")
    link, forum = cell.locator("a").bounding_box(), cell.locator("small").bounding_box()
    assert forum["y"] >= link["y"] + link["height"] - 1  # the forum's title under its follow-up, not beside it
    edges = "#most-overdue td, #most-overdue td *"
    right = page.evaluate(
        f"() => Math.max(...[...document.querySelectorAll('{edges}')].map(e => e.getBoundingClientRect().right))"
    )
    card = page.locator("#most-overdue").bounding_box()
    assert right <= card["x"] + card["width"]
