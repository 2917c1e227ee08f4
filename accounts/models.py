"""People and agencies: User and Opd."""

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_login import UserMixin
from werkzeug.security import check_password_hash, generate_password_hash

from core import audit, clock
from core.extensions import db
from core.permissions import Role
from core.types import UtcDateTime, enum_column


class OpdKind(StrEnum):
    """What sort of agency an OPD is."""

    BADAN = "badan"
    DINAS = "dinas"
    RSUD = "rsud"
    KECAMATAN = "kecamatan"
    KELURAHAN = "kelurahan"
    UPTD = "uptd"
    SEKRETARIAT = "sekretariat"
    OTHER = "other"


OPD_KIND_LABELS = {
    OpdKind.BADAN: _l("Agency (badan)"),
    OpdKind.DINAS: _l("Office (dinas)"),
    OpdKind.RSUD: _l("Regional hospital (RSUD)"),
    OpdKind.KECAMATAN: _l("District (kecamatan)"),
    OpdKind.KELURAHAN: _l("Urban village (kelurahan)"),
    OpdKind.UPTD: _l("Technical unit (UPTD)"),
    OpdKind.SEKRETARIAT: _l("Secretariat"),
    OpdKind.OTHER: _l("Other"),
}


class GovernmentKind(StrEnum):
    """What tier of government a tenant of Kawal is."""

    KEMENTERIAN_LEMBAGA = "kementerian_lembaga"
    PROVINSI = "provinsi"
    KABUPATEN = "kabupaten"
    KOTA = "kota"


GOVERNMENT_KIND_LABELS = {
    GovernmentKind.KEMENTERIAN_LEMBAGA: _l("Ministry or agency (kementerian/lembaga)"),
    GovernmentKind.PROVINSI: _l("Province (provinsi)"),
    GovernmentKind.KABUPATEN: _l("Regency (kabupaten)"),
    GovernmentKind.KOTA: _l("City (kota)"),
}

# The zones of Indonesia, by the names people use.
TIME_ZONE_LABELS = {
    "Asia/Jakarta": "WIB (Asia/Jakarta)",
    "Asia/Makassar": "WITA (Asia/Makassar)",
    "Asia/Jayapura": "WIT (Asia/Jayapura)",
}

audit.ENTITY_LABELS.update(user=_l("account"), opd=_l("OPD"), government=_l("government"))
audit.VERB_LABELS.update(
    renew_calendar=_l("made a new calendar address for"),
    end_sessions=_l("ended every session of"),
    set_password=_l("set the password of"),
    send_password_link=_l("sent a link to set the password to"),
)


class Government(db.Model):
    """A government that uses this Kawal (UI "Pemerintah"): a province, a kabupaten/kota, or a ministry.

    Each holds its own OPDs, people, forums and reminder policy; a government sees the work of those below it.
    """

    __tablename__ = "governments"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    code: so.Mapped[str] = so.mapped_column(sa.String(30), unique=True)
    name: so.Mapped[str] = so.mapped_column(sa.String(200))  # as printed: "Pemerintah Provinsi Banten"
    short_name: so.Mapped[str] = so.mapped_column(sa.String(80))  # beside an OPD's code: "Kab. Serang"
    kind: so.Mapped[GovernmentKind] = so.mapped_column(enum_column(GovernmentKind), default=GovernmentKind.KOTA)
    parent_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("governments.id"), index=True)
    time_zone: so.Mapped[str] = so.mapped_column(sa.String(40), default="Asia/Jakarta")
    letterhead_name: so.Mapped[str | None] = so.mapped_column(sa.String(300))  # the name on documents, if not `name`
    letterhead_address: so.Mapped[str | None] = so.mapped_column(sa.String(500))
    logo: so.Mapped[str | None] = so.mapped_column(sa.String(300))  # an attachment's stored name
    numbering_format: so.Mapped[str | None] = so.mapped_column(sa.String(120))
    # What the documents print for this government, each with a default from its kind and name when empty
    # (accounts.governments.document_names): the place of the date line, the head a Laporan Hasil Rapat goes to,
    # the secretariat it comes from, and who signs "Mengetahui".
    place_name: so.Mapped[str | None] = so.mapped_column(sa.String(100))
    head_title: so.Mapped[str | None] = so.mapped_column(sa.String(200))
    secretariat_name: so.Mapped[str | None] = so.mapped_column(sa.String(300))
    signer_title: so.Mapped[str | None] = so.mapped_column(sa.String(200))
    signer_name: so.Mapped[str | None] = so.mapped_column(sa.String(200))
    signer_nip: so.Mapped[str | None] = so.mapped_column(sa.String(30))
    active: so.Mapped[bool] = so.mapped_column(default=True)

    parent: so.Mapped["Government | None"] = so.relationship(remote_side=[id])

    def __repr__(self) -> str:
        return f"<Government {self.code}>"

    @property
    def printed_name(self) -> str:
        return (self.letterhead_name or self.name).upper()


class Opd(db.Model):
    """An agency of the Pemda (Organisasi Perangkat Daerah). Tasks belong to the OPD, not to its head."""

    __tablename__ = "opds"
    __table_args__ = (sa.UniqueConstraint("government_id", "code"),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    government_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("governments.id"), index=True)
    code: so.Mapped[str] = so.mapped_column(sa.String(30))
    name: so.Mapped[str] = so.mapped_column(sa.String(200))
    kind: so.Mapped[OpdKind] = so.mapped_column(enum_column(OpdKind), default=OpdKind.DINAS)
    parent_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("opds.id"))
    email: so.Mapped[str | None] = so.mapped_column(sa.String(254))
    active: so.Mapped[bool] = so.mapped_column(default=True)
    # The current head; mutasi changes this, and the OPD's tasks stay where they are.
    head_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("users.id", use_alter=True, ondelete="SET NULL"))

    government: so.Mapped[Government] = so.relationship()
    parent: so.Mapped["Opd | None"] = so.relationship(remote_side=[id])
    head: so.Mapped["User | None"] = so.relationship(foreign_keys=[head_id], post_update=True)

    def __repr__(self) -> str:
        return f"<Opd {self.code}>"

    @property
    def label(self) -> str:
        return f"{self.code} – {self.name}"


class User(UserMixin, db.Model):
    """Someone who logs in to Kawal."""

    __tablename__ = "users"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    # Stored lower-cased, so the unique index is case-insensitive on every database.
    email: so.Mapped[str] = so.mapped_column(sa.String(254), unique=True)
    name: so.Mapped[str] = so.mapped_column(sa.String(200))
    position: so.Mapped[str | None] = so.mapped_column(sa.String(200))
    role: so.Mapped[Role] = so.mapped_column(enum_column(Role))
    opd_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("opds.id"), index=True)
    # The OPD's government for OPD users; chosen directly for the secretariat, viewers and admins.
    government_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("governments.id"), index=True)
    # The instance admin manages the governments themselves; a government's admin only its own.
    manages_instance: so.Mapped[bool] = so.mapped_column(default=False, server_default=sa.false())
    locale: so.Mapped[str] = so.mapped_column(sa.String(5), default="id")
    active: so.Mapped[bool] = so.mapped_column(default=True)
    password_hash: so.Mapped[str | None] = so.mapped_column(sa.String(256))
    created_at: so.Mapped[datetime] = so.mapped_column(UtcDateTime, default=clock.now)
    last_login_at: so.Mapped[datetime | None] = so.mapped_column(UtcDateTime)
    # The secret part of the user's calendar feed URL; a new one revokes the old.
    calendar_token: so.Mapped[str | None] = so.mapped_column(sa.String(64), unique=True)
    # Part of the id in every session and remember cookie: raising it ends all of them (logout, password, reset).
    session_version: so.Mapped[int] = so.mapped_column(default=0, server_default="0")

    opd: so.Mapped[Opd | None] = so.relationship(foreign_keys=[opd_id])
    government: so.Mapped[Government] = so.relationship()

    def __repr__(self) -> str:
        return f"<User {self.email}>"

    @property
    def is_active(self) -> bool:
        return self.active

    def get_id(self) -> str:
        """Flask-Login's alternative id, "id:version": a cookie made before the version last rose names nobody."""
        return f"{self.id}:{self.session_version}"

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password, method=current_app.config["PASSWORD_HASH_METHOD"])

    def check_password(self, password: str) -> bool:
        return bool(self.password_hash) and check_password_hash(self.password_hash, password)


def normalize_email(email: str) -> str:
    """The form in which emails are stored and compared."""
    return email.strip().lower()


class TokenScope(StrEnum):
    """What a personal access token may do: read, or read and write."""

    READ = "read"
    WRITE = "write"


TOKEN_SCOPE_LABELS = {
    TokenScope.READ: _l("Read"),
    TokenScope.WRITE: _l("Read and write"),
}


class TokenState(StrEnum):
    """Whether a token opens the API now: it works, or it expired, or it was revoked (by hand or with the
    user's sessions)."""

    WORKING = "working"
    EXPIRED = "expired"
    REVOKED = "revoked"


TOKEN_STATE_LABELS = {
    TokenState.WORKING: _l("Works"),
    TokenState.EXPIRED: _l("Expired"),
    TokenState.REVOKED: _l("Revoked"),
}


class ApiToken(db.Model):
    """A personal access token for the API (`Authorization: Bearer …`). Only a hash of the secret is stored; the
    secret is shown once, when it is made. A token never does more than its user may on the pages."""

    __tablename__ = "api_tokens"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    user_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: so.Mapped[str] = so.mapped_column(sa.String(100))
    # The first characters of the secret, shown in the list so its owner can tell tokens apart.
    prefix: so.Mapped[str] = so.mapped_column(sa.String(16))
    # SHA-256 of the whole secret: a token is 32 random bytes, so a slow hash would add nothing but latency.
    secret_hash: so.Mapped[str] = so.mapped_column(sa.String(64), unique=True)
    scope: so.Mapped[TokenScope] = so.mapped_column(enum_column(TokenScope))
    created_at: so.Mapped[datetime] = so.mapped_column(UtcDateTime, default=clock.now)
    expires_at: so.Mapped[datetime | None] = so.mapped_column(UtcDateTime)
    last_used_at: so.Mapped[datetime | None] = so.mapped_column(UtcDateTime)
    revoked_at: so.Mapped[datetime | None] = so.mapped_column(UtcDateTime)

    user: so.Mapped[User] = so.relationship()

    @property
    def may_write(self) -> bool:
        return self.scope == TokenScope.WRITE

    @property
    def state(self) -> TokenState:
        """Revoked before expired: a revoked token says why it ended even once its date has passed too."""
        if self.revoked_at is not None:
            return TokenState.REVOKED
        if self.expires_at is not None and self.expires_at <= clock.now():
            return TokenState.EXPIRED
        return TokenState.WORKING
