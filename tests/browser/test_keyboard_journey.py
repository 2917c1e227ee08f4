"""The main forms with the keyboard alone: Tab, Shift+Tab, typing, Space and Enter, never the mouse; every stop on
the way shows where the focus is."""

import pytest
from playwright.sync_api import expect

from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser
# How far a Tab walk may go before the field it looks for counts as unreachable.
MAX_TABS = 80
# Whether the focused element shows it: an outline (our :focus-visible ring) or a box shadow.
FOCUS_SHOWN = """() => {
  const el = document.activeElement, style = getComputedStyle(el);
  if (el === document.body) return {shown: true};  // past the last stop, the focus is in the browser's own bar
  const ring = style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 2;
  return {shown: ring || style.boxShadow !== 'none', what: el.outerHTML.slice(0, 120)};
}"""


class Keyboard:
    """Walks a page with Tab / Shift+Tab and remembers every focus stop that did not show itself."""

    def __init__(self, page):
        self.page = page
        self.unseen: list[str] = []

    def tab_to(self, selector: str, *, back: bool = False) -> None:
        """Press Tab (Shift+Tab going back) until the element matching `selector` has the focus."""
        for _ in range(MAX_TABS):
            self.page.keyboard.press("Shift+Tab" if back else "Tab")
            focus = self.page.evaluate(FOCUS_SHOWN)
            if not focus["shown"]:
                self.unseen.append(f"{self.page.url}: {focus['what']}")
            if self.page.locator(selector).evaluate_all("(all) => all.includes(document.activeElement)"):
                return
        raise AssertionError(f"{MAX_TABS} Tabs never reached {selector} on {self.page.url}")

    def type_into(self, selector: str, text: str, *, back: bool = False) -> None:
        self.tab_to(selector, back=back)
        self.page.keyboard.type(text)

    def type_date(self, selector: str, value: str) -> None:
        """Type an ISO date ("2026-01-31") or date and time ("2025-12-16T09:00") into a date field segment by
        segment, as a person does: headless Chromium lays the segments out in its process's locale (en-US: month,
        day, year, then hour, minute, AM/PM), whatever the page's language; Tab moves from the year to the hour."""
        self.tab_to(selector)
        day, _, time = value.partition("T")
        year, month, date = day.split("-")
        self.page.keyboard.type(f"{month}{date}{year}")
        if time:
            hour, minute = map(int, time.split(":"))
            self.page.keyboard.press("Tab")
            self.page.keyboard.type(f"{(hour - 1) % 12 + 1:02d}{minute:02d}{'AP'[hour >= 12]}")

    def press_on(self, selector: str, key: str = "Enter") -> None:
        self.tab_to(selector)
        self.page.keyboard.press(key)

    def follow(self, selector: str) -> None:
        """Tab to a link or a submit button and press Enter, waiting for the page it leads to."""
        self.tab_to(selector)
        with self.page.expect_navigation():
            self.page.keyboard.press("Enter")


def keyboard_login(keys: Keyboard, base: str, email: str) -> None:
    keys.page.goto(f"{base}/login")
    keys.page.keyboard.type(email)  # the email field has the focus when the page opens
    keys.type_into("#password", PASSWORD)
    keys.press_on("#remember", "Space")
    expect(keys.page.locator("#remember")).to_be_checked()
    keys.type_into("#email", "", back=True)  # Shift+Tab back to a field already filled, and on again
    keys.follow("button[type=submit].primary")
    expect(keys.page.locator(".usermenu summary")).to_be_visible()


def test_the_main_forms_with_the_keyboard_alone(live_server, page, world):
    base = live_server
    page.set_viewport_size({"width": 1280, "height": 900})
    keys = Keyboard(page)
    keyboard_login(keys, base, "secretariat@example.org")

    # The skip link is the first stop, and takes the focus past the menu to the page's content.
    keys.press_on(".skip-link")
    assert page.evaluate("document.activeElement.id") == "content"

    # A new forum: the kind is chosen by typing its first letters, the start typed digit by digit.
    page.goto(f"{base}/forums")
    keys.follow("a[href$='/forums/new']")
    expect(page.locator("h1")).to_have_text("Forum baru")
    keys.tab_to("#kind")
    page.keyboard.type("Focus")
    expect(page.locator("#kind")).to_have_value("fgd")
    keys.type_into("#title", "FGD Pembahasan PPT Kespro")
    keys.type_date("#starts_at", "2025-12-16T09:00")
    expect(page.locator("#starts_at")).to_have_value("2025-12-16T09:00")
    keys.type_into("#venue", "Ruang Rapat Bappeda")
    keys.follow("button[type=submit].primary")
    expect(page.locator("h1")).to_have_text("FGD Pembahasan PPT Kespro")

    # A participant from an OPD, chosen in the list by typing its code.
    keys.follow("a[href$='/participants/new']")
    keys.type_into("#name", "Dewi Lestari")
    keys.tab_to("#opd_id")
    page.keyboard.type("DINKES")
    expect(page.locator("#opd_id option:checked")).to_contain_text("DINKES")
    keys.follow("button[type=submit].primary")
    expect(page.locator("#participants")).to_contain_text("Dewi Lestari")

    # A recommendation with a theme.
    keys.follow("a[href$='/recommendations/new']")
    keys.type_into("#text", "Layanan kesehatan jiwa tersedia di setiap Puskesmas.")
    keys.type_into("#themes", "kesehatan jiwa")
    keys.follow("button[type=submit].primary")
    expect(page.locator("#recommendations")).to_contain_text("Layanan kesehatan jiwa tersedia")

    # A follow-up for Dinkes, its due date typed.
    keys.follow("a[href*='/actions/new']")
    keys.type_date("#due_date", "2026-01-31")
    keys.type_into("#title", "Layanan keswa di setiap Puskesmas")
    expect(page.locator("#due_date")).to_have_value("2026-01-31")
    keys.tab_to("#lead_opd_id")
    page.keyboard.type("DINKES")
    keys.follow("button[type=submit].primary")
    expect(page.locator("#recommendations")).to_contain_text("Layanan keswa di setiap Puskesmas")

    # The user menu opens with Enter, and logging out is a button in it.
    keys.press_on(".usermenu summary")
    keys.follow(".usermenu button[type=submit]:has-text('Keluar')")
    expect(page.locator("#email")).to_be_visible()

    # Dinkes' head acknowledges the task and reports progress.
    keyboard_login(keys, base, "opd.head@example.org")
    keys.follow("a:has-text('Layanan keswa di setiap Puskesmas')")
    keys.type_into("#pic_name", "dr. Maya Anggraini")
    keys.type_into("#acknowledge-note", "Kami tindak lanjuti.")
    keys.follow("#acknowledge button[type=submit]")
    expect(page.locator(".flash")).to_contain_text("Tugas diterima.")
    keys.type_into("#percent", "50")
    keys.type_into("#progress-note", "Pelatihan keswa untuk 12 Puskesmas selesai.")
    keys.type_into("#links", "https://example.org/laporan-pelatihan")
    keys.follow("#progress button[type=submit]")
    expect(page.locator(".flash")).to_contain_text("Kemajuan dilaporkan.")
    expect(page.locator("#assignment-status")).to_contain_text("Sedang ditindaklanjuti")
    expect(page.locator("#timeline")).to_contain_text("https://example.org/laporan-pelatihan")

    assert not keys.unseen, "focus not shown on:\n" + "\n".join(dict.fromkeys(keys.unseen))


def test_the_focus_walk_fails_where_the_focus_does_not_show(page):
    """The check can fail: a page whose CSS removes the outline is caught, and Tab finds no field that is not there."""
    page.set_content('<style>*:focus { outline: none; }</style><a href="#x">Here</a><input id="q" aria-label="q">')
    keys = Keyboard(page)
    keys.tab_to("#q")
    assert len(keys.unseen) == 2
    with pytest.raises(AssertionError, match="never reached #missing"):
        keys.tab_to("#missing")
