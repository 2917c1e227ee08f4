"""Reading a decree's team from rows pasted from a spreadsheet (name, OPD, position, team role), with what each
row's OPD and role are and what cannot be matched. Nothing here writes: `decrees.add_decree_members` saves the
rows, all or none, after checking them again."""

import re
from dataclasses import dataclass, field

import sqlalchemy as sa
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l

from accounts import governments
from accounts.models import Opd
from accounts.opd_matching import OpdMatcher
from actions.models import TEAM_ROLE_LABELS, DecreeMember, TeamRole
from core.db import max_length
from core.errors import Invalid
from core.extensions import db
from core.paste import split_rows
from forum import services as forums
from forum.models import Forum

# A decree's team is a few dozen people; a paste longer than this is refused with a message.
MAX_MEMBER_ROWS = 200
COLUMNS = ("name", "opd", "position", "team_role")
# Header spellings, normalised by _key(), in Indonesian and English; "No" columns are read and left out.
HEADERS = {
    "name": {"nama", "name", "nama lengkap", "nama anggota", "full name"},
    "opd": {
        "opd",
        "instansi",
        "opd/instansi",
        "instansi/opd",
        "kode opd",
        "opd code",
        "unit kerja",
        "perangkat daerah",
        "asal instansi",
        "institution",
        "agency",
    },
    "position": {"jabatan", "position", "jabatan dinas", "job title", "title"},
    "team_role": {
        "peran",
        "kedudukan",
        "kedudukan dalam tim",
        "peran dalam tim",
        "jabatan dalam tim",
        "keanggotaan",
        "role",
        "team role",
        "role in the team",
        "position in the team",
    },
    "number": {"no", "nomor", "number", "#"},
}
LIMITS = {"name": max_length(DecreeMember.name), "position": max_length(DecreeMember.position)}


@dataclass
class MemberRow:
    """One pasted row: the member it would add, and what is wrong with it."""

    line: int
    name: str
    opd_text: str
    position: str
    role_text: str
    opd: Opd | None = None
    team_role: TeamRole | None = None
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def _key(text: str) -> str:
    text = re.sub(r"[\s_]+", " ", text or "").strip().lower().rstrip(".:")
    return re.sub(r"\s*/\s*", "/", text)


def check_rows(forum: Forum, text: str, members=()) -> list[MemberRow]:
    """The pasted rows as members of a decree of this forum's follow-up; Invalid when there are none or too many.
    An OPD is looked for among the active OPDs of the forum's governments (its owner, those under it, those that
    attended), by code or full name; a role by its code or its label in either language. A row naming one of
    the team's `members` (same name and OPD), or a person a row above names, says so: a decree names each once."""
    rows = split_rows(text)
    columns, rows = _columns(rows)
    if not rows:
        raise Invalid(_l("No rows were found in the text."), field="text")
    if len(rows) > MAX_MEMBER_ROWS:
        raise Invalid(
            _l(
                "The text holds %(found)d rows; at most %(n)d can be added at once.", found=len(rows), n=MAX_MEMBER_ROWS
            ),
            field="text",
        )
    opds = _Opds(forum)
    roles = _role_words()
    checked = [
        _check(line, {name: cells[i] if i < len(cells) else "" for name, i in columns.items()}, opds, roles)
        for line, cells in rows
    ]
    _flag_repeated(checked, members)
    return checked


def _person(name: str, opd_id: int | None) -> tuple[str, int | None]:
    """Who a member is: the name, case, spaces and punctuation aside, and the OPD."""
    return "".join(re.findall(r"[^\W_]+", (name or "").lower())), opd_id


def _flag_repeated(rows: list[MemberRow], members) -> None:
    team = {_person(member.name, member.opd_id) for member in members}
    above: dict[tuple, int] = {}
    for row in rows:
        person = _person(row.name, row.opd.id if row.opd else None)
        if not person[0]:
            continue
        if person in team:
            row.problems.append(str(_l("%(name)s is already on the team.", name=row.name)))
        elif person in above:
            row.problems.append(str(_l("%(name)s is already on line %(line)d.", name=row.name, line=above[person])))
        else:
            above[person] = row.line


def _columns(rows: list[tuple[int, list[str]]]) -> tuple[dict[str, int], list[tuple[int, list[str]]]]:
    """Which cell holds which column, from a header row when the first row is one, else in the order name, OPD,
    position, team role (after a leading column of row numbers); and the data rows."""
    if rows:
        found = {}
        for index, cell in enumerate(rows[0][1]):
            name = next((column for column, words in HEADERS.items() if _key(cell) in words), None)
            if name and name not in found:
                found[name] = index
        # A header written with more words ("NAMA/NIP", "Unsur / Instansi") is the one column it holds a
        # spelling of, as whole words.
        for index, cell in enumerate(rows[0][1]):
            held = [column for column, words in HEADERS.items() if any(_words(word) in _words(cell) for word in words)]
            if index not in found.values() and len(held) == 1 and held[0] not in found:
                found[held[0]] = index
        if "name" in found or len(found) >= 2:
            found.pop("number", None)
            return found, rows[1:]
    numbered = len(rows) > 0 and all(len(cells) > 1 and re.fullmatch(r"\d{1,4}[.)]?", cells[0]) for _, cells in rows)
    offset = 1 if numbered else 0
    return {name: index + offset for index, name in enumerate(COLUMNS)}, rows


def _words(text: str) -> str:
    """The text's words, lower-case, between spaces: " nama nip "."""
    return " " + " ".join(re.findall(r"[^\W_]+", (text or "").lower())) + " "


def _check(line: int, raw: dict[str, str], opds: "_Opds", roles: dict[str, TeamRole]) -> MemberRow:
    row = MemberRow(
        line=line,
        name=raw.get("name", ""),
        opd_text=raw.get("opd", ""),
        position=raw.get("position", ""),
        role_text=raw.get("team_role", ""),
    )
    if not row.name:
        row.problems.append(str(_l("The name is missing.")))
    for name, limit in LIMITS.items():
        if len(getattr(row, name)) > limit:
            row.problems.append(
                str(_l("%(value)s… is longer than %(n)d characters.", value=getattr(row, name)[:30], n=limit))
            )
    if row.opd_text:
        row.opd, problem = opds.find(row.opd_text)
        if problem:
            row.problems.append(problem)
    if not row.role_text:
        row.team_role = TeamRole.ANGGOTA
    else:
        row.team_role = roles.get(_word(row.role_text))
        if row.team_role is None:
            row.problems.append(
                str(
                    _l(
                        "Unknown team role %(value)s: use one of %(roles)s.",
                        value=row.role_text,
                        roles=", ".join(str(label) for label in TEAM_ROLE_LABELS.values()),
                    )
                )
            )
    return row


def _word(text: str) -> str:
    """A role as compared: letters only, without "tim"/"team" ("Ketua Tim", "penanggungjawab")."""
    text = re.sub(r"\b(tim|team)\b", " ", text.lower())
    return re.sub(r"[^a-z]", "", text)


def _role_words() -> dict[str, TeamRole]:
    """Every spelling of a team role: its code, and its label in Indonesian and English, whole or in parts
    ("Steering (pengarah)" gives "steering" and "pengarah")."""
    words = {}
    for role, label in TEAM_ROLE_LABELS.items():
        spellings = {role.value}
        for locale in ("id", "en"):
            with force_locale(locale):
                text = str(label)
            spellings |= {text, *re.split(r"[()/,]", text)}
        words |= {_word(spelling): role for spelling in spellings if _word(spelling)}
    return words


class _Opds:
    """The OPDs a forum's decree may name: active, of the forum's governments, read by `accounts.opd_matching`
    ("DINKES", "Dinas Kesehatan", "DINKES – Dinas Kesehatan", "DINKES · Kab. Serang", "Dinkes Kabupaten Serang");
    a code several of them share is the forum's own government's."""

    def __init__(self, forum: Forum):
        allowed = sorted(forums.forum_governments(forum))
        self.owner = forum.government_id
        self.matcher = OpdMatcher(db.session.scalars(sa.select(Opd).where(Opd.active, Opd.government_id.in_(allowed))))

    def find(self, text: str) -> tuple[Opd | None, str | None]:
        """The OPD the text names, or a problem saying why none."""
        match = self.matcher.read(text).pick(own=self.owner)
        if match.several:
            names = ", ".join(sorted({governments.short_name(opd.government_id) for opd in match.several}))
            return None, str(
                _l(
                    '%(value)s is an OPD of several governments (%(governments)s): write it as "%(value)s · %(example)s".',
                    value=text,
                    governments=names,
                    example=names.split(", ")[0],
                )
            )
        if match.opd is None:
            return None, str(_l("No OPD %(value)s among the governments of this forum.", value=text))
        return match.opd, None
