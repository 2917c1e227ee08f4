"""Flask-Mail, with what Kawal's outbox relies on and Flask-Mail 0.10 lacks.

Flask-Mail gives the `MAIL_*` settings (server, port, STARTTLS or implicit TLS, login, default sender), the
message (`Message`: headers, a text body with an HTML alternative, addresses and a Subject encoded for UTF-8),
and the connection that sends it. Its connection is made to be extended (`Mail.connect`, `Connection`'s
`configure_host`, `send` and `__exit__`), and this module uses those points for:

- the server's certificate checked, for STARTTLS and implicit TLS alike (Flask-Mail, like smtplib, checks none);
- a timeout (`MAIL_TIMEOUT`) on the connection: Flask-Mail opens smtplib's with none, so a server that accepts the
  connection and never answers would hang the reminder worker for good;
- the recipients refused while others were accepted: smtplib's `sendmail` returns them, and Flask-Mail's `send`
  drops that answer; the outbox records them on the row (they must never be lost silently);
- a QUIT that fails after the server accepted the message: Flask-Mail's `__exit__` raises then, and the message
  would be retried and reach its reader twice; here it is nothing, and the socket is closed all the same. After an
  error no QUIT is said at all: a broken connection would only make us wait for the timeout once more.

Nothing here knows the outbox: sorting failures into codes is `notifications/mailer.py:_classify`.
"""

import binascii
import contextlib
import email.policy
import smtplib
import ssl
from email.charset import QP, Charset
from email.mime.text import MIMEText
from email.utils import formatdate

import flask_mail
from flask import current_app
from flask_mail import BadHeaderError, email_dispatched, sanitize_address, sanitize_addresses

# Quoted-printable keeps every body line short and 7-bit, whatever a template renders, for any relay; Flask-Mail
# registers UTF-8 bodies as unencoded 8-bit, which a line over 998 characters would break.
_BODY_CHARSET = Charset("utf-8")
_BODY_CHARSET.body_encoding = QP

Refused = dict[str, tuple[int, bytes]]

MAIL_POLICY = email.policy.SMTP.clone(max_line_length=998)


class Message(flask_mail.Message):
    """Flask-Mail's message, written out with lines up to RFC 5322's 998 characters: folding a long Subject that
    starts with "[Kawal]" at 78 would put the rest on a line of its own, which some mail clients show with a
    leading space. The address headers are written by the standard library's policy, which encodes a display name
    only when it is not ASCII (Flask-Mail encodes every one, "=?utf-8?q?Kawal?=", which spam filters hold against
    a message), and keep the order given (Flask-Mail's passes through a set).

    `envelope`, when set, is whom the server is asked to deliver to (RCPT TO), while To and Cc still name everyone
    the message is for: a retry for the recipients a server put off (4xx) reaches them alone, not again the others."""

    envelope: list[str] | None = None

    @property
    def send_to(self) -> set:
        return set(self.envelope) if self.envelope is not None else super().send_to

    def _mimetext(self, text: str | None, subtype: str = "plain") -> MIMEText:
        return MIMEText(text or "", _subtype=subtype, _charset=_BODY_CHARSET)

    def _message(self):
        message = super()._message()
        message.policy = MAIL_POLICY
        message.replace_header("From", self.sender)
        message.replace_header("To", ", ".join(self.recipients))
        if self.cc:
            message.replace_header("Cc", ", ".join(self.cc))
        return message

    def as_bytes(self) -> bytes:
        """The message as it goes on the wire. A text body with an optional HTML alternative (every email Kawal
        sends) is written here: the standard library's message objects spend more on a digest's headers and
        parts than rendering it does. Anything else (attachments, other alternatives) goes the objects' way."""
        if self.attachments or set(self.alts) - {"html"} or self.bcc:
            return super().as_bytes()
        headers = [("Subject", self.subject)] if self.subject else []
        headers += [
            ("From", self.sender),
            ("To", ", ".join(self.recipients)),
            ("Date", formatdate(self.date, localtime=True)),
            ("Message-ID", self.msgId),
        ]
        headers += [("Cc", ", ".join(self.cc))] if self.cc else []
        headers += [("Reply-To", self.reply_to)] if self.reply_to else []
        headers += list((self.extra_headers or {}).items())
        head = "MIME-Version: 1.0\r\n" + "".join(_header(name, value) for name, value in headers)
        parts = [_part("plain", self.body)]
        if self.html is None:
            return head.encode() + parts[0] + (b"" if parts[0].endswith(b"\r\n") else b"\r\n")
        parts.append(_part("html", self.html))
        # "=_" never occurs in quoted-printable text (an "=" is followed by two hex digits or a line break), so
        # one fixed boundary cannot be met inside either part. The line break before a boundary is the boundary's.
        head += 'Content-Type: multipart/alternative; boundary="=_kawal"\r\n\r\n'
        return head.encode() + b"".join(b"--=_kawal\r\n" + part + b"\r\n" for part in parts) + b"--=_kawal--\r\n"


def _header(name: str, value: str) -> str:
    """One header line. ASCII on one line is written as it is (up to RFC 5322's 998 characters); anything else
    (a name in another script) goes through the standard library's policy, which encodes a display name only, or an
    address header's domain as the policy does. A value's line breaks are spaces: the policy of this Python writes
    them as they are, so that "Subject\r\nBcc: …" would start a header of its own (or the body)."""
    if "\r" in value or "\n" in value:
        value = " ".join(value.split())
    if value.isascii() and len(name) + len(value) < 996:
        return f"{name}: {value}\r\n"
    return MAIL_POLICY.header_factory(name, value).fold(policy=MAIL_POLICY)


def _part(subtype: str, text: str | None) -> bytes:
    """A UTF-8 text part, quoted-printable (lines of at most 76 characters, 7-bit), CRLF-ended."""
    # A lone CR is a line break too: b2a_qp would pass it through raw, a bare CR that SMTP forbids.
    body = (text or "").replace("\r\n", "\n").replace("\r", "\n").encode()
    encoded = binascii.b2a_qp(body, istext=True).replace(b"\n", b"\r\n")
    head = f'Content-Type: text/{subtype}; charset="utf-8"\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n'
    return head.encode() + encoded


class Connection(flask_mail.Connection):
    """One SMTP connection, with a timeout, that reports refused recipients and ends quietly (see the module)."""

    def configure_host(self) -> smtplib.SMTP:
        state = self.mail
        # The server's certificate and name are checked (smtplib's own default checks neither, so anyone on the way
        # could read the login and the emails' one-click links); a Pemda's own authority is trusted by naming its
        # certificate in SSL_CERT_FILE, as for any OpenSSL program.
        context = ssl.create_default_context()
        # The timeout must reach the constructor: it connects and reads the greeting at once.
        if state.use_ssl:
            host = smtplib.SMTP_SSL(state.server, state.port, timeout=state.timeout, context=context)
        else:
            host = smtplib.SMTP(state.server, state.port, timeout=state.timeout)
        host.set_debuglevel(int(state.debug))
        try:
            if state.use_tls:
                host.starttls(context=context)
            if state.username:
                host.login(state.username, state.password or "")
        except Exception:
            host.close()  # no connection is kept to hold the socket: close it before the error goes on
            raise
        return host

    def send(self, message: flask_mail.Message, envelope_from: str | None = None) -> Refused:
        """Hand one message to the server. Returns the recipients it refused while it accepted others (smtplib
        raises SMTPRecipientsRefused only when it refused every one)."""
        if message.has_bad_headers():
            raise BadHeaderError
        refused: Refused = {}
        if self.host is not None:
            refused = self.host.sendmail(
                sanitize_address(envelope_from or message.sender),
                sorted(sanitize_addresses(message.send_to)),
                message.as_bytes(),
                message.mail_options,
                message.rcpt_options,
            )
        email_dispatched.send(current_app._get_current_object(), message=message)
        return refused

    def __exit__(self, exc_type, exc_value, tb) -> None:
        if self.host is None:
            return
        # The messages were accepted already: a failed QUIT changes nothing about them.
        with contextlib.suppress(smtplib.SMTPException, OSError):
            if exc_type is None:
                self.host.quit()
        self.host.close()
        self.host = None


class Mail(flask_mail.Mail):
    """Flask-Mail's extension, whose connections are the one above, with `MAIL_TIMEOUT` (seconds) on them."""

    def init_mail(self, config, debug=False, testing=False):
        state = super().init_mail(config, debug, testing)
        state.timeout = config.get("MAIL_TIMEOUT")
        return state

    def connect(self) -> Connection:
        """A connection with the settings as they are now, not as they were when the app was made: the dispatcher
        opens one per run, and a test (or a shell) that points MAIL_PORT elsewhere is heard."""
        app = current_app._get_current_object()  # type: ignore[attr-defined]
        return Connection(self.init_mail(app.config, app.debug, app.testing))
