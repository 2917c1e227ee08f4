"""notifications/mailer.py: every way SMTP fails becomes a code (said in the reader's language) and the server's
own words, and a permanent or a temporary failure."""

import smtplib
import ssl

import pytest

from notifications.mailer import PermanentFailure, TemporaryFailure, _classify
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
            PermanentFailure,
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
