"""Reading a daftar hadir (attendance list) from .xlsx or .csv into participant rows, with each row's problems.

Nothing here writes to the database: the preview shows the rows, and saving goes through
`services.import_participants`, all or nothing, and once per preview.
"""

import hashlib
import io
import re
from dataclasses import dataclass, field

import sqlalchemy as sa
from email_validator import EmailNotValidError, validate_email
from flask import current_app
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from itsdangerous import BadData, URLSafeTimedSerializer

from accounts import governments
from accounts import services as accounts
from accounts.models import Opd
from accounts.opd_matching import OpdMatcher
from core import spreadsheets
from core.audit import FIELD_LABELS
from core.db import max_length
from core.errors import Invalid
from core.extensions import db
from forum.models import (
    ATTENDANCE_LABELS,
    PARTICIPANT_CATEGORY_LABELS,
    PARTICIPANT_ROLE_LABELS,
    Attendance,
    Participant,
    ParticipantCategory,
    ParticipantRole,
)

# Header spellings seen on real attendance lists, in Indonesian and English, and in the exports of Zoom and Google
# Forms; compared by spreadsheets.header_key(), so case, spaces and punctuation do not matter.
COLUMN_ALIASES = {
    "name": {
        "nama",
        "name",
        "nama lengkap",
        "nama peserta",
        "nama lengkap dan gelar",
        "nama lengkap (beserta gelar)",
        "full name",
        "name (original name)",  # Zoom's participants report
        "participant name",
    },
    "position": {"jabatan", "position", "title", "job title", "jabatan peserta"},
    "institution": {
        "instansi",
        "institution",
        "unit kerja",
        "instansi/unit kerja",
        "unit kerja/instansi",
        "asal instansi",
        "instansi asal",
        "nama instansi",
        "instansi/lembaga",
        "asal",
        "lembaga",
        "opd",
        "asal opd",
        "perangkat daerah",
        "organisasi",
        "organization",
        "organisation",
        "satuan kerja",
        "satker",
    },
    "opd_code": {"kode opd", "opd code", "kode"},
    # Which government the institution is of, by code or name: with several in one Kawal, "DINKES" is ambiguous.
    "government": {"pemerintah", "government", "pemda", "pemerintah daerah", "kode pemerintah"},
    "category": {"unsur", "category", "kategori"},
    "role": {"peran", "role", "peran dalam rapat"},
    "attendance": {"kehadiran", "attendance", "status kehadiran", "keterangan"},
    "email": {"email", "e-mail", "surel", "alamat email", "alamat surel", "email address", "user email"},
    "phone": {
        "telepon",
        "phone",
        "phone number",
        "mobile number",
        "no hp",
        "no. hp",
        "hp",
        "nomor hp",
        "no telp",
        "no. telepon",
        "nomor telepon",
        "telp",
        "kontak",
        "no wa",
        "no. wa",
        "wa",
        "whatsapp",
        "no whatsapp",
        "nomor whatsapp",
        "no. hp/wa",
        "nomor hp/wa",
        "hp/wa",
        "handphone",
        "no handphone",
    },
}
# Headers that are known and knowingly not saved: the row number, a signature, the time a Google Form was sent,
# and Zoom's times (a Zoom report lists the people who joined: each is present, the default attendance).
IGNORED_HEADERS = frozenset(
    {
        "no",
        "no.",
        "no urut",
        "nomor urut",
        "tanda tangan",
        "ttd",
        "paraf",
        "timestamp",
        "stempel waktu",
        "join time",
        "leave time",
        "duration (minutes)",
        "total duration (minutes)",
        "guest",
        "in waiting room",
        "recording disclaimer response",
    }
)
# What the mapping step and the template call each column, in the reader's language.
COLUMN_LABELS = {
    "name": _l("Name"),
    "position": _l("Position"),
    "institution": _l("Institution"),
    "opd_code": _l("OPD code"),
    "government": _l("Government"),
    "category": _l("Category"),
    "role": _l("Role"),
    "attendance": _l("Attendance"),
    "email": _l("Email"),
    "phone": _l("Mobile number"),
}
# Every column the preview shows: all that saving keeps (the OPD shown as the institution).
PREVIEW_COLUMNS = ("name", "position", "institution", "category", "role", "attendance", "email", "phone")
CHOICE_LABELS = {
    "category": PARTICIPANT_CATEGORY_LABELS,
    "role": PARTICIPANT_ROLE_LABELS,
    "attendance": ATTENDANCE_LABELS,
}
ATTENDANCE_WORDS = {
    "hadir": Attendance.HADIR,
    "present": Attendance.HADIR,
    "v": Attendance.HADIR,
    "ya": Attendance.HADIR,
    "yes": Attendance.HADIR,
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
ROLE_WORDS = {
    "speaker": ParticipantRole.NARASUMBER,
    "chair": ParticipantRole.PIMPINAN,
    "participant": ParticipantRole.PESERTA,
    "minute taker": ParticipantRole.NOTULIS,
}


@dataclass
class ImportRow:
    """One line of the file: the values Kawal would save, and what is wrong with them, by column (shown beside
    the cell)."""

    line: int
    values: dict
    raw: dict = field(default_factory=dict)
    issues: list[tuple[str, str]] = field(default_factory=list)
    opd_label: str = ""
    opd: Opd | None = None  # the OPD matched, for the preview to name with its government

    @property
    def ok(self) -> bool:
        return not self.issues

    @property
    def problems(self) -> list[str]:
        return [message for _, message in self.issues]

    def problem(self, column: str, message) -> None:
        self.issues.append((column, str(message)))

    def problems_of(self, column: str) -> list[str]:
        return [message for name, message in self.issues if name == column]

    def shown(self, column: str) -> str:
        """What the preview shows in a cell: what the file says where it has a problem, else what will be saved
        (a code as its label in the reader's language)."""
        if self.problems_of(column):
            return self.raw.get(column, "")
        value = self.values.get(column) or ""
        labels = CHOICE_LABELS.get(column)
        return str(labels.get(value, value)) if labels and value else value


_text = spreadsheets.text

LAYOUT = spreadsheets.Layout(
    columns=COLUMN_ALIASES,
    required="name",
    wrong_type=_l("Upload the attendance list as an .xlsx or .csv file."),
    no_rows=_l("The file has a header but no participants."),
    no_header=_l('No header row with a "Nama" (name) column was found.'),
    ignored=IGNORED_HEADERS,
)


def read_table(filename: str, data: bytes, *, max_bytes: int, max_rows: int) -> list[tuple[int, dict[str, str]]]:
    """The file's data rows as (line number, {column: text}); raises Invalid with a clear message."""
    return spreadsheets.read_table(filename, data, LAYOUT, max_bytes=max_bytes, max_rows=max_rows)


def read_sheet(filename: str, data: bytes, *, max_bytes: int, max_rows: int) -> spreadsheets.Sheet:
    """The file's rows with its unknown columns kept for the mapping step; raises Invalid with a clear message."""
    return spreadsheets.read_sheet(filename, data, LAYOUT, max_bytes=max_bytes, max_rows=max_rows)


def check_rows(
    rows: list[tuple[int, dict[str, str]]], forum_governments: frozenset[int] | None = None
) -> list[ImportRow]:
    """Turn raw rows into participant values, noting every problem; OPDs are looked up once. An OPD is looked for
    in the row's government column if it has one, else among the forum's governments (all when not given)."""
    opds = _Opds(accounts.active_opds(), forum_governments)
    words = _Words()
    return [_check_row(line, raw, opds, words) for line, raw in rows]


def person_key(name, email, opd_id, institution) -> tuple:
    """Who a participant is, as two lists of one meeting would both write them: the name, the email and the OPD
    (or the institution's words), case, spaces and punctuation aside."""
    return (_word_key(name), (email or "").strip().lower(), opd_id or _word_key(institution))


def already_listed(rows: list[ImportRow], participants) -> list[bool]:
    """Whether each row names a person the forum already lists (a list imported before, the paper list and the
    Google Form both) or a row above it in the file does (a form sent twice)."""
    seen = {person_key(p.name, p.email, p.opd_id, p.institution) for p in participants}
    listed = []
    for row in rows:
        key = person_key(row.values["name"], row.values["email"], row.values["opd_id"], row.values["institution"])
        listed.append(row.ok and bool(key[0]) and key in seen)
        seen.add(key)
    return listed


def problems_first(rows: list[ImportRow]) -> list[ImportRow]:
    """The rows as the preview lists them: those with problems first, each group in the file's order."""
    return sorted(rows, key=lambda row: row.ok)


class _Words:
    """What a category, role or attendance cell may say: the code, or its label in either language (what the
    template's drop-downs offer), or a word people write; compared by header_key()."""

    def __init__(self):
        self.category = _words(PARTICIPANT_CATEGORY_LABELS, {})
        self.role = _words(PARTICIPANT_ROLE_LABELS, ROLE_WORDS)
        self.attendance = _words(ATTENDANCE_LABELS, ATTENDANCE_WORDS)


def _words(labels: dict, extra: dict) -> dict[str, str]:
    words = {_word_key(word): code.value for word, code in extra.items()}
    for locale in current_app.config["LANGUAGES"]:  # a label is understood in every language Kawal speaks
        with force_locale(locale):
            words.update({_word_key(str(label)): code.value for code, label in labels.items()})
    words.update({_word_key(code.value): code.value for code in labels})
    return words


_word_key = spreadsheets.header_key


class _Opds:
    """The active OPDs of every government, read by `accounts.opd_matching`. A text that names its government finds
    that government's OPD; one that names none is looked for among the forum's governments (all when not given)."""

    def __init__(self, opds, forum_governments: frozenset[int] | None):
        self.matcher = OpdMatcher(opds)
        self.forum_governments = forum_governments

    def find(self, text: str, government: str, *, by_name: bool) -> tuple[Opd | None, str | None]:
        """The OPD a code (or, by_name, an institution) names, and a problem when it cannot be told which.
        (None, None) is no OPD: free text."""
        reading = self.matcher.read(text, government)
        within = None if reading.government_id is not None else self.forum_governments
        match = reading.pick(within)
        if match.outside and not by_name:
            return None, str(
                _l(
                    "%(code)s is an OPD of %(governments)s, which is not among this forum's governments: "
                    "add a government column.",
                    code=text,
                    governments=_names(match.outside),
                )
            )
        if match.several and by_name:
            return None, str(
                _l(
                    "%(value)s is an OPD of several governments (%(governments)s): write its government after it "
                    '("%(value)s %(example)s") or add a government column.',
                    value=text,
                    governments=_names(match.several),
                    example=governments.short_name(match.several[0].government_id),
                )
            )
        if match.several:
            return None, str(
                _l(
                    "%(code)s is an OPD of several governments (%(governments)s): add a government column.",
                    code=text,
                    governments=_names(match.several),
                )
            )
        return match.opd, None


def _names(opds: list[Opd]) -> str:
    return ", ".join(sorted({governments.short_name(opd.government_id) for opd in opds}))


def _check_row(line: int, raw: dict[str, str], opds: _Opds, words: _Words) -> ImportRow:
    values = {
        "name": raw.get("name", ""),
        "position": raw.get("position", ""),
        "institution": raw.get("institution", ""),
        "email": raw.get("email", "").lower(),
        "phone": raw.get("phone", ""),
        "opd_id": None,
    }
    row = ImportRow(line=line, values=values, raw=raw)
    if not values["name"]:
        row.problem("name", _l("The name is missing."))
    _overlong(row)
    opd = _opd_of(raw.get("opd_code", ""), raw.get("government", ""), row, opds)
    _bad_email(row)
    default_category = ParticipantCategory.OPD if opd else ParticipantCategory.OTHER
    values["category"] = _choice(row, "category", words.category, default_category, _l("Unknown category %(value)s."))
    values["role"] = _choice(row, "role", words.role, ParticipantRole.PESERTA, _l("Unknown role %(value)s."))
    values["attendance"] = _choice(
        row, "attendance", words.attendance, Attendance.HADIR, _l("Unknown attendance %(value)s.")
    )
    row.opd, row.opd_label = opd, opd.code if opd else ""
    return row


def _opd_of(code: str, government: str, row: ImportRow, opds: _Opds):
    """The row's OPD, from its OPD code or else its institution, in its government; sets values' opd_id and
    institution. Where the OPD cannot be told, the row says so and links none."""
    values = row.values
    opd, problem = None, None
    if code:
        opd, problem = opds.find(code, government, by_name=False)
        if opd is None and problem is None:
            if government and government.strip() and opds.matcher.government(government) is None:
                values["institution"] = values["institution"] or f"{code} · {government}"
            else:
                problem = str(_l("Unknown OPD code %(code)s.", code=code))
    elif values["institution"]:
        opd, problem = opds.find(values["institution"], government, by_name=True)
    if problem:
        row.problem("institution", problem)
    if opd is not None:
        values["opd_id"] = opd.id
        values["institution"] = values["institution"] or None
    elif not values["institution"] and not code:
        row.problem("institution", _l("The institution is missing."))
    return opd


def _bad_email(row: ImportRow) -> None:
    email = row.values["email"]
    if not email:
        return
    try:
        validate_email(email, check_deliverability=False)
    except EmailNotValidError:
        row.problem("email", _l("%(email)s is not a valid email address.", email=email))


# What a participant's text may hold: the columns' lengths, as the participant form checks them.
TEXT_LIMITS = {
    name: max_length(getattr(Participant, name)) for name in ("name", "position", "institution", "email", "phone")
}


def _overlong(row: ImportRow) -> None:
    for name, limit in TEXT_LIMITS.items():
        if len(row.values[name] or "") > limit:
            row.problem(name, _l("%(field)s is longer than %(n)d characters.", field=FIELD_LABELS[name], n=limit))


def _choice(row: ImportRow, column: str, words: dict[str, str], default, unknown) -> str:
    """The code a cell names (its default when empty); a problem beside the cell when it names none."""
    raw = row.raw.get(column, "")
    if not _word_key(raw):
        return default.value
    if _word_key(raw) in words:
        return words[_word_key(raw)]
    row.problem(column, unknown % {"value": raw})
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


# --- the mapping step: what an unknown column holds ---------------------------------------------------------

IGNORE = spreadsheets.IGNORED


def column_choices() -> list[tuple[str, object]]:
    """What the user may say an unknown column holds: one of Kawal's columns, or nothing to save."""
    return [(IGNORE, _l("Ignore this column"))] + list(COLUMN_LABELS.items())


def column_errors(sheet: spreadsheets.Sheet, choices: dict[str, str]) -> dict[str, str]:
    """{unknown column: what is wrong with its choice}: none made, none that exists, a column the file already
    has, or one chosen for two columns."""
    known = _known_columns(sheet)
    errors, taken = {}, {}
    for column, header in sheet.unknown:
        choice = choices.get(column)
        if choice == IGNORE:
            continue
        if choice not in COLUMN_LABELS:
            errors[column] = str(_l("Choose what this column holds, or ignore it."))
        elif choice in known:
            errors[column] = str(
                _l('The column "%(header)s" already gives the %(field)s.', header=known[choice], field=_label(choice))
            )
        elif choice in taken:
            errors[column] = str(
                _l('The column "%(header)s" is already read as %(field)s.', header=taken[choice], field=_label(choice))
            )
        else:
            taken[choice] = header
    return errors


def _label(column: str) -> str:
    return str(COLUMN_LABELS[column]).lower()


def _known_columns(sheet: spreadsheets.Sheet) -> dict[str, str]:
    """{column: the header it was read from}, for the known columns of the sheet."""
    return {column: header for column, header in sheet.headers.items() if column in COLUMN_ALIASES}


# Zoom lists a person once per time they joined: a report with these columns names each person once.
ZOOM_HEADERS = frozenset({"jointime", "leavetime"})
# A Zoom report names no institution; meetings ask people to rename themselves "Nama_Instansi" (or "Nama -
# Instansi"), and that is where the institution is read from. Zoom writes a renamed person as "New name
# (original name)": the original name in parentheses is dropped.
ZOOM_RENAMED = re.compile(r"^\s*(?P<name>[^_]*?[^\s_])\s*(?:_+|\s[-–—|]\s)\s*(?P<institution>\S.*?)\s*$")
ZOOM_ORIGINAL_NAME = re.compile(r"\s*\([^()]*\)\s*$")


def _zoom_person(row: dict[str, str]) -> dict[str, str]:
    """A Zoom report's row with the institution its name gives ("Lelih Herawati_Bappeda Banten"), when the row
    has none."""
    if row.get("institution") or not row.get("name"):
        return row
    match = ZOOM_RENAMED.match(ZOOM_ORIGINAL_NAME.sub("", row["name"]))
    if match is None:
        return row
    return row | {"name": match["name"].strip(), "institution": match["institution"].strip()}


def is_zoom_report(sheet: spreadsheets.Sheet) -> bool:
    """Whether the sheet is a Zoom participants report (it has Zoom's join and leave times)."""
    return any(spreadsheets.header_key(header) in ZOOM_HEADERS for header in sheet.ignored)


def mapped_table(sheet: spreadsheets.Sheet, choices: dict[str, str]) -> tuple[list[tuple[int, dict[str, str]]], int]:
    """The sheet's rows with each unknown column read as chosen (checked by column_errors) and the ignored ones
    dropped, a row left with nothing to save being no row; and, for a Zoom report, how many rows repeated a
    person (same name and email) and were left out."""
    renamed = {column: choices[column] for column, _ in sheet.unknown if choices.get(column) in COLUMN_LABELS}
    zoom = is_zoom_report(sheet)
    table, seen, repeated = [], set(), 0
    for line, record in sheet.rows:
        row = {name: value for name, value in record.items() if name in COLUMN_ALIASES}
        row.update({renamed[name]: value for name, value in record.items() if name in renamed})
        if zoom:
            row = _zoom_person(row)
        person = (_word_key(row.get("name")), row.get("email", "").lower())
        if zoom and person[0] and person in seen:
            repeated += 1
        elif any(row.values()):
            seen.add(person)
            table.append((line, row))
    return table, repeated


def not_saved(sheet: spreadsheets.Sheet, choices: dict[str, str]) -> list[str]:
    """The headers whose columns the import does not save: those known to be ignored, and those chosen so."""
    return sheet.ignored + [header for column, header in sheet.unknown if choices.get(column) == IGNORE]


def asked(sheet: spreadsheets.Sheet) -> list[tuple[str, str]]:
    """The unknown columns the user must say what they hold: those with something in them. An empty one holds
    nothing to lose, and is listed with the columns not saved."""
    return [(column, header) for column, header in sheet.unknown if any(record.get(column) for _, record in sheet.rows)]


def guesses(sheet: spreadsheets.Sheet) -> dict[str, str]:
    """A first choice for each asked column, for the user to confirm or change: the column of the longest known
    spelling its header contains ("Nama Instansi Pengirim" holds "instansi"), among those the file lacks."""
    index = spreadsheets.header_columns(LAYOUT)
    free = {column for column in COLUMN_ALIASES if column not in sheet.headers}
    found = {}
    for column, header in asked(sheet):
        words = spreadsheets.header_key(header)
        matches = [(len(k), name) for k, name in index.items() if name in free and len(k) >= 4 and k in words]
        if matches:
            name = max(matches)[1]
            found[column] = name
            free.discard(name)
    return found


def empty_columns_ignored(sheet: spreadsheets.Sheet) -> dict[str, str]:
    """The choice made for the unknown columns nobody is asked about: ignored, since they are empty."""
    filled = {column for column, _ in asked(sheet)}
    return {column: IGNORE for column, _ in sheet.unknown if column not in filled}


def examples(sheet: spreadsheets.Sheet, column: str, n: int = 3) -> list[str]:
    """The first few values of a column, for the mapping step to show beside its header."""
    found = []
    for _, record in sheet.rows:
        if record.get(column) and record[column] not in found:
            found.append(record[column])
            if len(found) == n:
                break
    return found


def _sheet_serializer():
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="attendance-import-sheet")


def seal_sheet(forum_id: int, sheet: spreadsheets.Sheet) -> str:
    """A signed token carrying the file as read, unknown columns included, from the mapping step to the preview:
    choosing again needs no new upload."""
    return _sheet_serializer().dumps(
        {
            "forum": forum_id,
            "rows": [[line, raw] for line, raw in sheet.rows],
            "unknown": [list(pair) for pair in sheet.unknown],
            "ignored": sheet.ignored,
            "headers": sheet.headers,
        }
    )


def unseal_sheet(forum_id: int, token: str, max_age: int = 3600) -> spreadsheets.Sheet:
    """The sheet of a token made by seal_sheet() for this forum, or Invalid."""
    expired = Invalid(_l("The preview has expired or was changed. Upload the file again."))
    try:
        payload = _sheet_serializer().loads(token or "", max_age=max_age)
    except BadData:
        raise expired from None
    if not isinstance(payload, dict) or payload.get("forum") != forum_id:
        raise expired
    return spreadsheets.Sheet(
        rows=[(line, raw) for line, raw in payload["rows"]],
        unknown=[(column, header) for column, header in payload["unknown"]],
        ignored=payload["ignored"],
        headers=payload["headers"],
    )


# --- the template ---------------------------------------------------------------------------------------------

TEMPLATE_COLUMNS = PREVIEW_COLUMNS
TEMPLATE_ROWS = 500  # how far down the drop-downs reach


# The template's example row: whoever fills the template below it rather than over it imports it too, unless it
# is left out (without_example).
EXAMPLE = {"name": "Dewi Lestari, S.KM", "email": "dewi@contoh.go.id"}


def without_example(table: list[tuple[int, dict[str, str]]]) -> tuple[list[tuple[int, dict[str, str]]], int | None]:
    """The table without the template's example row, if it is there as the template wrote it; and its line."""
    for position, (line, row) in enumerate(table):
        if (
            _word_key(row.get("name")) == _word_key(EXAMPLE["name"])
            and (row.get("email") or "").lower() == EXAMPLE["email"]
        ):
            return table[:position] + table[position + 1 :], line
    return table, None


def template_xlsx() -> bytes:
    """An empty daftar hadir in the reader's language: the header, one example row, and drop-down lists of the
    categories, roles and attendances (kept on a second sheet, which the import does not read)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = str(_l("Attendance list"))[:31]
    sheet.append([str(COLUMN_LABELS[column]) for column in TEMPLATE_COLUMNS])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    example = {
        "name": EXAMPLE["name"],
        "position": "Perencana Ahli Muda",
        "institution": "Dinas Kesehatan",
        "category": str(PARTICIPANT_CATEGORY_LABELS[ParticipantCategory.OPD]),
        "role": str(PARTICIPANT_ROLE_LABELS[ParticipantRole.PESERTA]),
        "attendance": str(ATTENDANCE_LABELS[Attendance.HADIR]),
        "email": EXAMPLE["email"],
        "phone": "0812 3456 7890",
    }
    sheet.append([example[column] for column in TEMPLATE_COLUMNS])
    lists = workbook.create_sheet(str(_l("Choices"))[:31])
    for index, (column, labels) in enumerate(
        (
            ("category", PARTICIPANT_CATEGORY_LABELS),
            ("role", PARTICIPANT_ROLE_LABELS),
            ("attendance", ATTENDANCE_LABELS),
        )
    ):
        letter = get_column_letter(index + 1)
        lists.cell(row=1, column=index + 1, value=str(COLUMN_LABELS[column])).font = Font(bold=True)
        for row, label in enumerate(labels.values(), start=2):
            lists.cell(row=row, column=index + 1, value=str(label))
        target = get_column_letter(TEMPLATE_COLUMNS.index(column) + 1)
        validation = DataValidation(
            type="list",
            formula1=f"'{lists.title}'!${letter}$2:${letter}${len(labels) + 1}",
            allow_blank=True,
            showErrorMessage=True,
            error=str(_l("Choose from the list.")),
        )
        validation.add(f"{target}2:{target}{TEMPLATE_ROWS + 1}")
        sheet.add_data_validation(validation)
    for index, column in enumerate(TEMPLATE_COLUMNS, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = 28 if column in ("name", "institution") else 18
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
