"""notifications/mailer.py: every way SMTP fails becomes a code (said in the reader's language) and the server's
own words, and a permanent or a temporary failure."""

import smtplib
import ssl
from email import message_from_bytes
from email import policy as email_policy

import flask_mail
import pytest

from core import clock
from notifications.mailer import PermanentFailure, Rendered, TemporaryFailure, _classify, build, message_id
from notifications.models import MAIL_ERROR_LABELS, MailError


@pytest.mark.parametrize(
    ("error", "kind", "code", "words"),
    [
        (
            smtplib.SMTPRecipientsRefused({"a@example.org": (550, b"5.1.1 user unknown")}),
            PermanentFailure,
            MailError.RECIPIENTS_REFUSED,
            "a@example.org: 550 5.1.1 user unknown",
        ),
        (
            smtplib.SMTPRecipientsRefused({"a@example.org": (451, b"4.3.0 try later")}),
            TemporaryFailure,
            MailError.RECIPIENTS_REFUSED,
            "a@example.org: 451 4.3.0 try later",
        ),
        (smtplib.SMTPDataError(554, b"5.7.1 spam"), PermanentFailure, MailError.SERVER_REFUSED, "554 5.7.1 spam"),
        (smtplib.SMTPSenderRefused(451, b"4.7.1 later", "k@x"), TemporaryFailure, MailError.SERVER_REFUSED, None),
        (
            smtplib.SMTPAuthenticationError(535, b"5.7.8 bad credentials"),
            TemporaryFailure,  # Kawal's settings, not the message: it waits until an operator fixes them
            MailError.AUTHENTICATION,
            "535 5.7.8 bad credentials",
        ),
        (ConnectionRefusedError(111, "Connection refused"), TemporaryFailure, MailError.CONNECTION_REFUSED, None),
        (TimeoutError("timed out"), TemporaryFailure, MailError.TIMEOUT, "TimeoutError: timed out"),
        (smtplib.SMTPServerDisconnected("gone"), TemporaryFailure, MailError.DISCONNECTED, None),
        (ssl.SSLError("wrong version number"), TemporaryFailure, MailError.TLS, None),
        (OSError(-2, "Name or service not known"), TemporaryFailure, MailError.UNREACHABLE, None),
        (smtplib.SMTPNotSupportedError("no STARTTLS"), TemporaryFailure, MailError.OTHER, None),
        (ValueError("odd"), TemporaryFailure, MailError.OTHER, "ValueError: odd"),
    ],
)
def test_each_smtp_failure_becomes_a_code_and_the_servers_words(error, kind, code, words):
    failure = _classify(error)
    assert type(failure) is kind and failure.code == code
    if words is not None:
        assert failure.words == words
    assert failure.words  # the server's or the socket's words are kept as data


def test_every_mail_error_has_a_label():
    assert set(MAIL_ERROR_LABELS) == set(MailError)


LONG_SUBJECT = "[Kawal] Tugas baru untuk DINKES: Layanan kesehatan jiwa tersedia di setiap Puskesmas dan rumah sakit"


def test_a_long_subject_stays_on_one_line_and_utf_8_survives(appctx):
    text = "Yth. Kepala Dinas — Ibu Ni Luh Putu Ayu Ṣalīḥah\n" + "isi " * 400 + "\n"
    message = build(
        Rendered(LONG_SUBJECT, text, "<p>Sarana visum — segera</p>"),
        to=["a@example.org"],
        cc=["z@example.org", "b@example.org", "m@example.org"],
        dedup_key="k:1",
    )
    assert isinstance(message, flask_mail.Message)
    raw = message.as_bytes()
    # Not folded at 78 characters: "[Kawal]" never stands on a line of its own.
    assert f"\r\nSubject: {LONG_SUBJECT}\r\n".encode() in raw
    assert b"\r\nFrom: Kawal <kawal@localhost>\r\n" in raw  # an ASCII name is not encoded
    assert b"\r\nCc: z@example.org, b@example.org, m@example.org\r\n" in raw  # in the order given
    assert max(len(line) for line in raw.split(b"\r\n")) <= 998 and raw.isascii()  # bodies quoted-printable
    parsed = message_from_bytes(raw, policy=email_policy.default)
    assert parsed.get_body(("plain",)).get_content().replace("\r\n", "\n") == text  # CRLF on the wire
    assert parsed.get_body(("html",)).get_content() == "<p>Sarana visum — segera</p>"
    assert parsed["Message-ID"] == message_id("k:1") and parsed["Auto-Submitted"] == "auto-generated"
    assert parsed["Date"].datetime.timestamp() == clock.now().timestamp()  # the injected clock, not the machine's


def test_names_and_subjects_in_any_script_are_encoded_and_read_back_as_written(appctx, app):
    app.config["MAIL_DEFAULT_SENDER"] = "Bappeda Kab. Bulèlèng <kawal@bappeda.example.go.id>"
    subject = "[Kawal] DINKES: 2 terlambat — Ni Luh Putu Ayu Ṣalīḥah"
    text = "Yth. Ibu Ṣalīḥah,\n\n" + "Garis = tanda; spasi di ujung \n" + "x" * 300 + "\n.\nFrom the start\n"
    html = '<p>Yth. Ibu Ṣalīḥah — <a href="https://kawal.example/t/1?a=1&amp;b=2">tugas</a></p>\n'
    to = ["Ni Luh Ṣalīḥah <ni.luh@example.go.id>"]
    message = build(
        Rendered(subject, text, html), to=to, cc=["Dinas Kesehatan <dinkes@example.go.id>"], dedup_key="k:2"
    )
    raw = message.as_bytes()
    assert raw.isascii() and max(len(line) for line in raw.split(b"\r\n")) <= 998
    assert b"\n" not in raw.replace(b"\r\n", b"")  # every line ends CRLF, as SMTP wants
    assert b"\r\nCc: Dinas Kesehatan <dinkes@example.go.id>\r\n" in raw  # ASCII stays readable
    parsed = message_from_bytes(raw, policy=email_policy.default)
    assert parsed["Subject"] == subject
    assert parsed["From"].addresses[0].display_name == "Bappeda Kab. Bulèlèng"
    assert parsed["From"].addresses[0].addr_spec == "kawal@bappeda.example.go.id"
    assert parsed["To"].addresses[0].display_name == "Ni Luh Ṣalīḥah"
    assert parsed["To"].addresses[0].addr_spec == "ni.luh@example.go.id"
    assert parsed.get_content_type() == "multipart/alternative" and not parsed.defects
    assert parsed.get_body(("plain",)).get_content().replace("\r\n", "\n") == text
    assert parsed.get_body(("html",)).get_content().replace("\r\n", "\n") == html


def test_a_text_only_message_is_one_part(appctx):
    message = build(Rendered("[Kawal] Uji", "Halo — dunia\n", None), to=["a@example.org"], cc=[], dedup_key="k:3")
    message.html = None
    parsed = message_from_bytes(message.as_bytes(), policy=email_policy.default)
    assert parsed.get_content_type() == "text/plain" and not parsed.defects
    assert parsed.get_content().replace("\r\n", "\n") == "Halo — dunia\n"


def test_a_line_break_in_a_header_value_never_starts_a_header_or_the_body(appctx):
    # Flask-Mail's check before sending reads the subject and the To addresses, not the Cc: the writer itself must
    # keep every value on its own header (this Python's policy writes a line break in a value as it is).
    message = build(
        Rendered("[Kawal] Uji", "Isi asli\n", None),
        to=["a@example.org"],
        cc=["c@example.org\r\nX-Injected: 1\r\n\r\nIsi palsu"],
        dedup_key="k:5",
    )
    message.html = None
    message.subject = "[Kawal] Uji\r\nX-Injected-Subject: 1"
    raw = message.as_bytes()
    parsed = message_from_bytes(raw, policy=email_policy.default)
    assert "X-Injected" not in parsed and "X-Injected-Subject" not in parsed
    assert parsed["Subject"] == "[Kawal] Uji X-Injected-Subject: 1"
    assert parsed.get_content().replace("\r\n", "\n") == "Isi asli\n"
    assert b"\n" not in raw.replace(b"\r\n", b"")


def test_a_lone_carriage_return_in_a_body_is_a_line_break_and_the_boundary_text_stays_text(appctx):
    text = "satu\rdua\r\r\ntiga\n--=_kawal\n--=_kawal--\n=_kawal\n"
    html = "<p>a\rb</p>\n--=_kawal--\n"
    raw = build(Rendered("[Kawal] Uji", text, html), to=["a@example.org"], cc=[], dedup_key="k:6").as_bytes()
    assert b"\r" not in raw.replace(b"\r\n", b"") and b"\n" not in raw.replace(b"\r\n", b"")  # no bare CR or LF
    parsed = message_from_bytes(raw, policy=email_policy.default)
    assert not parsed.defects and len(list(parsed.iter_parts())) == 2
    plain = text.replace("\r\n", "\n").replace("\r", "\n")
    assert parsed.get_body(("plain",)).get_content().replace("\r\n", "\n") == plain
    assert parsed.get_body(("html",)).get_content().replace("\r\n", "\n") == html.replace("\r", "\n")
