"""Uploaded files: checked for size, type and name, stored under a random name, with their sha256.

The type is judged from the content as well as the extension, so a renamed executable is not a "pdf". A file
appears under its name only once the transaction holding its row has committed: it is written under a temporary
name, renamed after the commit and removed when the transaction ends any other way.
"""

import hashlib
import io
import logging
import secrets
import zipfile
from datetime import datetime
from pathlib import Path

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import current_app
from flask_babel import lazy_gettext as _l
from werkzeug.utils import secure_filename

from core import clock
from core.errors import Invalid
from core.extensions import db
from core.types import UtcDateTime

# extension -> (content type, a test of the first bytes or the whole file)
SIGNATURES = {
    "pdf": ("application/pdf", lambda data: data.startswith(b"%PDF-")),
    "png": ("image/png", lambda data: data.startswith(b"\x89PNG\r\n\x1a\n")),
    "jpg": ("image/jpeg", lambda data: data.startswith(b"\xff\xd8\xff")),
    "jpeg": ("image/jpeg", lambda data: data.startswith(b"\xff\xd8\xff")),
    "docx": (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        lambda data: _office_zip(data, "word/"),
    ),
    "xlsx": (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        lambda data: _office_zip(data, "xl/"),
    ),
}


def _office_zip(data: bytes, folder: str) -> bool:
    if not data.startswith(b"PK"):
        return False
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = archive.namelist()
    except zipfile.BadZipFile:
        return False
    return "[Content_Types].xml" in names and any(name.startswith(folder) for name in names)


class Attachment(db.Model):
    """A stored file. `stored_name` is random; `original_name` is what the uploader called it."""

    __tablename__ = "attachments"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    stored_name: so.Mapped[str] = so.mapped_column(sa.String(80), unique=True)
    original_name: so.Mapped[str] = so.mapped_column(sa.String(255))
    content_type: so.Mapped[str] = so.mapped_column(sa.String(120))
    size: so.Mapped[int]
    sha256: so.Mapped[str] = so.mapped_column(sa.String(64))
    uploaded_by_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    uploaded_at: so.Mapped[datetime] = so.mapped_column(UtcDateTime, default=clock.now)

    @property
    def path(self) -> Path:
        return storage_root() / self.stored_name[:2] / self.stored_name


def storage_root() -> Path:
    return Path(current_app.config.get("ATTACHMENT_DIR") or Path(current_app.instance_path) / "attachments")


def store(upload, uploader, *, allowed: set[str] | None = None, max_bytes: int | None = None) -> Attachment:
    """Check an uploaded file (a werkzeug FileStorage) and keep it; the caller commits."""
    allowed = allowed or set(current_app.config["EVIDENCE_EXTENSIONS"])
    max_bytes = max_bytes or current_app.config["EVIDENCE_MAX_BYTES"]
    original = (upload.filename or "").replace("\\", "/").rsplit("/", 1)[-1]
    safe_name = secure_filename(original)
    extension = safe_name.rsplit(".", 1)[-1].lower() if "." in safe_name else ""
    if not safe_name or extension not in allowed:
        raise Invalid(
            _l("Allowed files: %(types)s.", types=", ".join(sorted(e for e in allowed if e != "jpeg"))), field="file"
        )
    data = upload.read(max_bytes + 1)
    if not data:
        raise Invalid(_l("The file is empty."), field="file")
    if len(data) > max_bytes:
        raise Invalid(_l("The file is larger than %(mb).1f MB.", mb=max_bytes / 1024 / 1024), field="file")
    content_type, looks_right = SIGNATURES[extension]
    if not looks_right(data):
        raise Invalid(
            _l("The content of %(name)s is not a real .%(ext)s file.", name=safe_name, ext=extension), field="file"
        )
    stored_name = secrets.token_hex(16) + "." + extension
    attachment = Attachment(
        stored_name=stored_name,
        original_name=_shortened(safe_name, extension),
        content_type=content_type,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        uploaded_by_id=getattr(uploader, "id", None),
        uploaded_at=clock.now(),
    )
    final = attachment.path
    final.parent.mkdir(parents=True, exist_ok=True)
    temporary = final.with_name(final.name + PART_SUFFIX)
    temporary.write_bytes(data)
    db.session.add(attachment)
    db.session.info.setdefault(PENDING_KEY, []).append((temporary, final))
    return attachment


NAME_LENGTH = 255  # Attachment.original_name


def _shortened(name: str, extension: str) -> str:
    """A name that fits the column, shortened in its stem so that it keeps its extension."""
    if len(name) <= NAME_LENGTH:
        return name
    return name[: NAME_LENGTH - len(extension) - 1] + "." + extension


# --- files follow their transaction --------------------------------------------------------------------

PART_SUFFIX = ".part"
PENDING_KEY = "kawal.attachments.pending"  # in Session.info: (temporary, final) paths written in this transaction
log = logging.getLogger(__name__)


def _publish(session) -> None:
    """After the commit: the rows exist, so their files take their real names."""
    for temporary, final in session.info.pop(PENDING_KEY, []):
        try:
            temporary.replace(final)
        except OSError:
            log.exception("Stored file %s could not be renamed to %s", temporary, final)


def _discard(session, transaction) -> None:
    """When the outermost transaction ends without a commit (rollback, close, a failed commit), no row holds the
    files written in it: remove them."""
    if transaction.parent is not None:
        return
    for temporary, _final in session.info.pop(PENDING_KEY, []):
        temporary.unlink(missing_ok=True)


def init_app(app) -> None:
    """Tie stored files to the fate of the database session's transactions (once per process: db is shared)."""
    if not sa.event.contains(db.session, "after_commit", _publish):
        sa.event.listen(db.session, "after_commit", _publish)
        sa.event.listen(db.session, "after_transaction_end", _discard)
