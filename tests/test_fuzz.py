"""A property-based fuzz of every form and upload over the demo data: hypothesis fills each form the crawler
finds (tests/crawler.py) with generated text, numbers, dates, choices and files, fields missing or repeated;
no submission may answer 500.

Bounded by examples per form and by seconds in all, so the suite stays quick; no hypothesis database is kept.
"""

import time
from datetime import timedelta

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from tests.crawler import Crawler, Form, Identity
from tests.test_crawl import CRAWL_ENDING_LAST, DEMO_ACCOUNTS, acknowledge_start, demo_app, logged_in, skip_form

EXAMPLES_PER_FORM = 20
FEWEST_EXAMPLES_PER_FORM = 5  # on a busy machine: fewer examples a form rather than fewer forms
SECONDS = 60.0  # for the examples, after the forms are found
SETTINGS = settings(
    max_examples=EXAMPLES_PER_FORM,
    deadline=timedelta(seconds=10),  # one submission, and the page it leads to
    database=None,
    # No shrinking: each step would replay submissions against a database that has moved on, for minutes.
    # The first failing example is reported as it was generated.
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)

text = st.one_of(
    st.text(max_size=40),
    st.text(st.characters(codec="utf-8"), min_size=200, max_size=400),
    # UTF-8's characters: a lone surrogate cannot be encoded into a request at all, so it never reaches Kawal.
    st.builds(lambda char, n: char * n, st.characters(codec="utf-8"), st.integers(0, 12_000)),
    st.sampled_from(["", " ", "0", "-1", "<script>alert(1)</script>", "' OR 1=1 --", '=HYPERLINK("x")', "\r\n"]),
)
number = st.one_of(st.integers().map(str), st.integers(-5, 200).map(str), st.floats().map(str), text)
day = st.one_of(st.dates().map(lambda d: d.isoformat()), st.sampled_from(["0001-01-01", "9999-12-31"]), text)
moment = st.one_of(st.datetimes().map(lambda d: d.isoformat(timespec="minutes")), day)
file_head = st.sampled_from(
    [b"", b"%PDF-1.4\n", b"PK\x03\x04", b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"Nama,Jabatan\n"]
)
upload = st.tuples(st.builds(bytes.__add__, file_head, st.binary(max_size=3000)), text.map(lambda name: name + ".pdf"))


def value_for(field, data):
    """A generated value for one control, or the page's own value now and then."""
    kind = field.kind
    if kind == "file":
        return data.draw(upload)
    if kind in ("select", "radio"):
        return data.draw(st.one_of(st.sampled_from(field.options or [field.value]), number))
    if kind == "number":
        return data.draw(number)
    if kind == "date":
        return data.draw(day)
    if kind in ("datetime-local", "month", "time"):
        return data.draw(moment)
    if kind == "checkbox":
        return field.value
    return data.draw(st.one_of(st.just(field.value), text))


def fuzz_form(crawler: Crawler, identity, form: Form, examples: int = EXAMPLES_PER_FORM) -> int:
    """Run the examples for one form; returns how many ran. A 500 fails with the example that met it."""
    runs = []

    @settings(SETTINGS, max_examples=examples)
    @given(st.data())
    def submit(data):
        values = []
        for field in form.controls:
            if field.name == "csrf_token":
                values.append((field.name, field.value))
                continue
            # Each field present (the usual), missing, or sent twice.
            for _ in range(data.draw(st.sampled_from([1, 1, 1, 0, 2]), label=f"copies of {field.name}")):
                values.append((field.name, value_for(field, data)))
        buttons = form.buttons
        if buttons:
            button = data.draw(st.sampled_from(buttons))
            values.append((button.name, button.value))
        before = len(crawler.failures)
        crawler.submit(identity, form, values, "fuzz")
        runs.append(1)
        assert len(crawler.failures) == before, str(crawler.failures[-1])

    submit()
    return len(runs)


def test_every_form_and_upload_survives_generated_input(make_app, tmp_path, crawl_summary):
    app = demo_app(make_app, tmp_path)
    # Find the forms as the roles that own them: a short crawl with valid values only.
    crawler = Crawler(
        app,
        skip=skip_form,
        last=lambda endpoint: endpoint in CRAWL_ENDING_LAST,
        query_variants=False,
        hostile=False,
        budget=15.0,  # to find the forms: on an idle machine the crawl ends well before it
    )
    identities = [logged_in(app, crawler, email) for email in DEMO_ACCOUNTS]
    anonymous = Identity("anonymous", app.test_client())
    crawler.crawl(anonymous, "/", acknowledge_start(app))
    for identity in identities:
        crawler.crawl(identity, "/", "/actions?awaiting=1")
    # The admin's forms last, as in the crawl: resetting a password ends that user's sessions.
    order = [anonymous.label] + [identity.label for identity in identities]
    forms = sorted(crawler.forms.items(), key=lambda item: order.index(crawler.found_by[item[0]].label))
    start = time.monotonic()
    stop, examples, fuzzed = start + SECONDS, 0, set()
    for done, (key, form) in enumerate(forms):
        now = time.monotonic()
        if now > stop:
            break
        # Each form may take its share of the time left, at the pace of the examples so far: a slow machine (a
        # parallel run, a shared runner) fuzzes every form a little less instead of leaving the last ones out.
        count = EXAMPLES_PER_FORM
        if examples:
            fit = (stop - now) / (len(forms) - done) / ((now - start) / examples)
            count = max(FEWEST_EXAMPLES_PER_FORM, min(EXAMPLES_PER_FORM, int(fit)))
        examples += fuzz_form(crawler, crawler.found_by[key], form, count)
        fuzzed.add(key)
    posts = {key[1] for key in fuzzed if key[0] == "POST"}
    uploads = sum(any(f.kind == "file" for f in form.fields) for key, form in forms if key in fuzzed)
    crawl_summary(
        f"fuzz ({app.config['SQLALCHEMY_DATABASE_URI'].split(':')[0]}): {len(fuzzed)} of {len(forms)} "
        f"forms ({len(posts)} POST routes, {uploads} with uploads), {examples} examples, "
        f"{len(crawler.failures)} responses of 500"
    )
    assert not crawler.failures, crawler.report()
    assert len(posts) >= 30 and uploads >= 2, (sorted(posts), uploads)
