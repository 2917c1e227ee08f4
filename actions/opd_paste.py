"""Supporting OPDs pasted as text: one code or name a line, or rows copied from a spreadsheet, matched against the
OPDs a forum's follow-ups may go to. Reading only; the follow-up form ticks what matched and shows what did not."""

import hashlib
import re
from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from accounts import governments
from accounts.models import Opd
from core.extensions import db
from core.permissions import Actor, Permission, require
from forum import services as forums
from forum.models import Forum

# Column headers under which a spreadsheet holds the OPD (normalised as by _key).
HEADERS = frozenset(
    {
        "opd",
        "kodeopd",
        "namaopd",
        "instansi",
        "namainstansi",
        "asalinstansi",
        "instansiunitkerja",
        "unitkerja",
        "perangkatdaerah",
        "skpd",
        "agency",
    }
)
MAX_LINES = 500  # a government's OPDs, with room; the form refuses more
NUMBERING = re.compile(r"^\s*(?:\d+[.)]|[a-zA-Z][.)]|[•\-–*])\s+")
PARTS = re.compile(r"\s[–—-]\s")  # "DINKES – Dinas Kesehatan", as Kawal's own lists write an OPD


@dataclass(frozen=True)
class PastedLine:
    """One pasted line: the OPD it names, or why it names none the forum may give tasks to."""

    number: int
    text: str
    opd: Opd | None = None
    label: str | None = None
    problem: str | None = None


def digest(text: str | None) -> str:
    """A short fingerprint of pasted text, so that the form knows the user has already seen its check."""
    normal = "\n".join(line.rstrip() for line in (text or "").splitlines()).strip()
    return hashlib.sha256(normal.encode()).hexdigest()[:20]


def _key(text: str) -> str:
    """ "Dinas Kesehatan", "DINAS  KESEHATAN." and "dinas-kesehatan" read alike."""
    return re.sub(r"[^0-9a-z]", "", text.casefold())


def _cells(text: str) -> list[tuple[int, str, str]]:
    """(line number, line, the cell naming the OPD) of each non-empty line: the column headed OPD/Instansi when the
    first row has one (that row then is no OPD), else the first column, skipping a leading "No" column."""
    rows = [(number, line.strip()) for number, line in enumerate(text.splitlines(), 1) if line.strip()]
    column = None
    if rows:
        header = [_key(cell) for cell in rows[0][1].split("\t")]
        column = next((i for i, cell in enumerate(header) if cell in HEADERS), None)
        if column is not None:
            rows = rows[1:]
    found = []
    for number, line in rows:
        cells = [cell.strip() for cell in line.split("\t")]
        if column is not None:
            cell = cells[column] if column < len(cells) else ""
        else:
            filled = [cell for cell in cells if cell]
            cell = filled[1] if len(filled) > 1 and filled[0].rstrip(".").isdigit() else filled[0]
        cell = NUMBERING.sub("", cell).strip()
        if cell:  # a row with nothing under the OPD header names no OPD, and is no mistake either
            found.append((number, line, cell))
    return found


def _keys(opd: Opd) -> set[str]:
    """What a line may say to name this OPD: its code or name, alone or followed by its government's name."""
    node = governments.node(opd.government_id)
    suffixes = [""]
    if node is not None:
        suffixes += [_key(node.short_name), _key(node.name), _key(node.name.removeprefix("Pemerintah "))]
    return {_key(base) + suffix for base in (opd.code, opd.name) for suffix in suffixes}


def match_pasted_opds(actor: Actor, forum: Forum, text: str | None) -> list[PastedLine]:
    """Each pasted line with the OPD it names among those this forum may give tasks to; a line naming no OPD,
    several of them, or one of a government the forum may not assign to says so."""
    require(actor, Permission.EDIT_FORUMS)
    by_key: dict[str, list[Opd]] = {}
    for opd in forums.assignable_opds(forum):
        for key in _keys(opd):
            by_key.setdefault(key, []).append(opd)
    lines, unmatched = [], []
    for number, line, cell in _cells(text or ""):
        candidates = [cell, *PARTS.split(cell)]
        found = next((by_key[_key(c)] for c in candidates if _key(c) in by_key), [])
        if len(found) > 1:  # the same code in several governments: the forum's own, unless the line says which
            found = [opd for opd in found if opd.government_id == forum.government_id] or found
        shown = line[:200]
        if len(found) == 1:
            opd = found[0]
            label = f"{governments.opd_name(opd.code, opd.government_id, actor)} – {opd.name}"
            lines.append(PastedLine(number, shown, opd=opd, label=label))
        elif found:
            names = ", ".join(governments.opd_name(o.code, o.government_id, actor) for o in found)
            problem = _l("This names several OPDs (%(opds)s): add the government's name.", opds=names)
            lines.append(PastedLine(number, shown, problem=str(problem)))
        else:
            lines.append(
                PastedLine(number, shown, problem=str(_l("No OPD of this forum's reach has this code or name.")))
            )
            unmatched.append((len(lines) - 1, [c.strip().lower() for c in candidates if c.strip()]))
    _flag_outside(actor, forum, lines, unmatched)
    return lines


def _flag_outside(actor: Actor, forum: Forum, lines: list[PastedLine], unmatched) -> None:
    """Say so where an unmatched line names an OPD of a government the forum may not give tasks to."""
    wanted = {name for _, names in unmatched for name in names}
    if not wanted:
        return
    allowed = sorted(forums.assignable_governments(forum))
    query = sa.select(Opd).where(
        Opd.active,
        Opd.government_id.not_in(allowed),
        sa.or_(sa.func.lower(Opd.code).in_(sorted(wanted)), sa.func.lower(Opd.name).in_(sorted(wanted))),
    )
    outside = {}
    for opd in db.session.scalars(query.order_by(Opd.government_id, Opd.code)):
        outside.setdefault(opd.code.lower(), opd)
        outside.setdefault(opd.name.lower(), opd)
    for index, names in unmatched:
        opd = next((outside[name] for name in names if name in outside), None)
        if opd is not None:
            name = governments.opd_name(opd.code, opd.government_id, actor)
            problem = _l("%(code)s belongs to a government this forum cannot give tasks to.", code=name)
            lines[index] = PastedLine(lines[index].number, lines[index].text, problem=str(problem))
