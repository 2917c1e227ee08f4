"""An OPD head makes an API token from the user menu on a phone, copies it from the one answer that shows it, uses
it, and revokes it; the page fits 375 px and axe-core finds nothing serious on it."""

import re
import urllib.request

import pytest
from playwright.sync_api import expect

from tests.browser.test_forum_journey import login

pytestmark = pytest.mark.browser


def _opds_status(base: str, secret: str) -> int:
    request = urllib.request.Request(f"{base}/api/v1/opds", headers={"Authorization": f"Bearer {secret}"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def test_make_use_and_revoke_a_token_on_a_phone(live_server, page, world):
    login(page, live_server, "opd.head@example.org")
    page.click(".usermenu summary")
    page.click("text=Token API")
    expect(page.locator("h1")).to_have_text("Token API")
    page.fill("#name", "E-office DINKES")
    page.check("text=Baca dan tulis")
    page.select_option("#days", "30")
    page.click("text=Buat token")
    secret = page.input_value("#token-secret")
    assert re.fullmatch(r"kawal_[A-Za-z0-9_\-]{43}", secret)
    expect(page.locator(".token-secret pre")).to_contain_text(f"Bearer {secret}")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    assert _opds_status(live_server, secret) == 200
    page.goto(f"{live_server}/account/tokens")  # the page again: the secret is gone for good
    expect(page.locator("#token-secret")).to_have_count(0)
    row = page.locator("tr", has_text="E-office DINKES")
    expect(row).to_contain_text("Baca dan tulis")
    expect(row).to_contain_text("Berlaku")
    row.locator("button", has_text="Cabut").click()  # the confirm() is accepted
    expect(page.locator(".flash")).to_contain_text("dicabut")
    expect(page.locator("tr", has_text="E-office DINKES")).to_contain_text("Dicabut")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    assert _opds_status(live_server, secret) == 401
