"""Email bodies, and the SMTP session the dispatcher sends them over.

Messages are built as Flask-Mail `Message`s from the paired templates under templates/email/, and sent over a
Flask-Mail connection (`core/mail.py`: Flask-Mail gives the settings, the message and the connection; that module
adds the timeout, the refused recipients and the quiet QUIT the outbox relies on). Here: the content and the
headers every retry shares, a session that opens its connection only when there is something to send and keeps
it for the whole run, and the sorting of every way SMTP fails into a code (`_classify`).
"""

import hashlib
import smtplib
import ssl
from dataclasses import dataclass

from flask import current_app, render_template
from flask_babel import force_locale, get_translations
from jinja2 import pass_context
from markupsafe import Markup

from core import clock
from core.extensions import mail
from core.mail import Connection, Message
from notifications.models import MailError


@dataclass
class Rendered:
    subject: str
    text: str
    html: str


def render(template: str, locale: str, **context) -> Rendered:
    """Render email/<template>.txt and .html, and the subject, in the recipient's language."""
    context["lang"] = locale
    with force_locale(locale):
        context.update(translators(get_translations()))
        subject = render_template(f"email/{template}.subject.txt", **context).strip()
        return Rendered(
            subject=" ".join(subject.split()),
            text=render_template(f"email/{template}.txt", **context),
            html=render_template(f"email/{template}.html", **context),
        )


def translators(translations) -> dict:
    """The templates' gettext and ngettext bound to one catalogue for a whole email (Flask-Babel's find the
    catalogue again for each of a digest's hundred strings), with Jinja's newstyle meaning: escaped in HTML, and
    always %-formatted with their keyword arguments (`num` for ngettext)."""

    @pass_context
    def gettext(context, string: str, **variables) -> str:
        text = translations.ugettext(string)
        return (Markup(text) if context.eval_ctx.autoescape else text) % variables

    @pass_context
    def ngettext(context, singular: str, plural: str, num: int, **variables) -> str:
        variables.setdefault("num", num)
        text = translations.ungettext(singular, plural, num)
        return (Markup(text) if context.eval_ctx.autoescape else text) % variables

    return {"gettext": gettext, "ngettext": ngettext}


def message_id(dedup_key: str) -> str:
    """A Message-ID that depends only on the outbox row, so every retry of it carries the same one."""
    domain = current_app.config["MAIL_MESSAGE_ID_DOMAIN"]
    digest = hashlib.sha256(dedup_key.encode()).hexdigest()[:24]
    return f"<kawal.{digest}@{domain}>"


def build(
    rendered: Rendered, *, to: list[str], cc: list[str], dedup_key: str, envelope: list[str] | None = None
) -> Message:
    """A text message with an HTML alternative, dated by the clock, with a Message-ID that every retry shares;
    delivered to `envelope` alone when given (the recipients an earlier attempt did not reach)."""
    message = Message(
        subject=rendered.subject,
        sender=current_app.config["MAIL_DEFAULT_SENDER"],
        recipients=list(to),
        cc=list(cc),
        body=rendered.text,
        html=rendered.html,
        date=clock.now().timestamp(),
        extra_headers={"Auto-Submitted": "auto-generated"},
    )
    message.msgId = message_id(dedup_key)
    message.envelope = envelope
    return message


class MailFailure(Exception):
    """Nobody got the message: why, as a code (`MailError`), and the server's or the socket's own words."""

    def __init__(self, code: MailError, words: str, refused: list[dict] | None = None):
        super().__init__(words)
        self.code, self.words = code, words
        self.refused = refused or []  # every recipient refused: each one, as `refusals` gives them


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


def refusals(refused: dict) -> list[dict]:
    """smtplib's refused recipients ({address: (code, reply)}) as the outbox keeps them, by address."""
    return [
        {"address": address, "code": code, "reply": _text(reply)} for address, (code, reply) in sorted(refused.items())
    ]


def said(refused: list[dict]) -> str:
    """Refused recipients in the server's own words, for the delivery log."""
    return "; ".join(f"{entry['address']}: {entry['code']} {entry['reply']}" for entry in refused)


def _classify(error: Exception) -> MailFailure:
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        refused = refusals(error.recipients)
        kind = PermanentFailure if all(entry["code"] >= 500 for entry in refused) else TemporaryFailure
        return kind(MailError.RECIPIENTS_REFUSED, said(refused), refused)
    if isinstance(error, smtplib.SMTPResponseException):
        words = f"{error.smtp_code} {_text(error.smtp_error)}"
        if isinstance(error, smtplib.SMTPAuthenticationError):
            # A refused login (535) says nothing of the message: it is Kawal's settings, fixed by an operator, and
            # every email waits for that (the dispatcher stops its run at once) instead of each ending dead.
            return TemporaryFailure(MailError.AUTHENTICATION, words)
        kind = PermanentFailure if error.smtp_code >= 500 else TemporaryFailure
        return kind(MailError.SERVER_REFUSED, words)
    words = f"{type(error).__name__}: {error}"
    if isinstance(error, smtplib.SMTPServerDisconnected) and isinstance(error.__context__, TimeoutError):
        return TemporaryFailure(MailError.TIMEOUT, words)  # smtplib reports a reply that never came so
    for kind, code in _SOCKET_ERRORS:
        if isinstance(error, kind):
            return TemporaryFailure(code, words)
    return TemporaryFailure(MailError.OTHER, words)


class SmtpSession:
    """One connection reused for every message of a dispatcher run. It is opened on the first message, not at the
    start of the run (the worker runs every few seconds, mostly with nothing to send), and opened again after an
    error broke it; so it is not one `with mail.connect()` block."""

    def __init__(self):
        self.connection: Connection | None = None

    def send(self, message: Message) -> list[dict]:
        """Hand one message to the server; returns the recipients it refused while accepting others
        ([{"address", "code", "reply"}]). Raises TemporaryFailure or PermanentFailure when nobody got it."""
        try:
            if self.connection is None:
                self.connection = mail.connect().__enter__()
            refused = self.connection.send(message)
        except Exception as error:  # every SMTP, socket and TLS error is sorted into one of our two kinds
            self._end(error)
            raise _classify(error) from error
        return refusals(refused)

    def _end(self, error: Exception | None) -> None:
        if self.connection is not None:
            self.connection.__exit__(type(error) if error else None, error, None)
        self.connection = None

    def close(self) -> None:
        """Say QUIT; the messages were accepted already, so a failure here changes nothing."""
        self._end(None)
