"""Onboarding by spreadsheet: governments, their OPDs and their people (with the OPDs' heads) from one sheet.

One sheet, one row per thing, a "Baris" (row type) column saying which: `pemerintah` (a government), `opd` or
`pengguna` (a user). Rows are matched to what exists (governments by code, OPDs by government and code, users by
email), so the same file imported again updates what changed and creates nothing twice. An empty cell leaves what
exists as it is. A user of role "kepala" becomes the head of their OPD.

As with the attendance list, reading checks every row and writes nothing; the preview carries the raw rows in a
signed token, and saving checks them again and saves all of them or none.
"""

import io
from dataclasses import dataclass, field

import sqlalchemy as sa
from email_validator import EmailNotValidError, validate_email
from flask import current_app
from flask_babel import lazy_gettext as _l
from itsdangerous import BadData, URLSafeTimedSerializer

from accounts import events, governments, services
from accounts.models import TIME_ZONE_LABELS, Government, GovernmentKind, Opd, OpdKind, User, normalize_email
from core import audit, spreadsheets
from core.errors import Invalid
from core.extensions import db
from core.permissions import ROLES_WITH_OPD, Actor, Permission, Role, require, works_for

GOVERNMENT, OPD, USER = "government", "opd", "user"

LAYOUT = spreadsheets.Layout(
    columns={
        "type": {"baris", "jenis baris", "row type", "type", "tipe"},
        "government": {"kode pemerintah", "pemerintah", "government code", "government"},
        "opd": {"kode opd", "opd", "opd code"},
        "parent": {"induk", "kode induk", "parent", "parent code", "di bawah"},
        "name": {"nama", "name"},
        "short_name": {"nama singkat", "short name"},
        "kind": {"jenis", "kind"},
        "time_zone": {"zona waktu", "zona", "time zone"},
        "email": {"email", "e-mail", "surel", "alamat email"},
        "position": {"jabatan", "position"},
        "role": {"peran", "role"},
        "locale": {"bahasa", "language"},
    },
    required="type",
    wrong_type=_l("Upload the spreadsheet as an .xlsx or .csv file."),
    no_rows=_l("The file has a header but no rows."),
    no_header=_l('No header row with a "Baris" (row type) column was found. Download the template.'),
)
# The template's header, in the order of its columns, and its example rows.
# What the preview calls a row's kind and what saving it will do.
ROW_TYPE_LABELS = {"government": _l("Government"), "opd": _l("OPD"), "user": _l("User")}
SAVING_LABELS = {"create": _l("New"), "update": _l("Changed"), "unchanged": _l("Unchanged")}

TEMPLATE_HEADER = [
    "Baris",
    "Kode pemerintah",
    "Kode OPD",
    "Induk",
    "Nama",
    "Nama singkat",
    "Jenis",
    "Zona waktu",
    "Email",
    "Jabatan",
    "Peran",
]
TEMPLATE_ROWS = [
    ["pemerintah", "KAB-CONTOH", "", "BANTEN", "Pemerintah Kabupaten Contoh", "Kab. Contoh", "kabupaten", "WIB"],
    ["opd", "KAB-CONTOH", "DINKES", "", "Dinas Kesehatan", "", "dinas", "", "dinkes@contoh.go.id"],
    [
        "pengguna",
        "KAB-CONTOH",
        "DINKES",
        "",
        "dr. Siti Aminah",
        "",
        "",
        "",
        "siti@contoh.go.id",
        "Kepala Dinas",
        "kepala",
    ],
]

TYPE_WORDS = {
    "pemerintah": GOVERNMENT,
    "government": GOVERNMENT,
    "opd": OPD,
    "pengguna": USER,
    "user": USER,
    "akun": USER,
}
ROLE_WORDS = {
    "admin": Role.ADMIN,
    "administrator": Role.ADMIN,
    "sekretariat": Role.SECRETARIAT,
    "secretariat": Role.SECRETARIAT,
    "kepala": Role.OPD_HEAD,
    "kepala opd": Role.OPD_HEAD,
    "opd head": Role.OPD_HEAD,
    "head": Role.OPD_HEAD,
    "staf": Role.OPD_STAFF,
    "staff": Role.OPD_STAFF,
    "staf opd": Role.OPD_STAFF,
    "opd staff": Role.OPD_STAFF,
    "pemantau": Role.VIEWER,
    "viewer": Role.VIEWER,
}
GOVERNMENT_KIND_WORDS = {
    "provinsi": GovernmentKind.PROVINSI,
    "kabupaten": GovernmentKind.KABUPATEN,
    "kota": GovernmentKind.KOTA,
    "kementerian": GovernmentKind.KEMENTERIAN_LEMBAGA,
    "lembaga": GovernmentKind.KEMENTERIAN_LEMBAGA,
    "kementerian/lembaga": GovernmentKind.KEMENTERIAN_LEMBAGA,
    "kementerian lembaga": GovernmentKind.KEMENTERIAN_LEMBAGA,
}
OPD_KIND_WORDS = {kind.value: kind for kind in OpdKind} | {"lainnya": OpdKind.OTHER}
TIME_ZONE_WORDS = {"wib": "Asia/Jakarta", "wita": "Asia/Makassar", "wit": "Asia/Jayapura"} | {
    zone.lower(): zone for zone in TIME_ZONE_LABELS
}

LIMITS = {
    GOVERNMENT: {"government": 30, "name": 200, "short_name": 80},
    OPD: {"opd": 30, "name": 200, "email": 254},
    USER: {"name": 200, "email": 254, "position": 200},
}


@dataclass
class OnboardingRow:
    """One line of the file: what it is, the values Kawal would save, what it would do, and what is wrong (by
    column, shown beside the cell)."""

    line: int
    kind: str | None
    raw: dict
    values: dict = field(default_factory=dict)
    problems: list[tuple[str, str]] = field(default_factory=list)
    action: str = "create"  # create, update or unchanged

    @property
    def ok(self) -> bool:
        return not self.problems

    def problem(self, column: str, message) -> None:
        self.problems.append((column, str(message)))

    def problems_of(self, column: str) -> list[str]:
        return [message for name, message in self.problems if name == column]


@dataclass
class Result:
    created: dict[str, int] = field(default_factory=lambda: {GOVERNMENT: 0, OPD: 0, USER: 0})
    updated: dict[str, int] = field(default_factory=lambda: {GOVERNMENT: 0, OPD: 0, USER: 0})


def read_table(filename: str, data: bytes) -> list[tuple[int, dict[str, str]]]:
    """The file's rows, read with the attendance import's machinery (streamed, bounded)."""
    return spreadsheets.read_table(
        filename,
        data,
        LAYOUT,
        max_bytes=current_app.config["IMPORT_MAX_BYTES"],
        max_rows=current_app.config.get("ONBOARDING_MAX_ROWS", 5000),
    )


def template_xlsx() -> bytes:
    """A workbook with the header and one example row of each type."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Kawal")
    sheet.append(TEMPLATE_HEADER)
    for row in TEMPLATE_ROWS:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


# --- checking -----------------------------------------------------------------------------------------------


class _Known:
    """What exists that the file may name, read in a few queries whatever the file's length."""

    def __init__(self, table):
        self.governments = {g.code.upper(): g for g in db.session.scalars(sa.select(Government))}
        self.opds = {(o.government_id, o.code.upper()): o for o in db.session.scalars(sa.select(Opd))}
        emails = {normalize_email(raw.get("email", "")) for _, raw in table if raw.get("email")}
        self.users = {}
        listed = sorted(emails)
        for start in range(0, len(listed), 500):
            chunk = listed[start : start + 500]
            self.users.update({u.email: u for u in db.session.scalars(sa.select(User).where(User.email.in_(chunk)))})


def check_rows(actor: Actor, table: list[tuple[int, dict[str, str]]]) -> list[OnboardingRow]:
    """Every row with its values and problems, resolved against what exists and against the file's other rows."""
    require(actor, Permission.ADMINISTER)
    return _check(actor, table, _Known(table))


def _check(actor: Actor, table, known: _Known) -> list[OnboardingRow]:
    rows = [
        OnboardingRow(line=line, kind=TYPE_WORDS.get(spreadsheets.key(raw.get("type"))), raw=raw) for line, raw in table
    ]
    for row in rows:
        if row.kind is None:
            row.problem(
                "type",
                _l("Unknown row type %(value)s: write pemerintah, opd or pengguna.", value=row.raw.get("type", "")),
            )
        else:
            for column, limit in LIMITS[row.kind].items():
                if len(row.raw.get(column, "")) > limit:
                    row.problem(column, _l("Longer than %(n)d characters.", n=limit))
    file_governments = _check_governments(actor, [r for r in rows if r.kind == GOVERNMENT], known)
    file_opds = _check_opds(actor, [r for r in rows if r.kind == OPD], known, file_governments)
    _check_users(actor, [r for r in rows if r.kind == USER], known, file_governments, file_opds)
    return rows


def _government_code(row: OnboardingRow, actor: Actor) -> str:
    """The row's government code; a government's admin may leave it empty for its own."""
    code = row.raw.get("government", "").strip().upper()
    if not code and not getattr(actor, "manages_instance", False):
        node = governments.node(governments.acting_government_id(actor))
        code = node.code.upper() if node else ""
    return code


def _check_governments(actor: Actor, rows: list[OnboardingRow], known: _Known) -> dict[str, OnboardingRow]:
    in_file: dict[str, OnboardingRow] = {}
    for row in rows:
        if not getattr(actor, "manages_instance", False):
            row.problem("type", _l("Only the administrator of this Kawal imports governments."))
        code = row.raw.get("government", "").strip().upper()
        if not code:
            row.problem("government", _l("A government needs a code."))
        else:
            _once(row, "government", code, in_file, _l("Government %(code)s is in the file twice.", code=code))
        row.values = _government_values(row, known.governments.get(code), code)
        row.action = _action(known.governments.get(code), row.values)
    for row in rows:  # parents, once every government of the file is known
        _government_parent(row, known, in_file)
    return in_file


def _government_values(row: OnboardingRow, existing: Government | None, code: str) -> dict:
    name = row.raw.get("name", "")
    if not name and existing is None:
        row.problem("name", _l("A government needs its name as printed."))
    kind = _word(row, "kind", GOVERNMENT_KIND_WORDS, _l("Unknown kind %(value)s.", value=row.raw.get("kind")))
    zone = _word(row, "time_zone", TIME_ZONE_WORDS, _l("Choose WIB, WITA or WIT."))
    values = {"code": code}
    if name:
        values["name"] = name
    if row.raw.get("short_name") or name:
        values["short_name"] = row.raw.get("short_name") or governments.short_name_of(name)
    if kind or (existing is None and name):
        values["kind"] = kind or governments.kind_of(name)
    if zone or existing is None:
        values["time_zone"] = zone or "Asia/Jakarta"
    return values


def _government_parent(row: OnboardingRow, known: _Known, in_file: dict[str, OnboardingRow]) -> None:
    parent = row.raw.get("parent", "").strip().upper()
    if not parent:
        return
    if parent not in known.governments and parent not in in_file:
        row.problem("parent", _l("Unknown government %(code)s.", code=parent))
    elif parent == row.values["code"] or _under(parent, row.values["code"], known, in_file):
        row.problem("parent", _l("A government cannot sit under itself or one below it."))
    else:
        row.values["parent_code"] = parent
        existing = known.governments.get(row.values["code"])
        parent_now = existing.parent.code.upper() if existing is not None and existing.parent else None
        if existing is not None and parent_now != parent:
            row.action = "update"


def _under(code: str, ancestor: str, known: _Known, in_file: dict[str, OnboardingRow]) -> bool:
    """Whether government `code` sits (by the file, or as it is now) under `ancestor`."""
    seen = set()
    while code and code not in seen:
        seen.add(code)
        row = in_file.get(code)
        if row is not None and row.raw.get("parent"):
            code = row.raw["parent"].strip().upper()
        elif code in known.governments and known.governments[code].parent is not None:
            code = known.governments[code].parent.code.upper()
        else:
            return False
        if code == ancestor:
            return True
    return False


def _resolve_government(row: OnboardingRow, actor: Actor, known: _Known, file_governments) -> tuple[str, int | None]:
    """The row's government code and id (None for one that the file creates); a problem when it is unknown or
    not one the actor manages."""
    code = _government_code(row, actor)
    existing = known.governments.get(code)
    if not code:
        row.problem("government", _l("Which government? Fill in its code."))
    elif existing is None and code not in file_governments:
        row.problem("government", _l("Unknown government %(code)s.", code=code))
    elif existing is not None and not works_for(actor, existing.id):
        row.problem("government", _l("You manage only the users and OPDs of your own government."))
    return code, existing.id if existing is not None else None


def _check_opds(actor: Actor, rows: list[OnboardingRow], known: _Known, file_governments) -> dict:
    in_file: dict[tuple[str, str], OnboardingRow] = {}
    for row in rows:
        government_code, government_id = _resolve_government(row, actor, known, file_governments)
        code = row.raw.get("opd", "").strip().upper()
        existing = known.opds.get((government_id, code)) if government_id else None
        if not code:
            row.problem("opd", _l("An OPD needs a code."))
        else:
            _once(row, "opd", (government_code, code), in_file, _l("OPD %(code)s is in the file twice.", code=code))
        row.values = {"government_code": government_code, **_opd_values(row, existing, code)}
        row.action = _action(existing, row.values)
    for row in rows:
        _opd_parent(row, known, in_file)
    return in_file


def _opd_values(row: OnboardingRow, existing: Opd | None, code: str) -> dict:
    if not row.raw.get("name") and existing is None:
        row.problem("name", _l("An OPD needs a name."))
    values = {"code": code}
    if row.raw.get("name"):
        values["name"] = row.raw["name"]
    kind = _word(row, "kind", OPD_KIND_WORDS, _l("Unknown kind %(value)s.", value=row.raw.get("kind")))
    if kind or existing is None:
        values["kind"] = kind or OpdKind.DINAS
    if row.raw.get("email"):
        values["email"] = normalize_email(row.raw["email"])
        _check_email(row, values["email"])
    return values


def _opd_parent(row: OnboardingRow, known: _Known, in_file: dict) -> None:
    parent = row.raw.get("parent", "").strip().upper()
    if not parent:
        return
    government_code = row.values["government_code"]
    government = known.governments.get(government_code)
    parent_known = known.opds.get((government.id, parent)) if government is not None else None
    if parent == row.values["code"]:
        row.problem("parent", _l("An OPD cannot sit under itself."))
    elif parent_known is None and (government_code, parent) not in in_file:
        row.problem("parent", _l("No OPD %(code)s in this government.", code=parent))
    else:
        row.values["parent_code"] = parent
        existing = known.opds.get((government.id, row.values["code"])) if government is not None else None
        if existing is not None and (existing.parent is None or existing.parent.code.upper() != parent):
            row.action = "update"


def _check_users(actor: Actor, rows: list[OnboardingRow], known: _Known, file_governments, file_opds) -> None:
    emails: dict[str, OnboardingRow] = {}
    heads: dict[tuple[str, str], OnboardingRow] = {}
    for row in rows:
        government_code, government_id = _resolve_government(row, actor, known, file_governments)
        email = normalize_email(row.raw.get("email", ""))
        existing = known.users.get(email)
        if not email:
            row.problem("email", _l("A user needs an email."))
        else:
            _once(row, "email", email, emails, _l("%(email)s is in the file twice.", email=email))
            _check_email(row, email)
        if existing is not None and not works_for(actor, existing.government_id):
            row.problem("email", _l("This email is already in use."))
        row.values = {"government_code": government_code, **_user_values(row, existing)}
        opd_code = row.values["opd_code"]
        if opd_code and (government_code, opd_code) not in file_opds and (government_id, opd_code) not in known.opds:
            row.problem("opd", _l("No OPD %(code)s in this government.", code=opd_code))
        elif not opd_code and row.values["role"] in ROLES_WITH_OPD:
            row.problem("opd", _l("OPD heads and OPD staff need an OPD."))
        if row.values["role"] == Role.OPD_HEAD and opd_code:
            line = heads.setdefault((government_code, opd_code), row).line
            if line != row.line:
                row.problem("role", _l("Line %(line)d already names the head of this OPD.", line=line))
        row.action = _user_action(existing, row.values)


ROLE_WORDS_ALL = ROLE_WORDS | {role.value: role for role in Role}


def _user_values(row: OnboardingRow, existing: User | None) -> dict:
    if not row.raw.get("name") and existing is None:
        row.problem("name", _l("A user needs a name."))
    unknown_role = _l(
        "Unknown role %(value)s: write admin, sekretariat, kepala, staf or pemantau.", value=row.raw.get("role", "")
    )
    role = _word(row, "role", ROLE_WORDS_ALL, unknown_role)
    if role is None and existing is None and not row.problems_of("role"):
        row.problem("role", unknown_role)
    opd_code = row.raw.get("opd", "").strip().upper()
    values = {
        "email": normalize_email(row.raw.get("email", "")),
        "role": role or (existing.role if existing is not None else None),
        "opd_code": opd_code or None,
    }
    values |= {name: row.raw[name] for name in ("name", "position") if row.raw.get(name)}
    locale = _word(row, "locale", {"id": "id", "en": "en"}, _l("Unknown language."))
    if locale:
        values["locale"] = locale
    return values


def _user_action(existing: User | None, values: dict) -> str:
    if existing is None:
        return "create"
    opd = existing.opd
    same = (
        existing.role == values["role"]
        and all(getattr(existing, name) == values[name] for name in ("name", "position", "locale") if name in values)
        and (opd.code.upper() if opd else None) == values["opd_code"]
        and existing.government.code.upper() == values["government_code"]
    )
    becomes_head = values["role"] == Role.OPD_HEAD and opd is not None and opd.head_id != existing.id
    return "unchanged" if same and not becomes_head else "update"


def _once(row: OnboardingRow, column: str, key, seen: dict, twice) -> None:
    """Note the row under its key, or a problem when an earlier row has the same key."""
    if key in seen:
        row.problem(column, twice)
    else:
        seen[key] = row


def _word(row: OnboardingRow, column: str, words: dict, unknown):
    """The meaning of a cell written as one of `words` (None when empty); a problem when it is none of them."""
    text = spreadsheets.key(row.raw.get(column))
    if text and text not in words:
        row.problem(column, unknown)
    return words.get(text) if text else None


def _check_email(row: OnboardingRow, email: str) -> None:
    try:
        validate_email(email, check_deliverability=False)
    except EmailNotValidError:
        row.problem("email", _l("%(email)s is not a valid email address.", email=email))


def _action(existing, values: dict) -> str:
    if existing is None:
        return "create"
    same = all(getattr(existing, name) == value for name, value in values.items() if hasattr(existing, name))
    return "unchanged" if same else "update"


# --- the token between preview and confirmation -----------------------------------------------------------


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="onboarding-import")


def seal(actor: Actor, table: list[tuple[int, dict[str, str]]]) -> str:
    """A signed token carrying the file's raw rows, for the admin who previewed them."""
    return _serializer().dumps({"actor": getattr(actor, "id", None), "rows": [[line, raw] for line, raw in table]})


def unseal(actor: Actor, token: str, max_age: int = 3600) -> list[tuple[int, dict[str, str]]]:
    expired = Invalid(_l("The preview has expired or was changed. Upload the file again."))
    try:
        payload = _serializer().loads(token or "", max_age=max_age)
    except BadData:
        raise expired from None
    if not isinstance(payload, dict) or payload.get("actor") != getattr(actor, "id", None):
        raise expired
    return [(line, raw) for line, raw in payload["rows"]]


# --- saving -------------------------------------------------------------------------------------------------


def save(actor: Actor, token: str) -> Result:
    """Save the rows of a preview, checked again: all of them or none. New users get an email with a link to set
    their password (sent after the commit). New things go in with one INSERT per kind, whatever their number."""
    require(actor, Permission.ADMINISTER)
    table = unseal(actor, token)
    known = _Known(table)
    rows = _check(actor, table, known)
    if not all(row.ok for row in rows):
        raise Invalid(_l("The file no longer fits what is in Kawal. Upload it again to see why."))
    saving = _Saving(actor, known)
    saving.governments([r for r in rows if r.kind == GOVERNMENT])
    saving.opds([r for r in rows if r.kind == OPD])
    new_users = saving.users([r for r in rows if r.kind == USER])
    db.session.flush()
    for verb_entity, changes in saving.audits.items():
        audit.record_all(actor, *verb_entity, changes)
    governments.forget()
    db.session.commit()
    if new_users:
        events.send(events.password_link_wanted, user_ids=new_users, actor_id=getattr(actor, "id", None))
    return saving.result


class _Saving:
    """Applies checked rows: creates in bulk, updates the things `_Known` loaded, and gathers the audit rows."""

    def __init__(self, actor: Actor, known: _Known):
        self.actor, self.known, self.result = actor, known, Result()
        self.audits: dict[tuple[str, str], dict[int, dict]] = {}
        self.by_code = dict(known.governments)
        self.opds_by_key = dict(known.opds)

    def _audit(self, verb: str, entity: str, thing_id: int, changes: dict) -> None:
        merged = self.audits.setdefault((verb, entity), {}).setdefault(thing_id, {})
        merged.update(changes)

    def _update(self, entity: str, kind: str, thing, values: dict) -> None:
        changes = audit.diff(thing, values)
        if changes:
            self._audit("update", entity, thing.id, changes)
            self.result.updated[kind] += 1

    def _create(self, entity: str, kind: str, model, new: list[dict], defaults: dict) -> None:
        """One INSERT for every new thing of a kind; the caller loads them back by their keys."""
        if not new:
            return
        rows = [defaults | values for values in new]
        db.session.execute(sa.insert(model), rows)
        self.result.created[kind] += len(rows)

    def _created(self, entity: str, things: list, new: list[dict]) -> None:
        for thing, values in zip(things, new, strict=True):
            self._audit("create", entity, thing.id, audit.created(values))

    def governments(self, rows: list[OnboardingRow]) -> None:
        new = []
        for row in rows:
            values = {k: v for k, v in row.values.items() if k != "parent_code"}
            existing = self.known.governments.get(row.values["code"])
            if existing is None:
                new.append(values)
            else:
                self._update("government", GOVERNMENT, existing, values)
        self._create("government", GOVERNMENT, Government, new, {"parent_id": None})
        if new:
            codes = [values["code"] for values in new]
            loaded = {g.code: g for g in db.session.scalars(sa.select(Government).where(Government.code.in_(codes)))}
            self.by_code.update(loaded)
            self._created("government", [loaded[code] for code in codes], new)
        for row in rows:
            if "parent_code" in row.values:
                government, parent = self.by_code[row.values["code"]], self.by_code[row.values["parent_code"]]
                if government.parent_id != parent.id:
                    self._audit("update", "government", government.id, {"parent_id": [government.parent_id, parent.id]})
                    government.parent_id = parent.id

    def opds(self, rows: list[OnboardingRow]) -> None:
        new = []
        for row in rows:
            government = self.by_code[row.values["government_code"]]
            values = {"government_id": government.id} | {
                k: v for k, v in row.values.items() if k not in ("government_code", "parent_code")
            }
            existing = self.known.opds.get((government.id, row.values["code"]))
            if existing is None:
                new.append(values)
            else:
                self._update("opd", OPD, existing, values)
        self._create("opd", OPD, Opd, new, {"email": None, "kind": OpdKind.DINAS})
        if new:
            ids = {values["government_id"] for values in new}
            loaded = {
                (o.government_id, o.code): o
                for o in db.session.scalars(sa.select(Opd).where(Opd.government_id.in_(ids)))
            }
            self.opds_by_key.update(loaded)
            self._created("opd", [loaded[(v["government_id"], v["code"])] for v in new], new)
        for row in rows:
            if "parent_code" in row.values:
                government_id = self.by_code[row.values["government_code"]].id
                opd = self.opds_by_key[(government_id, row.values["code"])]
                parent = self.opds_by_key[(government_id, row.values["parent_code"])]
                if opd.parent_id != parent.id:
                    self._audit("update", "opd", opd.id, {"parent_id": [opd.parent_id, parent.id]})
                    opd.parent_id = parent.id

    def users(self, rows: list[OnboardingRow]) -> list[int]:
        """Create and update the users, and make each head the head of their OPD; the ids of the new users."""
        new, planned = [], []
        for row in rows:
            government = self.by_code[row.values["government_code"]]
            opd = self.opds_by_key.get((government.id, row.values["opd_code"])) if row.values["opd_code"] else None
            values = {k: v for k, v in row.values.items() if k in ("email", "role", "name", "position", "locale")}
            values |= {"opd_id": opd.id if opd is not None else None, "government_id": government.id}
            existing = self.known.users.get(row.values["email"])
            if existing is None:
                new.append(values)
            else:
                self._update("user", USER, existing, values)
            planned.append((values["email"], opd))
        self._create("user", USER, User, new, {"position": None, "locale": "id", "active": True})
        users = dict(self.known.users)
        if new:
            emails = [values["email"] for values in new]
            users.update({u.email: u for u in db.session.scalars(sa.select(User).where(User.email.in_(emails)))})
            self._created("user", [users[email] for email in emails], new)
        self._heads(users, planned)
        return [users[values["email"]].id for values in new]

    def _heads(self, users: dict[str, User], planned: list) -> None:
        """The file names the heads: each OPD head heads their OPD now; a head who may no longer head an OPD
        (another role, another OPD, or a Plt. no longer heading their own: accounts.services.head_refusal) heads it
        no more. A Plt. post the admin gave, while the person still heads their own OPD, is kept."""
        for email, opd in planned:
            user = users[email]
            if user.role == Role.OPD_HEAD and opd is not None and opd.head_id != user.id:
                self._audit("update", "opd", opd.id, {"head_id": [opd.head_id, user.id]})
                opd.head_id = user.id
        for user in self.known.users.values():
            for opd in self.opds_by_key.values():
                if opd.head_id == user.id and services.head_refusal(user, opd) is not None:
                    self._audit("update", "opd", opd.id, {"head_id": [user.id, None]})
                    opd.head_id = None
