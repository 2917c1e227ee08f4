"""Every UI text goes through Babel, the Indonesian catalogue is complete, and pages speak one language."""

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po
from babel.support import Translations

ROOT = Path(__file__).resolve().parent.parent
PO = ROOT / "translations" / "id" / "LC_MESSAGES" / "messages.po"
METHOD_MAP = [
    ("**/.*/**", "ignore"),
    ("**/tests/**", "ignore"),
    ("**/migrations/**", "ignore"),
    ("**.py", "python"),
    ("templates/**.html", "jinja2"),
    ("templates/**.txt", "jinja2"),
]
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "_l": None, "lazy_gettext": None}
# Words in templates that are the same in every language.
# Names that no language translates: the product, the languages, and the HTTP words of the token page's curl example.
UNTRANSLATED_WORDS = {"Kawal", "Bahasa", "Indonesia", "English", "curl", "Authorization", "Bearer"}


def _catalog():
    return read_po(PO.open("rb"))


def _source_messages() -> set:
    ids = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(ROOT), METHOD_MAP, keywords=KEYWORDS, options_map={"templates/**.html": {}}
    ):
        if isinstance(message, tuple):
            ids.add(message[0])
        elif message:
            ids.add(message)
    return ids


def test_every_message_in_the_code_has_an_indonesian_translation():
    catalog = _catalog()
    missing = []
    for message_id in sorted(_source_messages()):
        entry = catalog.get(message_id)
        strings = [] if entry is None else ([entry.string] if isinstance(entry.string, str) else list(entry.string))
        if entry is None or entry.fuzzy or not all(strings):
            missing.append(message_id)
    assert missing == [], "run `make translations` and translate these"


def test_the_compiled_catalogue_matches_the_po_file():
    compiled = Translations.load(str(ROOT / "translations"), ["id"])
    stale = [m.id for m in _catalog() if m.id and isinstance(m.id, str) and compiled.gettext(m.id) != m.string]
    assert stale == [], "run `pybabel compile -d translations`"


def test_templates_hold_no_text_outside_gettext():
    offenders = []
    for template in sorted((ROOT / "templates").rglob("*.html")):
        source = template.read_text()
        source = re.sub(r"\{#.*?#\}", " ", source, flags=re.S)
        source = re.sub(r"\{\{.*?\}\}|\{%.*?%\}", " ", source, flags=re.S)  # what Jinja prints is checked elsewhere
        source = re.sub(r"<[^>]*>", " ", source, flags=re.S)
        source = re.sub(r"&[a-z]+;|&#\d+;", " ", source)
        words = set(re.findall(r"[A-Za-z]{2,}", source)) - UNTRANSLATED_WORDS
        if words:
            offenders.append(f"{template.relative_to(ROOT)}: {sorted(words)}")
    assert offenders == []


class _Text(HTMLParser):
    """The visible text nodes of a page, plus the attributes people read."""

    def __init__(self):
        super().__init__()
        self.texts, self._skip = [], 0
        self._svg_text: list[str] | None = None  # an SVG <text> wrapped in <tspan> lines is read as one text

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self._skip += 1
        if tag == "text":
            self._svg_text = []
        for name, value in attrs:
            if name in ("placeholder", "aria-label", "title", "data-confirm") and value:
                self.texts.append(value.strip())

    def handle_endtag(self, tag):
        if tag in ("script", "style"):
            self._skip -= 1
        if tag == "text" and self._svg_text is not None:
            if self._svg_text:
                self.texts.append(" ".join(self._svg_text))
            self._svg_text = None

    def handle_data(self, data):
        if self._svg_text is not None and data.strip():
            self._svg_text.append(" ".join(data.split()))
        elif not self._skip and data.strip():
            self.texts.append(" ".join(data.split()))


def _texts(page: str) -> set[str]:
    parser = _Text()
    parser.feed(page)
    return set(parser.texts)


def _differing_pairs():
    return {
        m.id: m.string
        for m in _catalog()
        if m.id and isinstance(m.id, str) and m.string and m.string != m.id and "%(" not in m.id
    }


PAGES = [
    "/forums",
    "/forums?kind=fgd",
    "/series",
    "/series/1",
    "/forums/1",
    "/forums/2",
    "/forums/new",
    "/forums/1/history",
    "/account/password",
    "/admin/users",
    "/admin/users/new",
    "/admin/opds",
    "/admin/opds/1",
    "/forums/3/participants/new",
    "/forums/3/recommendations/new",
    "/forums/3/participants/import",
    "/forums/3/edit",
    "/forums/3/minutes",
    "/tidak-ada",
    "/actions",
    "/actions?overdue=1",
    "/tasks",
    "/actions/1",
    "/actions/1/edit",
    "/assignments/1",
    "/assignments/5",
    "/assignments/9",
    "/decrees",
    "/actions/7/decree",
    "/actions/8/decree",
    "/forums/1/recommendations/1/actions/new",
    "/admin/delivery",
    "/admin/settings",
    "/admin/reminders/preview",
    "/a/bukan-token",
    "/dashboard",
    "/reports/compliance",
    "/reports/opds/2",
    "/account/calendar",
]


@pytest.fixture
def demo_client(app):
    from demo import data
    from tests.conftest import login

    with app.app_context():
        data.load()
        from accounts.services import user_by_email

        admin_id = user_by_email("admin@example.org").id
    client = app.test_client()
    login(client, admin_id)
    return client


def test_indonesian_pages_show_no_english_and_english_pages_no_indonesian(demo_client):
    pairs = _differing_pairs()
    # A word that is a message in one language and a translation in the other ("OPD") belongs to both.
    all_ids = {m.id for m in _catalog() if isinstance(m.id, str)}
    all_strings = {m.string for m in _catalog() if isinstance(m.string, str)}
    english, indonesian = set(pairs) - all_strings, set(pairs.values()) - all_ids
    for locale, forbidden in (("id", english), ("en", indonesian)):
        demo_client.post("/language", data={"locale": locale})
        for url in PAGES:
            response = demo_client.get(url)
            assert response.status_code in (200, 404, 410), url
            leaked = _texts(response.get_data(as_text=True)) & forbidden
            assert leaked == set(), f"{locale} {url}"
    # The check itself can see a leak: the English page does show English labels.
    assert {"Participants", "Recommendations"} <= _texts(demo_client.get("/forums/1").get_data(as_text=True))


@pytest.mark.parametrize(
    ("locale", "expected", "english"),
    [("id", "Pilihan tidak sah.", "Not a valid choice."), ("en", "Not a valid choice.", "Pilihan tidak sah.")],
)
def test_wtforms_own_messages_come_in_the_users_language(app, world, locale, expected, english):
    """A tampered choice (an OPD id not offered) is refused by WTForms itself: its message is in the catalogue."""
    from accounts.models import User
    from core.extensions import db
    from forum import services as forums
    from tests.conftest import as_user, login
    from tests.forum.helpers import make_forum

    with app.app_context():
        forum = make_forum(world)
        recommendation = forums.add_recommendation(as_user(world.users["secretariat"].id), forum.id, text="Keswa")
        forum_id, recommendation_id = forum.id, recommendation.id
        db.session.get(User, world.users["secretariat"].id).locale = locale
        db.session.commit()
    client = app.test_client()
    login(client, world.users["secretariat"].id)
    form = {"kind": "task", "title": "Tugas", "due_date": "2026-01-30", "lead_opd_id": "999999"}
    response = client.post(f"/forums/{forum_id}/recommendations/{recommendation_id}/actions/new", data=form)
    assert response.status_code == 422
    assert expected in response.text and english not in response.text


# --- Every page and every validation message an Indonesian user can reach, in Indonesian -----------------------

# Words that mark a text as English and are no Indonesian word; two in one text node make it English.
ENGLISH_WORDS = {
    "the", "is", "are", "must", "field", "invalid", "required", "please", "valid", "this", "your", "cannot",
    "characters", "choose", "enter", "not", "be", "an", "of", "and", "or", "to", "has", "with", "value",
}  # fmt: skip


def _placeholder_pattern(message_id: str) -> str:
    """A message with its %(name)s / {name} placeholders as wildcards, for a text with them filled in."""
    return re.sub(r"%\\\(\w+\\\)[sd]|\\\{\w+\\\}", ".+", re.escape(message_id))


def _english_detector():
    """A function giving the English texts of a page: a message of WTForms' or Flask-WTF's own (their
    placeholders filled in), an English msgid of Kawal's catalogue, or a text of two or more English words."""
    from tests.core.test_forms import _wtforms_template_ids

    catalog = _catalog()
    all_strings = {m.string for m in catalog if isinstance(m.string, str)}
    english = {
        message_id
        for m in catalog
        if m.id and m.string
        for message_id, string in zip(
            (m.id,) if isinstance(m.id, str) else m.id,
            (m.string,) if isinstance(m.string, str) else m.string,
            strict=False,
        )
        if message_id != string and message_id not in all_strings
    }
    templates = (
        english | _wtforms_template_ids(plurals=True) | {"File does not have an approved extension: {extensions}"}
    )
    pattern = re.compile("|".join(sorted(_placeholder_pattern(t) for t in templates if "%(" in t or "{" in t)))
    exact = {t for t in templates if "%(" not in t and "{" not in t}

    def english_in(page: str) -> set[str]:
        found = set()
        for text in _texts(page):
            words = set(re.findall(r"[a-z]+", text.lower()))
            if text in exact or pattern.fullmatch(text) or len(words & ENGLISH_WORDS) >= 2:
                found.add(text)
        return found

    return english_in


def test_the_english_detector_sees_an_untranslated_message():
    """The check the crawl below relies on: WTForms' messages, filled in or not, a msgid of our catalogue and an
    English sentence are seen; an Indonesian page is not."""
    english_in = _english_detector()
    page = (
        "<ul class='errors'><li>This field is required.</li><li>Field cannot be longer than 300 characters.</li>"
        "<li>Not a valid integer value.</li><li>Number must be between 1 and 30.</li></ul>"
        "<p>Participants</p><p>Please reload the page and try again</p>"
    )
    assert english_in(page) == {
        "This field is required.",
        "Field cannot be longer than 300 characters.",
        "Not a valid integer value.",
        "Number must be between 1 and 30.",
        "Participants",
        "Please reload the page and try again",
    }
    indonesian = (
        "<ul class='errors'><li>Wajib diisi.</li><li>Isian tidak boleh lebih dari 300 karakter.</li></ul>"
        "<p>Peserta</p><p>FGD PPT Kespro, Dinas Kesehatan</p><p>Bahasa Indonesia</p><p>English</p>"
    )
    assert english_in(indonesian) == set()


# Pages per account: the routes of its menu and their forms, once each. The time given is a safety net for a busy
# machine, not the bound; a crawl cut short says so, and fails below when it reached too few forms.
LANGUAGE_CRAWL_PAGES, LANGUAGE_CRAWL_SECONDS = 30, 20
LANGUAGE_CRAWL_ACCOUNTS = ["sekretariat@example.org", "kepala.dinkes@example.org", "admin@example.org"]
# The submissions that make validators speak: nothing at all, too long, and a date (not a number, nor an email)
# in every field.
LANGUAGE_VARIANTS = {"empty", "10,000 characters", "max date in every field"}


def test_an_indonesian_user_meets_no_english_on_any_page_or_validation_message(make_app, tmp_path):
    """The crawler walks the demo as Indonesian users (the secretariat, an OPD head, the admin), submits every
    form it finds with valid values, empty, overlong and with wrong kinds of values, and every HTML answer, the
    forms shown again with their errors included, must hold no English text."""
    from accounts.models import User
    from tests.conftest import login
    from tests.crawler import Crawler, Identity
    from tests.test_crawl import skip_form

    english_in = _english_detector()

    class LanguageCrawler(Crawler):
        """Reads every HTML answer for English, and sends only the variants that make validators speak."""

        def request(self, identity, method, url, data=None, variant="page"):
            response = super().request(identity, method, url, data, variant)
            # The API reference (linked from the token page) reads the OpenAPI document: its descriptions are the
            # schemas' and operations' own, in English like the document at /api/v1/openapi.json.
            if self.route(url)[0] == "api_docs.docs":
                return response
            # A redirect's body (Werkzeug's "You should be redirected") is for no one: browsers follow it.
            if response is not None and response.mimetype == "text/html" and not 300 <= response.status_code < 400:
                found = english_in(response.get_data(as_text=True))
                if found:
                    self.leaked.append(f"{method} {url[:100]} [{variant}] {response.status_code}: {sorted(found)[:6]}")
            return response

        def hostile_variants(self, form, identity):
            for variant in super().hostile_variants(form, identity):
                if variant[0] in LANGUAGE_VARIANTS:
                    yield variant

    from demo import data

    app = make_app(ATTACHMENT_DIR=str(tmp_path / "attachments"))
    with app.app_context():
        data.load()
        users = {email: db_user.id for email in LANGUAGE_CRAWL_ACCOUNTS if (db_user := _user(User, email))}
        assert {_user(User, email).locale for email in LANGUAGE_CRAWL_ACCOUNTS} == {"id"}
    crawler = LanguageCrawler(
        app,
        max_pages=LANGUAGE_CRAWL_PAGES,
        per_route=1,
        query_variants=False,
        skip=lambda identity, endpoint, args: endpoint == "accounts.language" or skip_form(identity, endpoint, args),
        last=lambda endpoint: endpoint == "accounts.password",
    )
    crawler.leaked = []
    for email, user_id in users.items():
        client = app.test_client()
        login(client, user_id)
        crawler.crawl(Identity(email.split("@")[0], client, "kawal-demo", user_id), "/", budget=LANGUAGE_CRAWL_SECONDS)
    print(crawler.summary())
    assert crawler.counts["forms submitted"] > 40 and crawler.statuses[422] > 10, crawler.summary()
    assert crawler.leaked == [], "\n".join(crawler.leaked[:40])


def _user(model, email: str):
    from core.extensions import db

    return db.session.scalar(__import__("sqlalchemy").select(model).where(model.email == email))
