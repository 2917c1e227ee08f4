"""Email bodies and the SMTP connection.

Messages are built with the standard library's EmailMessage from the paired templates under templates/email/,
and sent with smtplib. We tried Flask-Mail first and left it: its connection has no timeout, so a server that
never answers would hang the worker, and its connection context raises on a failed QUIT after the server has
accepted the message, where we must count the message as sent.
"""

import contextlib
import email.policy
import hashlib
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import format_datetime

from flask import current_app, render_template
from flask_babel import force_locale

from core import clock
from notifications.models import MailError

SMTP_POLICY = email.policy.SMTP.clone(max_line_length=998)


@dataclass
class Rendered:
    subject: str
    text: str
    html: str


def render(template: str, locale: str, **context) -> Rendered:
    """Render email/<template>.txt and .html, and the subject, in the recipient's language."""
    context["lang"] = locale
    with force_locale(locale):
        subject = render_template(f"email/{template}.subject.txt", **context).strip()
        return Rendered(
            subject=" ".join(subject.split()),
            text=render_template(f"email/{template}.txt", **context),
            html=render_template(f"email/{template}.html", **context),
        )


def message_id(dedup_key: str) -> str:
    """A Message-ID that depends only on the outbox row, so every retry of it carries the same one."""
    domain = current_app.config["MAIL_MESSAGE_ID_DOMAIN"]
    digest = hashlib.sha256(dedup_key.encode()).hexdigest()[:24]
    return f"<kawal.{digest}@{domain}>"


def build(rendered: Rendered, *, to: list[str], cc: list[str], dedup_key: str) -> EmailMessage:
    """A multipart (text and HTML) message with a Message-ID that every retry shares."""
    # Lines up to RFC 5322's 998 characters: folding a long Subject that starts with "[Kawal]" would otherwise put
    # it on a line of its own, which some mail clients show with a leading space.
    message = EmailMessage(policy=SMTP_POLICY)
    message["Subject"] = rendered.subject
    message["From"] = current_app.config["MAIL_DEFAULT_SENDER"]
    message["To"] = ", ".join(to)
    if cc:
        message["Cc"] = ", ".join(cc)
    message["Date"] = format_datetime(clock.now())
    message["Message-ID"] = message_id(dedup_key)
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(rendered.text)
    message.add_alternative(rendered.html, subtype="html")
    return message


class MailFailure(Exception):
    """Nobody got the message: why, as a code (`MailError`), and the server's or the socket's own words."""

    def __init__(self, code: MailError, words: str):
        super().__init__(words)
        self.code, self.words = code, words


class TemporaryFailure(MailFailure):
    """Worth another try later: 4xx, refused connection, timeout, dropped connection."""


class PermanentFailure(MailFailure):
    """Not worth another try: 5xx."""


def _text(reply) -> str:
    return reply.decode(errors="replace") if isinstance(reply, bytes) else str(reply)


# Checked in order: a subclass before its base (smtplib's errors are OSErrors, and so is a timeout).
_SOCKET_ERRORS = (
    (smtplib.SMTPServerDisconnected, MailError.DISCONNECTED),
    (ssl.SSLError, MailError.TLS),
    (smtplib.SMTPException, MailError.OTHER),
    (ConnectionRefusedError, MailError.CONNECTION_REFUSED),
    (TimeoutError, MailError.TIMEOUT),
    (OSError, MailError.UNREACHABLE),
)


def _classify(error: Exception) -> MailFailure:
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in error.recipients.values()]
        words = "; ".join(
            f"{address}: {code} {_text(reply)}" for address, (code, reply) in sorted(error.recipients.items())
        )
        kind = PermanentFailure if all(code >= 500 for code in codes) else TemporaryFailure
        return kind(MailError.RECIPIENTS_REFUSED, words)
    if isinstance(error, smtplib.SMTPResponseException):
        code = MailError.AUTHENTICATION if isinstance(error, smtplib.SMTPAuthenticationError) else None
        kind = PermanentFailure if error.smtp_code >= 500 else TemporaryFailure
        return kind(code or MailError.SERVER_REFUSED, f"{error.smtp_code} {_text(error.smtp_error)}")
    words = f"{type(error).__name__}: {error}"
    if isinstance(error, smtplib.SMTPServerDisconnected) and isinstance(error.__context__, TimeoutError):
        return TemporaryFailure(MailError.TIMEOUT, words)  # smtplib reports a reply that never came so
    for kind, code in _SOCKET_ERRORS:
        if isinstance(error, kind):
            return TemporaryFailure(code, words)
    return TemporaryFailure(MailError.OTHER, words)


class SmtpSession:
    """One SMTP connection reused for many messages; opened on first use."""

    def __init__(self, config):
        if config.get("MAIL_USE_TLS") and config.get("MAIL_USE_SSL"):
            raise RuntimeError("MAIL_USE_TLS and MAIL_USE_SSL cannot both be set.")
        self.config = config
        self.connection: smtplib.SMTP | None = None

    def _connect(self) -> smtplib.SMTP:
        c = self.config
        timeout = c["MAIL_TIMEOUT"]
        if c.get("MAIL_USE_SSL"):
            connection = smtplib.SMTP_SSL(c["MAIL_SERVER"], c["MAIL_PORT"], timeout=timeout)
        else:
            connection = smtplib.SMTP(c["MAIL_SERVER"], c["MAIL_PORT"], timeout=timeout)
            if c.get("MAIL_USE_TLS"):
                connection.starttls()
        if c.get("MAIL_USERNAME"):
            connection.login(c["MAIL_USERNAME"], c.get("MAIL_PASSWORD") or "")
        return connection

    def send(self, message: EmailMessage) -> list[dict]:
        """Hand one message to the server; returns the recipients it refused while accepting others
        ([{"address", "code", "reply"}]). Raises TemporaryFailure or PermanentFailure when nobody got it."""
        try:
            if self.connection is None:
                self.connection = self._connect()
            # smtplib raises only when every recipient is refused; a partial refusal comes back as a dict.
            refused = self.connection.send_message(message)
        except Exception as error:  # every SMTP, socket and TLS error is sorted into one of our two kinds
            self.reset()
            raise _classify(error) from error
        return [
            {"address": address, "code": code, "reply": _text(reply)}
            for address, (code, reply) in sorted(refused.items())
        ]

    def reset(self) -> None:
        """Drop a broken connection; the next send opens a new one."""
        if self.connection is not None:
            # Closing a broken socket may fail too; there is nothing left to save.
            with contextlib.suppress(Exception):
                self.connection.close()
        self.connection = None

    def close(self) -> None:
        """Say QUIT. The messages were accepted already, so a failure here changes nothing."""
        if self.connection is not None:
            with contextlib.suppress(Exception):
                self.connection.quit()
        self.reset()
