"""Meetings: Series, Forum, Participant, Recommendation and Theme."""

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask_babel import lazy_gettext as _l

from accounts.models import Government, Opd, User
from core import audit, clock
from core.extensions import db
from core.types import UtcDateTime, enum_column


class ForumKind(StrEnum):
    FORUM_RENSTRA = "forum_renstra"
    FORUM_PD = "forum_pd"
    FGD = "fgd"
    LOKAKARYA = "lokakarya"
    SOSIALISASI = "sosialisasi"
    RAKOR = "rakor"
    AUDIENSI = "audiensi"
    OTHER = "other"


FORUM_KIND_LABELS = {
    ForumKind.FORUM_RENSTRA: _l("Forum Renstra"),
    ForumKind.FORUM_PD: _l("Forum Perangkat Daerah"),
    ForumKind.FGD: _l("Focus group discussion (FGD)"),
    ForumKind.LOKAKARYA: _l("Workshop (lokakarya)"),
    ForumKind.SOSIALISASI: _l("Socialisation (sosialisasi)"),
    ForumKind.RAKOR: _l("Coordination meeting (rakor)"),
    ForumKind.AUDIENSI: _l("Audience (audiensi)"),
    ForumKind.OTHER: _l("Other"),
}


class ForumMode(StrEnum):
    LURING = "luring"
    DARING = "daring"
    HYBRID = "hybrid"


FORUM_MODE_LABELS = {
    ForumMode.LURING: _l("In person (luring)"),
    ForumMode.DARING: _l("Online (daring)"),
    ForumMode.HYBRID: _l("Hybrid"),
}


class ForumStatus(StrEnum):
    SCHEDULED = "scheduled"
    HELD = "held"
    CLOSED = "closed"


FORUM_STATUS_LABELS = {
    ForumStatus.SCHEDULED: _l("Scheduled"),
    ForumStatus.HELD: _l("Held"),
    ForumStatus.CLOSED: _l("Closed"),
}


class ParticipantCategory(StrEnum):
    """The participant's unsur: which part of society they speak for."""

    OPD = "opd"
    DPRD = "dprd"
    BPJS = "bpjs"
    TNI_POLRI = "tni_polri"
    PROFESI = "profesi"
    AKADEMISI = "akademisi"
    MASYARAKAT = "masyarakat"
    PEMERINTAH_PUSAT = "pemerintah_pusat"
    PEMERINTAH_PROVINSI = "pemerintah_provinsi"
    OTHER = "other"


PARTICIPANT_CATEGORY_LABELS = {
    ParticipantCategory.OPD: _l("OPD"),
    ParticipantCategory.DPRD: _l("DPRD"),
    ParticipantCategory.BPJS: _l("BPJS"),
    ParticipantCategory.TNI_POLRI: _l("TNI/Polri"),
    ParticipantCategory.PROFESI: _l("Professional body"),
    ParticipantCategory.AKADEMISI: _l("Academia"),
    ParticipantCategory.MASYARAKAT: _l("Community"),
    ParticipantCategory.PEMERINTAH_PUSAT: _l("Central government"),
    ParticipantCategory.PEMERINTAH_PROVINSI: _l("Provincial government"),
    ParticipantCategory.OTHER: _l("Other"),
}


class ParticipantRole(StrEnum):
    NARASUMBER = "narasumber"
    MODERATOR = "moderator"
    PIMPINAN = "pimpinan"
    PESERTA = "peserta"
    NOTULIS = "notulis"


PARTICIPANT_ROLE_LABELS = {
    ParticipantRole.NARASUMBER: _l("Speaker (narasumber)"),
    ParticipantRole.MODERATOR: _l("Moderator"),
    ParticipantRole.PIMPINAN: _l("Chair (pimpinan)"),
    ParticipantRole.PESERTA: _l("Participant"),
    ParticipantRole.NOTULIS: _l("Minute-taker (notulis)"),
}


class Attendance(StrEnum):
    HADIR = "hadir"
    IZIN = "izin"
    DIWAKILKAN = "diwakilkan"
    TIDAK_HADIR = "tidak_hadir"


ATTENDANCE_LABELS = {
    Attendance.HADIR: _l("Present"),
    Attendance.IZIN: _l("Excused"),
    Attendance.DIWAKILKAN: _l("Represented"),
    Attendance.TIDAK_HADIR: _l("Absent"),
}

# The headings of the participants table on a forum's page (each also labels its cells on narrow screens).
PARTICIPANT_TABLE_HEADINGS = {
    "name": _l("Name"),
    "institution": _l("Institution"),
    "category": _l("Category"),
    "role": _l("Role"),
    "attendance": _l("Attendance"),
}

# Who counts as "in the room": a representative speaks for the institution as much as its head would.
PRESENT = (Attendance.HADIR, Attendance.DIWAKILKAN)


audit.ENTITY_LABELS.update(
    forum=_l("forum"), series=_l("series"), participant=_l("participant"), recommendation=_l("recommendation")
)
audit.VERB_LABELS.update(append_minutes=_l("added a line to the minutes of"))
audit.FIELD_LABELS.update(
    kind=_l("Kind"),
    title=_l("Title"),
    series_id=_l("Series"),
    starts_at=_l("Starts"),
    ends_at=_l("Ends"),
    venue=_l("Venue"),
    mode=_l("Mode"),
    online_link=_l("Online link"),
    organiser_opd_id=_l("Organiser OPD"),
    host=_l("Host"),
    chair=_l("Chair"),
    minute_taker=_l("Minute-taker"),
    platform=_l("Online platform"),
    chair_position=_l("Chair's position"),
    chair_nip=_l("Chair's NIP"),
    minute_taker_position=_l("Minute-taker's position"),
    minute_taker_nip=_l("Minute-taker's NIP"),
    record_number=_l("Record number"),
    agenda=_l("Agenda"),
    period_start=_l("Planning period from"),
    period_end=_l("Planning period to"),
    status=_l("Status"),
    minutes_length=_l("Length of the minutes"),
    minutes_line=_l("Line added to the minutes"),
    name=_l("Name"),
    position=_l("Position"),
    opd_id=_l("OPD"),
    institution=_l("Institution"),
    category=_l("Category"),
    role=_l("Role"),
    attendance=_l("Attendance"),
    email=_l("Email"),
    phone=_l("Phone"),
    number=_l("Number"),
    text=_l("Recommendation"),
    planning_ref=_l("Planning reference"),
    themes=_l("Themes"),
    count=_l("Count"),
    description=_l("Description"),
)


# Hosts of the online-meeting services, and how documents name them.
KNOWN_PLATFORMS = (
    ("zoom.us", "Zoom Meeting"),
    ("meet.google.", "Google Meet"),
    ("teams.microsoft.", "Microsoft Teams"),
    ("teams.live.", "Microsoft Teams"),
    ("webex.", "Webex"),
    ("youtube.", "YouTube"),
    ("youtu.be", "YouTube"),
)

# The years a planning period (Renstra, RPJMD) may name.
FIRST_PLANNING_YEAR = 2000
LAST_PLANNING_YEAR = 2100


class Series(db.Model):
    """A process that takes several meetings, e.g. "Penyusunan Dokumen PPT Kespro 2026"."""

    __tablename__ = "series"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    # The government that started it; it edits the series, and its forums may be of any government.
    government_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("governments.id"), index=True)
    title: so.Mapped[str] = so.mapped_column(sa.String(300))
    description: so.Mapped[str | None] = so.mapped_column(sa.Text)
    created_at: so.Mapped[datetime] = so.mapped_column(UtcDateTime, default=clock.now)


class Forum(db.Model):
    """One meeting, with its participants, minutes and recommendations."""

    __tablename__ = "forums"
    __table_args__ = (
        sa.Index("ix_forums_status_starts_at", "status", "starts_at"),
        # The secretariat's number of the Berita Acara: one forum per number within a government.
        sa.UniqueConstraint("government_id", "record_number"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    kind: so.Mapped[ForumKind] = so.mapped_column(enum_column(ForumKind))
    title: so.Mapped[str] = so.mapped_column(sa.String(300))
    # The government whose secretariat logs it: it edits the forum and assigns its follow-ups.
    government_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("governments.id"), index=True)
    series_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("series.id"), index=True)
    starts_at: so.Mapped[datetime] = so.mapped_column(UtcDateTime, index=True)
    ends_at: so.Mapped[datetime | None] = so.mapped_column(UtcDateTime)
    venue: so.Mapped[str | None] = so.mapped_column(sa.String(300))
    mode: so.Mapped[ForumMode] = so.mapped_column(enum_column(ForumMode), default=ForumMode.LURING)
    online_link: so.Mapped[str | None] = so.mapped_column(sa.String(500))
    # "Zoom Meeting", "Google Meet": what the documents say an online meeting was held through.
    platform: so.Mapped[str | None] = so.mapped_column(sa.String(100))
    organiser_opd_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("opds.id"), index=True)
    # A meeting another government held, which our officers attended (e.g. a Kabupaten's workshop).
    host: so.Mapped[str | None] = so.mapped_column(sa.String(300))
    chair: so.Mapped[str | None] = so.mapped_column(sa.String(200))
    minute_taker: so.Mapped[str | None] = so.mapped_column(sa.String(200))
    # Printed in the signature blocks under the name: the position (jabatan) and the NIP of each signer.
    chair_position: so.Mapped[str | None] = so.mapped_column(sa.String(200))
    chair_nip: so.Mapped[str | None] = so.mapped_column(sa.String(30))
    minute_taker_position: so.Mapped[str | None] = so.mapped_column(sa.String(200))
    minute_taker_nip: so.Mapped[str | None] = so.mapped_column(sa.String(30))
    # The Berita Acara's number, the secretariat's own (never the id); a number given from the government's
    # format also keeps its running number and year, from which the next one follows.
    record_number: so.Mapped[str | None] = so.mapped_column(sa.String(120))
    record_seq: so.Mapped[int | None]
    record_year: so.Mapped[int | None]
    agenda: so.Mapped[str | None] = so.mapped_column(sa.Text)
    minutes: so.Mapped[str | None] = so.mapped_column(sa.Text)
    period_start: so.Mapped[int | None]
    period_end: so.Mapped[int | None]
    status: so.Mapped[ForumStatus] = so.mapped_column(enum_column(ForumStatus), default=ForumStatus.SCHEDULED)
    created_by_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: so.Mapped[datetime] = so.mapped_column(UtcDateTime, default=clock.now)
    updated_at: so.Mapped[datetime] = so.mapped_column(UtcDateTime, default=clock.now, onupdate=clock.now)

    series: so.Mapped[Series | None] = so.relationship()
    government: so.Mapped[Government] = so.relationship()
    organiser: so.Mapped[Opd | None] = so.relationship()
    created_by: so.Mapped[User | None] = so.relationship()
    participants: so.Mapped[list["Participant"]] = so.relationship(
        back_populates="forum", cascade="all, delete-orphan", order_by="Participant.id"
    )
    recommendations: so.Mapped[list["Recommendation"]] = so.relationship(
        back_populates="forum", cascade="all, delete-orphan", order_by="Recommendation.number"
    )

    @property
    def is_closed(self) -> bool:
        return self.status == ForumStatus.CLOSED

    @property
    def online_platform(self) -> str | None:
        """What the meeting was held through: the platform typed, or the one its link names ("Zoom Meeting")."""
        if self.platform:
            return self.platform
        link = (self.online_link or "").lower()
        return next((name for host, name in KNOWN_PLATFORMS if host in link), None)

    @property
    def period(self) -> str:
        if self.period_start and self.period_end:
            return f"{self.period_start}–{self.period_end}"
        return str(self.period_start or self.period_end or "")


class Participant(db.Model):
    """Someone on the attendance list (daftar hadir) of a forum."""

    __tablename__ = "participants"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    forum_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("forums.id", ondelete="CASCADE"), index=True)
    name: so.Mapped[str] = so.mapped_column(sa.String(200))
    position: so.Mapped[str | None] = so.mapped_column(sa.String(200))
    # The institution is an OPD where the person has one, free text otherwise (DPRD, BPJS Kesehatan, IDI ...).
    opd_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("opds.id"), index=True)
    institution: so.Mapped[str | None] = so.mapped_column(sa.String(200))
    category: so.Mapped[ParticipantCategory] = so.mapped_column(
        enum_column(ParticipantCategory), default=ParticipantCategory.OPD
    )
    role: so.Mapped[ParticipantRole] = so.mapped_column(enum_column(ParticipantRole), default=ParticipantRole.PESERTA)
    attendance: so.Mapped[Attendance] = so.mapped_column(enum_column(Attendance), default=Attendance.HADIR)
    email: so.Mapped[str | None] = so.mapped_column(sa.String(254))
    phone: so.Mapped[str | None] = so.mapped_column(sa.String(40))

    forum: so.Mapped[Forum] = so.relationship(back_populates="participants")
    opd: so.Mapped[Opd | None] = so.relationship()

    @property
    def institution_name(self) -> str:
        return self.opd.name if self.opd is not None else (self.institution or "")


recommendation_themes = sa.Table(
    "recommendation_themes",
    db.metadata,
    sa.Column("recommendation_id", sa.ForeignKey("recommendations.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("theme_id", sa.ForeignKey("themes.id", ondelete="CASCADE"), primary_key=True),
)


class Theme(db.Model):
    """A tag on recommendations, e.g. "kesehatan jiwa"; stored lower-case so that tags do not split by case."""

    __tablename__ = "themes"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    name: so.Mapped[str] = so.mapped_column(sa.String(80), unique=True)


class Recommendation(db.Model):
    """A conclusion of a forum (kesimpulan / rekomendasi), numbered within it."""

    __tablename__ = "recommendations"
    __table_args__ = (sa.UniqueConstraint("forum_id", "number"),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    forum_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("forums.id", ondelete="CASCADE"), index=True)
    number: so.Mapped[int]
    text: so.Mapped[str] = so.mapped_column(sa.Text)
    planning_ref: so.Mapped[str | None] = so.mapped_column(sa.String(300))

    forum: so.Mapped[Forum] = so.relationship(back_populates="recommendations")
    themes: so.Mapped[list[Theme]] = so.relationship(secondary=recommendation_themes, order_by=Theme.name)
