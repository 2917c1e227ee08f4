"""Reading a daftar hadir (attendance list) from .xlsx or .csv into participant rows, with each row's problems.

Nothing here writes to the database: the preview shows the rows, and saving goes through
`services.import_participants`, all or nothing, and once per preview.
"""

import hashlib
from dataclasses import dataclass, field

import sqlalchemy as sa
from email_validator import EmailNotValidError, validate_email
from flask import current_app
from flask_babel import lazy_gettext as _l
from itsdangerous import BadData, URLSafeTimedSerializer

from accounts import governments
from accounts import services as accounts
from accounts.models import Opd
from core import spreadsheets
from core.audit import FIELD_LABELS
from core.db import max_length
from core.errors import Invalid
from core.extensions import db
from forum.models import Attendance, Participant, ParticipantCategory, ParticipantRole

# Header spellings seen on real attendance lists, in Indonesian and English, normalised by _key().
COLUMN_ALIASES = {
    "name": {"nama", "name", "nama lengkap", "nama peserta", "full name"},
    "position": {"jabatan", "position", "title"},
    "institution": {"instansi", "institution", "unit kerja", "asal instansi", "asal", "lembaga", "opd"},
    "opd_code": {"kode opd", "opd code", "kode"},
    # Which government the institution is of, by code or name: with several in one Kawal, "DINKES" is ambiguous.
    "government": {"pemerintah", "government", "pemda", "pemerintah daerah", "kode pemerintah"},
    "category": {"unsur", "category", "kategori"},
    "role": {"peran", "role"},
    "attendance": {"kehadiran", "attendance", "status kehadiran", "keterangan"},
    "email": {"email", "e-mail", "surel", "alamat email"},
    "phone": {"telepon", "phone", "no hp", "no. hp", "hp", "nomor hp", "no telp", "telp", "kontak"},
}
ATTENDANCE_WORDS = {
    "hadir": Attendance.HADIR,
    "present": Attendance.HADIR,
    "v": Attendance.HADIR,
    "ya": Attendance.HADIR,
    "izin": Attendance.IZIN,
    "ijin": Attendance.IZIN,
    "excused": Attendance.IZIN,
    "diwakilkan": Attendance.DIWAKILKAN,
    "wakil": Attendance.DIWAKILKAN,
    "represented": Attendance.DIWAKILKAN,
    "tidak hadir": Attendance.TIDAK_HADIR,
    "absent": Attendance.TIDAK_HADIR,
    "tidak": Attendance.TIDAK_HADIR,
}


@dataclass
class ImportRow:
    """One line of the file: the values Kawal would save, and what is wrong with them."""

    line: int
    values: dict
    problems: list[str] = field(default_factory=list)
    opd_label: str = ""
    opd: Opd | None = None  # the OPD matched, for the preview to name with its government

    @property
    def ok(self) -> bool:
        return not self.problems


_key = spreadsheets.key
_text = spreadsheets.text

LAYOUT = spreadsheets.Layout(
    columns=COLUMN_ALIASES,
    required="name",
    wrong_type=_l("Upload the attendance list as an .xlsx or .csv file."),
    no_rows=_l("The file has a header but no participants."),
    no_header=_l('No header row with a "Nama" (name) column was found.'),
)


def read_table(filename: str, data: bytes, *, max_bytes: int, max_rows: int) -> list[tuple[int, dict[str, str]]]:
    """The file's data rows as (line number, {column: text}); raises Invalid with a clear message."""
    return spreadsheets.read_table(filename, data, LAYOUT, max_bytes=max_bytes, max_rows=max_rows)


def check_rows(
    rows: list[tuple[int, dict[str, str]]], forum_governments: frozenset[int] | None = None
) -> list[ImportRow]:
    """Turn raw rows into participant values, noting every problem; OPDs are looked up once. An OPD is looked for
    in the row's government column if it has one, else among the forum's governments (all when not given)."""
    opds = _Opds(accounts.active_opds(), forum_governments)
    return [_check_row(line, raw, opds) for line, raw in rows]


class _Opds:
    """The active OPDs of every government, found by code or by full name (case does not matter)."""

    def __init__(self, opds, forum_governments: frozenset[int] | None):
        self.by_code: dict[str, list[Opd]] = {}
        self.by_name: dict[str, list[Opd]] = {}
        for opd in opds:
            self.by_code.setdefault(opd.code.upper(), []).append(opd)
            self.by_name.setdefault(opd.name.lower(), []).append(opd)
        self.forum_governments = forum_governments
        self.governments = {}
        for node in governments.tree().values():
            for name in (node.code, node.name, node.short_name):
                self.governments[_key(name)] = node.id

    def find(self, text: str, government: str, *, by_name: bool) -> tuple[Opd | None, str | None]:
        """The OPD a code (or, by_name, a code or full name) is, and a problem when it cannot be told which.
        (None, None) is no OPD: free text."""
        found = list(self.by_code.get(text.upper(), []))
        if by_name and not found:
            found = list(self.by_name.get(text.lower(), []))
        if government:
            government_id = self.governments.get(_key(government))
            if government_id is None:
                return None, None  # a government outside this Kawal: its people stay free text
            found = [opd for opd in found if opd.government_id == government_id]
        elif self.forum_governments is not None:
            elsewhere = found
            found = [opd for opd in found if opd.government_id in self.forum_governments]
            if not found and elsewhere and not by_name:
                return None, str(
                    _l(
                        "%(code)s is an OPD of %(governments)s, which is not among this forum's governments: "
                        "add a government column.",
                        code=text,
                        governments=_names(elsewhere),
                    )
                )
        if len(found) > 1:
            return None, str(
                _l(
                    "%(code)s is an OPD of several governments (%(governments)s): add a government column.",
                    code=text,
                    governments=_names(found),
                )
            )
        return (found[0] if found else None), None


def _names(opds: list[Opd]) -> str:
    return ", ".join(sorted({governments.short_name(opd.government_id) for opd in opds}))


def _check_row(line: int, raw: dict[str, str], opds: _Opds) -> ImportRow:
    problems = []
    values = {
        "name": raw.get("name", ""),
        "position": raw.get("position", ""),
        "institution": raw.get("institution", ""),
        "email": raw.get("email", "").lower(),
        "phone": raw.get("phone", ""),
        "opd_id": None,
    }
    if not values["name"]:
        problems.append(str(_l("The name is missing.")))
    problems += _overlong(values)
    opd = _opd_of(raw.get("opd_code", ""), raw.get("government", ""), values, opds, problems)
    problems += _bad_email(values["email"])
    values["category"] = _choice(
        raw.get("category"),
        ParticipantCategory,
        ParticipantCategory.OPD if opd else ParticipantCategory.OTHER,
        problems,
        _l("category"),
    )
    values["role"] = _choice(raw.get("role"), ParticipantRole, ParticipantRole.PESERTA, problems, _l("role"))
    values["attendance"] = _attendance(raw.get("attendance"), problems)
    return ImportRow(line=line, values=values, problems=problems, opd_label=opd.code if opd else "", opd=opd)


def _opd_of(code: str, government: str, values: dict, opds: _Opds, problems: list[str]):
    """The row's OPD, from its OPD code or else its institution, in its government; sets values' opd_id and
    institution. Where the OPD cannot be told, the row says so and links none."""
    opd, problem = None, None
    if code:
        opd, problem = opds.find(code, government, by_name=False)
        if opd is None and problem is None:
            if government and government.strip() and _key(government) not in opds.governments:
                values["institution"] = values["institution"] or f"{code} · {government}"
            else:
                problem = str(_l("Unknown OPD code %(code)s.", code=code))
    elif values["institution"]:
        opd, problem = opds.find(values["institution"], government, by_name=True)
    if problem:
        problems.append(problem)
    if opd is not None:
        values["opd_id"] = opd.id
        values["institution"] = values["institution"] or None
    elif not values["institution"] and not code:
        problems.append(str(_l("The institution is missing.")))
    return opd


def _bad_email(email: str) -> list[str]:
    if not email:
        return []
    try:
        validate_email(email, check_deliverability=False)
    except EmailNotValidError:
        return [str(_l("%(email)s is not a valid email address.", email=email))]
    return []


def _attendance(raw: str | None, problems: list[str]) -> str:
    attendance = _key(raw)
    if not attendance:
        return Attendance.HADIR.value
    if attendance in ATTENDANCE_WORDS:
        return ATTENDANCE_WORDS[attendance].value
    if attendance.replace(" ", "_") in Attendance._value2member_map_:
        return attendance.replace(" ", "_")
    problems.append(str(_l("Unknown attendance %(value)s.", value=raw)))
    return Attendance.HADIR.value


# What a participant's text may hold: the columns' lengths, as the participant form checks them.
TEXT_LIMITS = {
    name: max_length(getattr(Participant, name)) for name in ("name", "position", "institution", "email", "phone")
}


def _overlong(values: dict) -> list[str]:
    return [
        str(_l("%(field)s is longer than %(n)d characters.", field=FIELD_LABELS[name], n=limit))
        for name, limit in TEXT_LIMITS.items()
        if len(values[name] or "") > limit
    ]


def _choice(raw: str | None, enum_class, default, problems: list[str], what) -> str:
    text = _key(raw).replace(" ", "_").replace("/", "_")
    if not text:
        return default.value
    if text in enum_class._value2member_map_:
        return text
    problems.append(str(_l("Unknown %(what)s %(value)s.", what=what, value=raw)))
    return default.value


# The rows travel from the preview to the confirmation inside the page, signed, so that the server keeps no
# state between the two steps and nobody can slip rows in between. They travel as the file gave them (raw), with
# the OPD each row was matched to: saving checks them again, and refuses when a row no longer means what the
# preview showed (an OPD deactivated or renamed since).
def _serializer():
    # The salt names the token's form: a preview made before the raw rows were sealed (salt "attendance-import")
    # does not verify, and answers "expired" like any changed token.
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="attendance-import-raw-rows")


def participants_fingerprint(forum_id: int) -> str:
    """The forum's participant list as it is now, in a few characters (a digest of its ids, which only grow):
    a preview carries it, and saving refuses a list that changed since, which is how a preview imports once."""
    ids = db.session.scalars(sa.select(Participant.id).where(Participant.forum_id == forum_id).order_by(Participant.id))
    return hashlib.sha256(",".join(map(str, ids)).encode()).hexdigest()[:20]


def seal(forum_id: int, table: list[tuple[int, dict[str, str]]], rows: list[ImportRow]) -> str:
    """A signed token carrying the file's raw rows (as read_table gave them), the OPDs the preview matched and
    the participant list it was made against."""
    return _serializer().dumps(
        {
            "forum": forum_id,
            "rows": [[line, raw] for line, raw in table],
            "opds": [r.values["opd_id"] for r in rows],
            "participants": participants_fingerprint(forum_id),
        }
    )


@dataclass
class Sealed:
    """What a token made by seal() carries: the raw rows, the OPD id the preview showed for each, and the
    fingerprint of the participant list the preview was made against."""

    table: list[tuple[int, dict[str, str]]]
    opd_ids: list[int | None]
    participants: str


def unseal(forum_id: int, token: str, max_age: int = 3600) -> Sealed:
    """The rows of a token made by seal() for this forum, or Invalid."""
    try:
        payload = _serializer().loads(token, max_age=max_age)
    except BadData:
        raise Invalid(_l("The preview has expired or was changed. Upload the file again.")) from None
    # A preview made before previews carried the participant list cannot tell whether it was imported: expired.
    if payload.get("forum") != forum_id or "participants" not in payload:
        raise Invalid(_l("The preview has expired or was changed. Upload the file again."))
    return Sealed(
        table=[(line, raw) for line, raw in payload["rows"]],
        opd_ids=payload["opds"],
        participants=payload["participants"],
    )
