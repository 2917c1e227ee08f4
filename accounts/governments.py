"""The governments of this Kawal and their tree: who is below whom, and how far a user's sight reaches.

The rules themselves (`core.permissions.sees`, `works_for`) know nothing of the tree; this module gives them the sets.
The tree is small (a ministry with every province and kabupaten/kota is some 550 rows): each web worker keeps it
while the data stays as it is.
"""

from collections import defaultdict
from dataclasses import dataclass

import sqlalchemy as sa
from flask import current_app, g, has_app_context, has_request_context

from accounts.models import Government, GovernmentKind, Opd
from core import data_version
from core.extensions import db
from core.permissions import Actor, Reach, sees

_CACHE = "kawal_governments"
_CHANGED = "kawal_governments_changed"


@dataclass(frozen=True, slots=True)
class Node:
    """What pages and rules need of a government, without holding an ORM object across a request."""

    id: int
    code: str
    name: str
    short_name: str
    kind: GovernmentKind
    parent_id: int | None
    time_zone: str
    active: bool


def short_name_of(name: str) -> str:
    """ "Pemerintah Kabupaten Serang" → "Kab. Serang": the form shown beside an OPD of another government."""
    words = name.strip().split()
    if words and words[0].lower() == "pemerintah":
        words = words[1:]
    short = {"kabupaten": "Kab.", "provinsi": "Prov.", "kota": "Kota"}
    if words and words[0].lower() in short:
        words = [short[words[0].lower()], *words[1:]]
    return " ".join(words) or name.strip()


def kind_of(name: str) -> GovernmentKind:
    """The kind a government's name says, for the one made from `KAWAL_PEMDA_NAME`."""
    lowered = name.lower()
    for word, kind in (
        ("kabupaten", GovernmentKind.KABUPATEN),
        ("provinsi", GovernmentKind.PROVINSI),
        ("kota", GovernmentKind.KOTA),
    ):
        if word in lowered.split():
            return kind
    return GovernmentKind.KEMENTERIAN_LEMBAGA if lowered.startswith("kementerian") else GovernmentKind.KOTA


def default_government() -> Government:
    """The first government; on a database with none yet (a new test database), the one the settings describe."""
    government = db.session.scalar(sa.select(Government).order_by(Government.id).limit(1))
    if government is None:
        name = current_app.config["KAWAL_PEMDA_NAME"]
        government = Government(
            code="PEMDA",
            name=name,
            short_name=short_name_of(name),
            kind=kind_of(name),
            time_zone=current_app.config["KAWAL_TIMEZONE"],
        )
        db.session.add(government)
        db.session.flush()
        forget()
    return government


def default_government_id() -> int:
    nodes = tree()
    return min(nodes) if nodes else default_government().id


def acting_government_id(actor: Actor | None) -> int:
    """The government an actor works in; the system (commands, seeding) works in the first one."""
    government_id = getattr(actor, "government_id", None)
    return government_id if government_id is not None else default_government_id()


def tree() -> dict[int, Node]:
    """Every government by id, once per request (or app context): in a request, the web worker's copy while the
    data stays as it is (a government's change is a write, which moves the data version on), unless this request
    changed one. Shared by the worker's threads: read it, never change it."""
    if has_app_context() and _CACHE in g:
        return g.get(_CACHE)
    if has_request_context() and _CHANGED not in g:
        nodes = data_version.cached("governments", None, _read_tree)
    else:
        nodes = _read_tree()
    if has_app_context():
        setattr(g, _CACHE, nodes)
    return nodes


def _read_tree() -> dict[int, Node]:
    columns = [getattr(Government, name) for name in Node.__slots__]
    return {row.id: Node(*row) for row in db.session.execute(sa.select(*columns))}


def forget() -> None:
    """Drop the request's copy of the tree, after a government was added or changed: the rest of the request reads
    the tree from the database, since the worker's copy is of the version before this request's write."""
    if has_app_context():
        g.pop(_CACHE, None)
        setattr(g, _CHANGED, True)


def node(government_id: int | None) -> Node | None:
    return tree().get(government_id) if government_id is not None else None


def below(government_id: int) -> frozenset[int]:
    """The government and every one under it, at any depth."""
    children: dict[int | None, list[int]] = {}
    for each in tree().values():
        children.setdefault(each.parent_id, []).append(each.id)
    found, todo = set(), [government_id]
    while todo:
        current = todo.pop()
        if current not in found:
            found.add(current)
            todo.extend(children.get(current, ()))
    return frozenset(found)


def above(government_id: int) -> list[int]:
    """The chain of parents of a government, nearest first (itself excluded)."""
    nodes, chain, current = tree(), [], node(government_id)
    while current is not None and current.parent_id is not None and current.parent_id not in chain:
        chain.append(current.parent_id)
        current = nodes.get(current.parent_id)
    return chain


def reach(actor: Actor | None) -> Reach:
    """The governments whose work the actor sees in full: its own and those below; None is every one."""
    if actor is None or getattr(actor, "manages_instance", False):
        return None if actor is not None else frozenset()
    government_id = getattr(actor, "government_id", None)
    return below(government_id) if government_id is not None else frozenset()


def opds_of(government_ids) -> sa.Select:
    """The ids of the OPDs of these governments: the one way a query narrows to some governments' OPDs (a report's
    "government" filter, the roll-up's drill-down), within what the actor's reach already allows."""
    return sa.select(Opd.id).where(Opd.government_id.in_(sorted(government_ids)))


def several() -> bool:
    """Whether this Kawal holds more than one government: only then do pages show pickers and columns for it."""
    return len(tree()) > 1


def opd_name(code: str, government_id: int | None, viewer: Actor | None) -> str:
    """An OPD's code as a viewer reads it: "DINKES", or "DINKES · Kab. Serang" when the OPD is of another
    government than the viewer's. With one government it is always the bare code."""
    return f"{code}{other_government(government_id, viewer)}"


def other_government(government_id: int | None, viewer: Actor | None) -> str:
    """ " · Kab. Serang" after a name of another government than the viewer's; "" for its own, or with one."""
    if government_id is None or government_id == getattr(viewer, "government_id", None) or not several():
        return ""
    return f" · {short_name(government_id)}"


def short_name(government_id: int | None) -> str:
    found = node(government_id)
    return found.short_name if found else ""


def government_choices(actor: Actor) -> list[tuple[int, str]]:
    """The governments a filter offers (reports, the follow-ups list): the actor's reach in the tree's order, indented by depth; none
    when the actor sees one government's work only (or this Kawal holds one)."""
    if not several():
        return []
    choices = [(node.id, "\u2003" * depth + node.short_name) for node, depth in in_tree_order(actor)]
    return choices if len(choices) > 1 else []


def in_tree_order(actor: Actor) -> list[tuple[Node, int]]:
    """The governments of the actor's reach, depth first from its own (from every root for the instance admin),
    with their depth; siblings by short name."""
    nodes = tree()
    seen_reach = reach(actor)
    children: dict[int | None, list[Node]] = defaultdict(list)
    for each in sorted(nodes.values(), key=lambda n: (n.short_name, n.id)):
        children[each.parent_id if each.parent_id in nodes else None].append(each)
    if seen_reach is None:
        todo = [(root, 0) for root in reversed(children[None])]
    else:
        own = nodes.get(getattr(actor, "government_id", None))
        todo = [(own, 0)] if own is not None else []
    ordered, seen = [], set()
    while todo:
        current, depth = todo.pop()
        if current.id in seen or not sees(seen_reach, current.id):
            continue
        seen.add(current.id)
        ordered.append((current, depth))
        todo.extend((child, depth + 1) for child in reversed(children[current.id]))
    return ordered


@dataclass(frozen=True, slots=True)
class DocumentNames:
    """What a government's documents print besides the letterhead: "Tangerang, 16 Desember 2025", the head a
    report goes to ("Wali Kota Tangerang"), the secretariat it comes from, and who signs "Mengetahui"."""

    place: str
    head_title: str
    secretariat: str
    signer_title: str
    signer_name: str | None
    signer_nip: str | None


# The head of each kind of government, as Indonesian letters address them.
HEAD_TITLES = {
    GovernmentKind.KOTA: "Wali Kota",
    GovernmentKind.KABUPATEN: "Bupati",
    GovernmentKind.PROVINSI: "Gubernur",
    GovernmentKind.KEMENTERIAN_LEMBAGA: "Menteri",
}


def document_names(government: Government) -> DocumentNames:
    """The government's own settings, each empty one made from its kind and name: "Pemerintah Kota Tangerang"
    gives Tangerang, Wali Kota Tangerang, Bappeda Kota Tangerang and Kepala Bappeda Kota Tangerang."""
    area = area_name(government.name)  # "Kota Tangerang", "Kementerian Kesehatan"
    words = area.split()
    regional = government.kind != GovernmentKind.KEMENTERIAN_LEMBAGA
    place = " ".join(words[1:]) if regional and len(words) > 1 else area
    if regional:
        head, secretariat, signer = f"{HEAD_TITLES[government.kind]} {place}", f"Bappeda {area}", "Kepala Bappeda"
    else:
        ministry = " ".join(words[1:]) if words and words[0].lower() == "kementerian" else area
        head, secretariat, signer = f"Menteri {ministry}", f"Biro Perencanaan {area}", "Kepala Biro Perencanaan"
    return DocumentNames(
        place=government.place_name or (place if regional else "Jakarta"),
        head_title=government.head_title or head,
        secretariat=government.secretariat_name or secretariat,
        signer_title=government.signer_title or (f"{signer} {area}" if regional else signer),
        signer_name=government.signer_name,
        signer_nip=government.signer_nip,
    )


def area_name(government_name: str) -> str:
    """ "Pemerintah Provinsi Banten" → "Provinsi Banten": what follows an OPD's name in a document."""
    words = government_name.strip().split()
    return " ".join(words[1:] if words and words[0].lower() == "pemerintah" and len(words) > 1 else words)
