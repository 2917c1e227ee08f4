"""A crawler for the suite: it walks an app through Flask's test client as one user at a time, follows every
same-site link breadth first, submits every form it finds with plausible values and with hostile ones, and
collects every response of 500 with the last line of its traceback, and every page that shows an identity words it
must not see (another government's forum titles and OPDs, for Kawal).

It knows nothing of Kawal: tests/test_crawl.py gives it the demo data, the accounts and what not to submit.
"""

import io
import logging
import time
import traceback
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

from flask import Flask
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import HTTPException
from werkzeug.routing import RequestRedirect

LONG = "x" * 10_000
NUL_UNICODE = "\x00 ☃ 𝔘𝔫𝔦 \u202egnp.exe الرياض 名前 🙂"
HUGE = "99999999999999999999"
NEGATIVE = "-99999999999999999999"
MIN_DATE, MAX_DATE = "0001-01-01", "9999-12-31"
# Names that url_for and Jinja macros take for themselves: a query string carrying them must not break a page.
RESERVED_ARGS = {"endpoint": "x", "_external": "1", "_anchor": "x", "_scheme": "x", "_method": "x"}
DATE_KINDS = {"date": "{}", "datetime-local": "{}T00:00", "month": "{}"}

SMALL_PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
SMALL_CSV = b"Nama,Jabatan,Instansi,Unsur\nBudi Santoso,Staf,DINKES,opd\n"
HOSTILE_FILE = b"MZ\x90\x00\x03\x00\x00\x00" + bytes(range(256)) * 4

MAX_MISSING_ONE = 8  # forms get one submission without each of their first fields


def hostile_file(accept: str, flavour: str) -> tuple[bytes, str]:
    """A file that should be refused politely: empty, overlong (in its rows or its name), or binary junk
    (a byte cp1252 does not define, NUL) under an allowed extension."""
    table = ".csv" in accept
    if flavour == "empty":
        return b"", ""
    if flavour == "long":
        if table:
            return f"Nama,Jabatan,Instansi\n{'N' * 300},{'J' * 10_000},DINKES\n".encode(), "daftar.csv"
        return SMALL_PDF, "b" * 300 + ".pdf"
    if table:
        return b"Nama,Jabatan\n\x81\x00\x8d\xff,\x9d\n", "daftar.csv"
    return HOSTILE_FILE, "../" + "é" * 300 + "\x00.pdf"


@dataclass
class Field:
    """One control of a form, as the page rendered it."""

    name: str
    kind: str  # the input type, or "select", "textarea", "button"
    value: str = ""
    options: list[str] = field(default_factory=list)
    checked: bool = False
    accept: str = ""
    maxlength: int | None = None


@dataclass
class Form:
    """A form found on a page: where it goes and what it holds."""

    method: str
    action: str
    multipart: bool
    page: str
    fields: list[Field] = field(default_factory=list)

    @property
    def buttons(self) -> list[Field]:
        return [f for f in self.fields if f.kind == "button"]

    @property
    def controls(self) -> list[Field]:
        return [f for f in self.fields if f.kind != "button"]


@dataclass
class Failure:
    """A response of 500: what was asked, and the last line of the traceback."""

    method: str
    url: str
    variant: str
    error: str

    def __str__(self) -> str:
        return f"{self.method} {self.url} [{self.variant}]: {self.error}"


class _PageParser(HTMLParser):
    """Collects the links and the forms of one HTML page."""

    def __init__(self, page: str):
        super().__init__(convert_charrefs=True)
        self.page = page
        self.links: list[str] = []
        self.forms: list[Form] = []
        self._form: Form | None = None
        self._select: Field | None = None
        self._option: dict | None = None
        self._textarea: Field | None = None

    def handle_starttag(self, tag, attrs):
        a = {k: (v or "") for k, v in attrs}
        if tag == "a" and a.get("href"):
            self.links.append(a["href"])
        elif tag == "form":
            self._form = Form(
                method=(a.get("method") or "get").upper(),
                action=a.get("action") or self.page,
                multipart="multipart" in a.get("enctype", ""),
                page=self.page,
            )
            self.forms.append(self._form)
        elif self._form is None or "name" not in a and tag not in ("option",):
            return
        elif tag == "input":
            kind = a.get("type", "text").lower()
            if kind in ("submit", "image", "button", "reset"):
                kind = "button"
            maxlength = a.get("maxlength", "")
            self._form.fields.append(
                Field(
                    a["name"],
                    kind,
                    a.get("value", "on" if kind in ("checkbox", "radio") else ""),
                    checked="checked" in a,
                    accept=a.get("accept", ""),
                    maxlength=int(maxlength) if maxlength.isdigit() else None,
                )
            )
        elif tag == "button" and a.get("type", "submit") == "submit":
            self._form.fields.append(Field(a["name"], "button", a.get("value", "")))
        elif tag == "select":
            self._select = Field(a["name"], "select")
            self._form.fields.append(self._select)
        elif tag == "option" and self._select is not None:
            self._option = {"value": a.get("value"), "text": "", "selected": "selected" in a}
        elif tag == "textarea":
            self._textarea = Field(a["name"], "textarea")
            self._form.fields.append(self._textarea)

    def handle_data(self, data):
        if self._option is not None:
            self._option["text"] += data
        elif self._textarea is not None:
            self._textarea.value += data

    def handle_endtag(self, tag):
        if tag == "option" and self._option is not None:
            self._close_option()
        elif tag == "select":
            if self._option is not None:
                self._close_option()
            self._select = None
        elif tag == "textarea":
            self._textarea = None
        elif tag == "form":
            self._form = None

    def _close_option(self):
        value = self._option["value"] if self._option["value"] is not None else self._option["text"].strip()
        self._select.options.append(value)
        if self._option["selected"]:
            self._select.value = value
            self._select.checked = True
        self._option = None


def parse_page(url: str, html: str) -> tuple[list[str], list[Form]]:
    """The links and forms of a page, links made absolute against its URL."""
    parser = _PageParser(url)
    parser.feed(html)
    parser.close()
    return [urljoin(url, link) for link in parser.links], parser.forms


class _ErrorLog(logging.Handler):
    """Keeps the exceptions an app logs (its 500 handler logs them) so each 500 can say why."""

    def __init__(self):
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record):
        if record.exc_info:
            self.records.append(record)


def last_line(exc_info) -> str:
    """The exception's type and first line, and the innermost place it was raised (a template's line, too)."""
    _type, error, tb = exc_info
    frames = traceback.extract_tb(tb)
    where = f" ({frames[-1].filename.rsplit('/', 2)[-1]}:{frames[-1].lineno})" if frames else ""
    # The exception's first line: SQLAlchemy's messages end with a line of links, not the cause.
    message = (str(error).strip().splitlines() or [""])[0][:300]
    return f"{type(error).__name__}: {message}{where}"


def _request_key(data: list[tuple], action: str | None) -> str:
    """What a submission sends, to know two variants of a form apart."""
    return repr((action, data))


@dataclass
class Identity:
    """Who crawls: a label, a logged-in test client, and what it must not submit."""

    label: str
    client: object
    password: str = ""
    user_id: int | None = None
    must_not_show: tuple[str, ...] = ()  # words no page reached as this identity may show


class Crawler:
    """Breadth-first crawl and form submission, bounded in pages, URLs per route and seconds per identity."""

    def __init__(
        self,
        app: Flask,
        *,
        max_pages: int = 200,
        per_route: int = 3,
        budget: float = 10.0,
        skip: Callable[[Identity, str, dict], bool] = lambda identity, endpoint, args: False,
        last: Callable[[str], bool] = lambda endpoint: False,
        query_variants: bool = True,
        hostile: bool = True,
        submit_forms: bool = True,
        shown: Callable[[str | None, str], str] = lambda endpoint, text: text,
    ):
        self.app = app
        self.max_pages = max_pages
        self.per_route = per_route
        self.budget = budget
        self.deadline = time.monotonic() + budget
        self.skip = skip
        self.last = last
        self.query_variants = query_variants
        self.hostile = hostile
        self.submit_forms = submit_forms
        self.shown = shown  # the part of a page that counts for must_not_show (an OPD picker may name any OPD)
        self.failures: list[Failure] = []
        self.leaks: list[Failure] = []
        self.cut = False
        self.visited: dict[str, None] = {}  # in the order visited
        self.forms: dict[tuple, Form] = {}  # one per route and field names, for the fuzz
        self.found_by: dict[tuple, Identity] = {}
        self.counts = Counter()
        self.statuses = Counter()
        self.ids: dict[str, set[int]] = {}
        # Hostile values go once to each form, and the query variants once to each route's first page: a
        # later identity sends only its valid values, which is what differs between roles.
        self._hostile_done: set[tuple] = set()
        self._varied: set[str] = set()
        self._downloads = Counter()
        self._adapter = app.url_map.bind("localhost")
        self._log = _ErrorLog()

    # --- requests -----------------------------------------------------------------------------------

    @property
    def out_of_time(self) -> bool:
        """Asked only with work left to do, so it also records that the crawl was cut short."""
        late = time.monotonic() > self.deadline
        self.cut |= late
        return late

    def route(self, url: str, method: str = "GET") -> tuple[str | None, dict]:
        """The endpoint and view arguments of a same-site URL, or (None, {}) when no route matches."""
        try:
            endpoint, args = self._adapter.match(urlsplit(url).path, method=method)
        except RequestRedirect as redirect:
            return self.route(redirect.new_url, method)
        except HTTPException:
            return None, {}
        return endpoint, args

    def request(self, identity: Identity, method: str, url: str, data=None, variant: str = "page"):
        """One request through the test client; a 500 (or an exception the app let through) is a failure."""
        self.counts["requests"] += 1
        before = len(self._log.records)
        # Attached per request: apps of one name share their logger, and another test's crawler must not listen.
        self.app.logger.addHandler(self._log)
        try:
            response = identity.client.open(url, method=method, data=data, follow_redirects=False)
        except Exception as error:  # an app without a 500 handler, under TESTING, raises into the client
            self.failures.append(
                Failure(
                    method, url, f"{identity.label}:{variant}", last_line((type(error), error, error.__traceback__))
                )
            )
            self.statuses[500] += 1
            return None
        finally:
            self.app.logger.removeHandler(self._log)
        self.statuses[response.status_code] += 1
        if response.status_code >= 500:
            records = self._log.records[before:]
            error = last_line(records[-1].exc_info) if records else response.get_data(as_text=True)[:200]
            self.failures.append(Failure(method, url, f"{identity.label}:{variant}", error))
        elif identity.must_not_show and response.status_code == 200 and response.mimetype == "text/html":
            self._check_shown(identity, method, url, variant, response.get_data(as_text=True))
        return response

    def _check_shown(self, identity: Identity, method: str, url: str, variant: str, html: str) -> None:
        text = self.shown(self.route(url, method)[0], html)
        words = [word for word in identity.must_not_show if word in text]
        if words:
            self.leaks.append(Failure(method, url, f"{identity.label}:{variant}", f"shows {words}"))

    # --- crawling -----------------------------------------------------------------------------------

    def login(self, client, form_url: str, email: str, password: str) -> bool:
        """Log in through the page's own form (its CSRF token included); True when the app redirected."""
        identity = Identity("login", client)
        response = self.request(identity, "GET", form_url)
        _links, forms = parse_page(form_url, response.get_data(as_text=True))
        form = next(f for f in forms if f.method == "POST")
        values = MultiDict(self.valid_values(form, identity))
        values["email"], values["password"] = email, password
        response = self.request(identity, "POST", form.action, values, "login")
        return response is not None and response.status_code in (302, 303)

    def crawl(
        self, identity: Identity, *starts: str, budget: float | None = None, max_pages: int | None = None
    ) -> None:
        """Visit what `identity` can reach from `starts` (the home page unless told), then submit the forms
        found, the crawl-ending ones last; within `budget` seconds and `max_pages` (the crawler's own unless told)."""
        budget = budget or self.budget
        max_pages = max_pages or self.max_pages
        # Pages may take two thirds of the time at most: the forms are where most errors hide.
        self.deadline = time.monotonic() + budget * 2 / 3
        queue, seen, found = deque(starts or ["/"]), set(), []
        # A route's URLs are visited while they show forms not seen yet (a submitted task shows "verify"), and
        # `per_route` more after the last that did, within 5 × per_route in all.
        stale, visits, form_keys = Counter(), Counter(), set()
        pages = 0
        while queue and pages < max_pages and not self.out_of_time:
            url = queue.popleft()
            endpoint, args = self.route(url)
            signature = (endpoint, tuple(sorted(dict(parse_qsl(urlsplit(url).query)))))
            if url in seen or endpoint is None or endpoint == "static" or self._downloads[endpoint] >= self.per_route:
                continue
            if stale[signature] >= self.per_route or visits[signature] >= 5 * self.per_route:
                continue
            seen.add(url)
            stale[signature] += 1
            visits[signature] += 1
            self._remember_ids(args)
            response = self.request(identity, "GET", url)
            pages += 1
            self.visited[url] = None
            if response is None:
                continue
            if response.status_code in (301, 302, 303, 307, 308):
                queue.append(urljoin(url, response.headers["Location"]))
                continue
            if response.mimetype != "text/html":
                # A file (PDF, Excel, calendar) costs far more than a page and reads the same for every role:
                # a few of each route, in the whole crawl.
                self._downloads[endpoint] += 1
                continue
            links, forms = parse_page(url, response.get_data(as_text=True))
            queue.extend(link for link in links if self._same_site(link) and link not in seen)
            keys = {
                (form.method, self.route(form.action, form.method)[0], *sorted(f.name for f in form.fields))
                for form in forms
            }
            if keys - form_keys:
                form_keys |= keys
                stale[signature] = 0
            found.extend(forms)
            if self.query_variants and endpoint not in self._varied:
                self._varied.add(endpoint)
                self._query_variants(identity, url, [f for f in forms if f.method == "GET"])
        self.counts["pages"] += pages
        self.deadline += budget / 3
        if self.submit_forms:
            self._submit_all(identity, found)

    def _same_site(self, url: str) -> bool:
        parts = urlsplit(url)
        return parts.scheme in ("", "http") and parts.netloc in ("", "localhost")

    def _remember_ids(self, args: dict) -> None:
        for name, value in args.items():
            if isinstance(value, int):
                self.ids.setdefault(name, set()).add(value)

    def _query_variants(self, identity: Identity, url: str, get_forms: list[Form]) -> None:
        """The same page with page=2, reserved names, edge dates, overlong and huge values in its query."""
        parts = urlsplit(url)
        args = parse_qsl(parts.query, keep_blank_values=True)
        names = dict.fromkeys([name for name, _ in args] + [f.name for g in get_forms for f in g.controls])
        variants = {
            "page=2": [*args, ("page", "2")],
            "endpoint=x": [*args, ("endpoint", "x")],
            "reserved names": [*args, *RESERVED_ARGS.items()],
        }
        for label, value in [
            ("min date", MIN_DATE),
            ("max date", MAX_DATE),
            ("overlong", LONG),
            ("huge number", NEGATIVE),
            ("nul", NUL_UNICODE),
        ]:
            variants[label] = [(name, value) for name in [*names, "page"]]
        variants["repeated"] = [*args, *args, *((name, "1") for name in names)]
        for label, query in variants.items():
            if self.out_of_time:
                return
            self.counts["query variants"] += 1
            self.request(identity, "GET", urlunsplit(parts._replace(query=urlencode(query))), variant=label)

    # --- forms --------------------------------------------------------------------------------------

    def _submit_all(self, identity: Identity, forms: list[Form]) -> None:
        """Each distinct form once with valid values (and, the first time any identity meets it, with hostile
        ones); forms that appear only after a submission (an import's confirmation) join the queue."""
        queue, later, chosen = deque(), [], set()

        def enqueue(found: list[Form]) -> None:
            for form in found:
                endpoint, args = self.route(form.action, form.method)
                if endpoint is None or self.skip(identity, endpoint, args):
                    continue
                key = (form.method, endpoint, tuple(sorted({f.name for f in form.fields})))
                if key not in chosen:
                    chosen.add(key)
                    self.forms.setdefault(key, form)
                    self.found_by.setdefault(key, identity)
                    (later if self.last(endpoint) else queue).append((key, form))

        enqueue(forms)
        while (queue or later) and not self.out_of_time:
            key, form = queue.popleft() if queue else later.pop(0)
            enqueue(self.submit(identity, form))
            if self.hostile and key not in self._hostile_done:
                self._hostile_done.add(key)
                # A form with few fields makes several variants send the same values (no date field to make
                # "min date" of, no number to make huge, no field at all to empty): each distinct request goes once.
                sent = set()
                for variant, data, action in self.hostile_variants(form, identity):
                    if _request_key(data, action) in sent:
                        self.counts["hostile repeats not sent"] += 1
                        continue
                    sent.add(_request_key(data, action))
                    if self.out_of_time:
                        return
                    self.submit(identity, form, data, variant, action)

    def submit(
        self, identity: Identity, form: Form, data=None, variant: str = "valid", action: str | None = None
    ) -> list[Form]:
        """Send a form (its valid values unless told) and check the page it leads to; returns that page's forms."""
        if data is None:
            data = self.valid_values(form, identity)
        self.counts["forms submitted"] += 1
        url = action or form.action
        if form.method == "GET":
            parts = urlsplit(url)
            query = [(k, v) for k, v in data if isinstance(v, str)]
            url = urlunsplit(parts._replace(query=urlencode(query)))
            response = self.request(identity, "GET", url, None, variant)
        else:
            response = self.request(identity, form.method, url, MultiDict(self._files(data)), variant)
        if response is not None and response.status_code in (302, 303):
            url = urljoin(url, response.headers["Location"])
            if not self._same_site(url):
                return []
            response = self.request(identity, "GET", url, None, f"{variant}, after")
        if response is None or response.mimetype != "text/html":
            return []
        return parse_page(url, response.get_data(as_text=True))[1]

    @staticmethod
    def _files(data):
        """Fresh file objects for every submission (the client reads and closes them)."""
        return [(k, (io.BytesIO(v[0]), v[1]) if isinstance(v, tuple) else v) for k, v in data]

    def valid_values(self, form: Form, identity: Identity) -> list[tuple]:
        """What a careful user would send: the page's own values, and plausible ones where it left blanks."""
        values, buttons = [], form.buttons
        radios_done = set()
        for f in form.controls:
            if f.kind == "checkbox":
                if f.checked:
                    values.append((f.name, f.value))
            elif f.kind == "radio":
                if f.name not in radios_done and (
                    f.checked or not any(g.checked for g in form.controls if g.name == f.name)
                ):
                    values.append((f.name, f.value))
                    radios_done.add(f.name)
            elif f.kind == "file":
                values.append((f.name, self._valid_file(f)))
            elif f.kind == "select":
                value = f.value if f.checked else next((o for o in f.options if o), "")
                values.append((f.name, value))
            else:
                values.append((f.name, f.value or self._plausible(f, identity)))
        if buttons and buttons[0].name:
            values.append((buttons[0].name, buttons[0].value))
        return values

    @staticmethod
    def _valid_file(f: Field) -> tuple[bytes, str]:
        return (SMALL_CSV, "daftar-hadir.csv") if ".csv" in f.accept else (SMALL_PDF, "bukti.pdf")

    def _plausible(self, f: Field, identity: Identity) -> str:
        self.counts["values made up"] += 1
        name, n = f.name.lower(), self.counts["values made up"]
        if f.kind == "email" or "email" in name:
            return f"crawler{n}@example.org"
        if f.kind == "password":
            return identity.password if "current" in name else "sandi-crawler-2026"
        if f.kind == "date":
            return "2026-01-15"
        if f.kind == "datetime-local":
            return "2026-01-15T09:00"
        if f.kind == "time":
            return "09:00"
        if f.kind == "number":
            return "1"
        if f.kind == "url" or "link" in name or "url" in name:
            return "https://example.org/crawler"
        if name == "code":
            return f"CRAWL{n}"
        return f"Crawler {f.name} {n}"[: f.maxlength or None]

    def hostile_variants(self, form: Form, identity: Identity):
        """(label, values, action) for each hostile submission of a form."""
        valid = self.valid_values(form, identity)
        kinds = {f.name: f.kind for f in form.controls}
        accepts = {f.name: f.accept for f in form.controls}
        csrf = [(k, v) for k, v in valid if k == "csrf_token"]

        def every(value, only=None, files="nul"):
            out = []
            for name, old in valid:
                if name == "csrf_token":
                    out.append((name, old))
                elif kinds.get(name) == "file":
                    out.append((name, hostile_file(accepts[name], files)))
                elif only is None or only(name, old):
                    out.append((name, value(name) if callable(value) else value))
                else:
                    out.append((name, old))
            return out

        def is_date(name, _old):
            return kinds.get(name) in DATE_KINDS

        def is_number(name, old):
            return kinds.get(name) == "number" or (isinstance(old, str) and old.lstrip("-").isdigit())

        yield "empty", every("", files="empty"), None
        yield "10,000 characters", every(LONG, files="long"), None
        yield "NUL and unicode", every(NUL_UNICODE), None
        for label, day in (("min date", MIN_DATE), ("max date", MAX_DATE)):
            yield label, every(lambda n, d=day: DATE_KINDS[kinds[n]].format(d), is_date), None
            yield f"{label} in every field", every(day), None
        yield "huge numbers", every(HUGE, is_number), None
        yield "negative numbers", every(NEGATIVE, is_number), None
        yield "missing fields", csrf, None
        for missing in list(dict.fromkeys(n for n, _ in valid if n != "csrf_token"))[:MAX_MISSING_ONE]:
            yield f"missing {missing}", [(n, v) for n, v in valid if n != missing], None
        yield "repeated fields", valid + [(n, v) for n, v in every(NUL_UNICODE) if n != "csrf_token"], None
        foreign = self._foreign(form)
        if foreign or any(is_number(n, v) for n, v in valid):
            old = dict(valid)
            yield "foreign ids", every(lambda n: str(self._other_id(n, old.get(n))), is_number), foreign
        parts = urlsplit(form.action)
        reserved = urlencode([*parse_qsl(parts.query), ("page", "2"), *RESERVED_ARGS.items()])
        yield "reserved names in the query", valid, urlunsplit(parts._replace(query=reserved))

    def _other_id(self, name: str, current) -> int:
        """Another object's id of the same kind, as seen in the crawl's URLs, or one that names nothing."""
        others = sorted(self.ids.get(name, set()) - {int(current) if str(current).isdigit() else None})
        return others[-1] if others else 2**31 - 1

    def _foreign(self, form: Form) -> str | None:
        """The form's address with each id in its path swapped for another object's, or None without ids."""
        endpoint, args = self.route(form.action, form.method)
        swapped = {name: self._other_id(name, value) for name, value in args.items() if isinstance(value, int)}
        if not swapped:
            return None
        with self.app.test_request_context():
            from flask import url_for

            return url_for(endpoint, **{**args, **swapped})

    def unsubmitted(self, method: str = "POST") -> set[str]:
        """The app's page endpoints for `method` that no form the crawler found leads to. The API's operations are
        no page's forms: tests/api/ drives them (its matrix, schemathesis)."""
        endpoints = {
            rule.endpoint
            for rule in self.app.url_map.iter_rules()
            if method in rule.methods and not rule.rule.startswith("/api/")
        }
        return endpoints - {key[1] for key in self.forms if key[0] == method}

    def report(self) -> str:
        """The failures grouped by cause, each with how often and the first few requests that met it."""
        causes: dict[str, list[Failure]] = {}
        for failure in self.failures:
            causes.setdefault(failure.error, []).append(failure)
        lines = [self.summary()]
        lines += [f"leak: {leak}" for leak in self.leaks[:30]]
        for error, failures in sorted(causes.items(), key=lambda item: -len(item[1])):
            lines.append(f"{len(failures)} × {error}")
            lines.extend(f"    {f.method} {f.url[:160]} [{f.variant}]" for f in failures[:3])
        return "\n".join(lines)

    def summary(self) -> str:
        """One line of counts, for the test's report."""
        statuses = ", ".join(f"{code}: {n}" for code, n in sorted(self.statuses.items()))
        return (
            f"{self.counts['pages']} pages visited, {self.counts['query variants']} query variants, "
            f"{self.counts['forms submitted']} forms submitted ({self.counts['hostile repeats not sent']} repeated "
            f"hostile variants not sent), {self.counts['requests']} requests "
            f"({statuses}), {len(self.failures)} responses of 500, {len(self.leaks)} pages showing what they must not"
            f"{' (cut short by the time limit)' if self.cut else ''}"
        )
