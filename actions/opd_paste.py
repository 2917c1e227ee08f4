"""Supporting OPDs pasted as text: one code or name a line, or rows copied from a spreadsheet, matched against the
OPDs a forum's follow-ups may go to. Reading only; the follow-up form ticks what matched and shows what did not."""

import hashlib
import re
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from accounts import governments, opd_matching
from accounts import services as accounts
from accounts.models import Opd
from core.permissions import Actor, Permission, require
from forum import services as forums
from forum.models import Forum

# Column headers under which a spreadsheet holds the OPD (normalised as by opd_matching.key).
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


def _cells(text: str) -> list[tuple[int, str, str]]:
    """(line number, line, the cell naming the OPD) of each non-empty line: the column headed OPD/Instansi when the
    first row has one (that row then is no OPD), else the first column, skipping a leading "No" column."""
    rows = [(number, line.strip()) for number, line in enumerate(text.splitlines(), 1) if line.strip()]
    column = None
    if rows:
        header = [opd_matching.key(cell) for cell in rows[0][1].split("\t")]
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


def match_pasted_opds(actor: Actor, forum: Forum, text: str | None) -> list[PastedLine]:
    """Each pasted line with the OPD it names among those this forum may give tasks to (as `accounts.opd_matching`
    reads it; a code several of them share is the forum's own government's); a line naming no OPD, several of them,
    or one of a government the forum may not assign to says so."""
    require(actor, Permission.EDIT_FORUMS)
    matcher = opd_matching.OpdMatcher(forums.assignable_opds(forum))
    allowed = forums.assignable_governments(forum)
    everyone = None  # every active OPD, read only when a line names none the forum may give tasks to
    lines = []
    for number, line, cell in _cells(text or ""):
        match = matcher.read(cell).pick(own=forum.government_id)
        shown = line[:200]
        if match.opd is not None:
            opd = match.opd
            label = f"{governments.opd_name(opd.code, opd.government_id, actor)} – {opd.name}"
            lines.append(PastedLine(number, shown, opd=opd, label=label))
            continue
        if match.several:
            names = ", ".join(governments.opd_name(o.code, o.government_id, actor) for o in match.several)
            problem = _l("This names several OPDs (%(opds)s): add the government's name.", opds=names)
        else:
            everyone = everyone or opd_matching.OpdMatcher(accounts.active_opds())
            outside = [opd for opd in everyone.read(cell).opds if opd.government_id not in allowed]
            if outside:
                name = governments.opd_name(outside[0].code, outside[0].government_id, actor)
                problem = _l("%(code)s belongs to a government this forum cannot give tasks to.", code=name)
            else:
                problem = _l("No OPD of this forum's reach has this code or name.")
        lines.append(PastedLine(number, shown, problem=str(problem)))
    return lines
