"""Which OPD a text names, read as people write an institution on an attendance list, a pasted list or a decree's
team: "DINKES", "Dinas Kesehatan", "DINKES – Dinas Kesehatan", "Dinkes Kota Tangerang", "Dinas Kesehatan (Kab.
Serang)", "Kab. Serang / Bappeda", "DINKES · KAB-SERANG". Case, spaces and punctuation do not matter.

The one matcher of the attendance import, the supporting OPDs pasted into the follow-up form and the decree's team
(each caller says which OPDs are candidates and what it flags). Reading only: nothing here writes.
"""

import re
from collections.abc import Iterable
from dataclasses import dataclass

from accounts import governments
from accounts.models import Opd

# Longer texts name no OPD; the bound keeps the reading of hostile input short.
MAX_WORDS = 24
# How people write a government's kind before its place ("Kabupaten Serang", "Kab Serang", "Pemkab Serang"):
# any spelling of a group stands for the others.
KIND_SPELLINGS = (
    ("kabupaten", "kab", "pemkab"),
    ("provinsi", "prov", "propinsi", "pemprov"),
    ("kota", "pemkot"),
)
_SPELLING_GROUP = {spelling: group for group in KIND_SPELLINGS for spelling in group}


def words(text) -> list[str]:
    """The text's words, in lower case, without spaces and punctuation."""
    return re.findall(r"[^\W_]+", str(text or "").casefold())


def key(text) -> str:
    """ "Dinas Kesehatan", "DINAS  KESEHATAN." and "dinas-kesehatan" read alike."""
    return "".join(words(text))


def short_forms(name: str) -> set[str]:
    """Short forms people make from an OPD's name, where a rule makes them: "Dinas Kesehatan" → "dinkes" (Dinas and
    one word), "Rumah Sakit Umum Daerah" → "rsud" (the initials of three words or more, without "dan")."""
    found = set()
    parts = [word for word in words(name) if word != "dan"]
    if len(parts) == 2 and parts[0] == "dinas":
        found.add("din" + parts[1][:3])
    if len(parts) >= 3:
        found.add("".join(word[0] for word in parts))
    return found


def government_spellings(node: governments.Node) -> set[str]:
    """How a text may name a government: its code, name, short name, the name without "Pemerintah", and that name
    with its kind written any usual way ("Kabupaten Serang", "Kab. Serang", "Kab Serang", "Pemkab Serang")."""
    spellings = {key(node.code), key(node.name), key(node.short_name)}
    name = words(node.name)
    if name[:1] == ["pemerintah"]:
        name = name[1:]
    spellings.add("".join(name))
    if name and name[0] in _SPELLING_GROUP and len(name) > 1:
        spellings |= {kind + "".join(name[1:]) for kind in _SPELLING_GROUP[name[0]]}
    return spellings - {""}


@dataclass(frozen=True)
class Match:
    """What a text names among the candidates: one OPD, several (ambiguous), or none; `outside` are the OPDs it
    names that are not among the candidates (when none is)."""

    opd: Opd | None = None
    several: tuple[Opd, ...] = ()
    outside: tuple[Opd, ...] = ()


@dataclass(frozen=True)
class Reading:
    """Every OPD a text may name, and the government it names, if it names one."""

    opds: tuple[Opd, ...] = ()
    government_id: int | None = None

    def pick(self, within: frozenset[int] | None = None, own: int | None = None) -> Match:
        """The OPD among those of the governments `within` (all when None); when several and the text names no
        government, the one of the government `own` (the forum's) if it has one."""
        inside = [opd for opd in self.opds if within is None or opd.government_id in within]
        if len(inside) > 1 and own is not None:
            inside = [opd for opd in inside if opd.government_id == own] or inside
        if len(inside) == 1:
            return Match(opd=inside[0])
        if inside:
            return Match(several=tuple(sorted(inside, key=lambda opd: (opd.government_id, opd.code))))
        return Match(outside=self.opds)


class OpdMatcher:
    """The OPDs given, found by what a text says of them, with the governments of this Kawal."""

    def __init__(self, opds: Iterable[Opd]):
        self._governments: dict[str, int | None] = {}
        for node in governments.tree().values():
            for spelling in government_spellings(node):
                known = self._governments.setdefault(spelling, node.id)
                if known != node.id:
                    self._governments[spelling] = None  # a spelling two governments share names neither
        own_spellings = {node.id: government_spellings(node) for node in governments.tree().values()}
        self._opds: dict[str, list[Opd]] = {}
        for opd in opds:
            spellings = {
                key(opd.code),
                key(opd.name),
                *_without_government(opd.name, own_spellings.get(opd.government_id)),
            }
            for spelling in spellings - {""}:
                self._opds.setdefault(spelling, []).append(opd)
        shorts: dict[str, list[Opd]] = {}
        for same in list(self._opds.values()):
            for opd in same:
                for short in short_forms(opd.name) - self._opds.keys() - self._governments.keys():
                    if opd not in shorts.setdefault(short, []):
                        shorts[short].append(opd)
        # A short form two different names share says neither.
        self._opds |= {short: found for short, found in shorts.items() if len({key(o.name) for o in found}) == 1}

    def government(self, text) -> int | None:
        """The government a text (a government column) names, or None."""
        return self._governments.get(key(text))

    def read(self, text, government: str = "") -> Reading:
        """The OPDs the text names: itself an OPD's code or name, or that with its government before or after it,
        or a code and a name of the same OPD. With `government` (a column of its own), that government's OPDs
        only; a government that is not one of this Kawal's names none."""
        column = None
        if government and government.strip():
            column = self.government(government)
            if column is None:
                return Reading()
        readings = self._readings(words(text))
        if column is not None:
            readings = [(opds, named) for opds, named in readings if named in (None, column)]
            return Reading(tuple(o for o in _union(opds for opds, _ in readings) if o.government_id == column), column)
        named = [(opds, government_id) for opds, government_id in readings if government_id is not None]
        if named:
            return Reading(_union(opds for opds, _ in named), named[0][1])
        return Reading(_union(opds for opds, _ in readings))

    def _readings(self, text: list[str]) -> list[tuple[list[Opd], int | None]]:
        """(OPDs, government named) for each way the words split into an OPD and at most one government: the text
        as a whole first, for an OPD whose name holds a government's."""
        whole = self._opds.get("".join(text))
        if whole or not text or len(text) > MAX_WORDS:
            return [(whole, None)] if whole else []
        found, seen = [], set()
        for i in range(1, len(text)):
            for j in range(i, len(text) + 1):
                parts = tuple(p for p in ("".join(text[:i]), "".join(text[i:j]), "".join(text[j:])) if p)
                if parts not in seen:
                    seen.add(parts)
                    found.extend(self._assign(parts))
        return found

    def _assign(self, parts: tuple[str, ...]):
        """The readings of these parts with one of them (or none) the government and the others the same OPD. A
        government named with an OPD it does not have reads as no OPD."""
        for index in (None, *range(len(parts))):
            government_id = None if index is None else self._governments.get(parts[index])
            if index is not None and government_id is None:
                continue
            named = [self._opds.get(part) for i, part in enumerate(parts) if i != index]
            if not named or not all(named):
                continue
            common = [opd for opd in named[0] if all(opd in other for other in named[1:])]
            yield [opd for opd in common if government_id in (None, opd.government_id)], government_id


def _union(groups: Iterable[list[Opd]]) -> tuple[Opd, ...]:
    found: dict[int, Opd] = {}
    for group in groups:
        for opd in group:
            found.setdefault(opd.id, opd)
    return tuple(found.values())


def _without_government(name: str, spellings: set[str] | None) -> set[str]:
    """An OPD's name without its own government at its end ("Dinas Kesehatan Kabupaten Serang" → "dinaskesehatan"),
    as people write it beside the government in any spelling ("Dinas Kesehatan (Kab. Serang)") or alone."""
    parts = words(name)
    return {"".join(parts[:cut]) for cut in range(1, len(parts)) if "".join(parts[cut:]) in (spellings or ())}
