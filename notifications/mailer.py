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
import socket
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import format_datetime

from flask import current_app, render_template
from flask_babel import force_locale

from core import clock

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


class TemporaryFailure(Exception):
    """Worth another try later: 4xx, refused connection, timeout, dropped connection."""


class PermanentFailure(Exception):
    """Not worth another try: 5xx."""


def _text(reply) -> str:
    return reply.decode(errors="replace") if isinstance(reply, bytes) else str(reply)


def _classify(error: Exception) -> Exception:
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in error.recipients.values()]
        return PermanentFailure(str(error)) if all(code >= 500 for code in codes) else TemporaryFailure(str(error))
    if isinstance(error, smtplib.SMTPResponseException):
        text = f"{error.smtp_code} {_text(error.smtp_error)}"
        return PermanentFailure(text) if error.smtp_code >= 500 else TemporaryFailure(text)
    if isinstance(error, smtplib.SMTPServerDisconnected | socket.timeout | TimeoutError | OSError):
        return TemporaryFailure(f"{type(error).__name__}: {error}")
    return TemporaryFailure(f"{type(error).__name__}: {error}")


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
