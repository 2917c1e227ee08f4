"""Build a province-sized data set, reproducibly from a seed: a province with 34 kabupaten/kota under it (35
governments), 500 OPDs spread over them, 2,000 users, 5,000 forums with participants, 20,000 recommendations and
100,000 assignments with history, progress and realistic statuses.

Government 1 is the province (the migration's first government); 2 to 35 are its kabupaten/kota. OPD i belongs to
government i mod 35 + 1, so OPD 1, whose head has the 300 tasks measured, is of Kabupaten 2. A kabupaten's forums
mostly gather its own OPDs, with some guests from its siblings; the province's gather OPDs of every government and
fan their follow-ups out across the tree. Follow-ups go only where the rules allow: to OPDs of the forum's
government and of those below it.

    python -m bench.generate --database-url postgresql://postgres@127.0.0.1:5432/bench [--scale 1.0] [--seed 7]

At --scale 10 (or with --national at any scale) the tree is a country's instead: 1,000,000 assignments over 552
governments, 38 provinces with 514 kabupaten/kota under them, followed by the instance admin as the ministry.
Government 1 is still a province, with Kabupaten 2 to 35 under it as at scale 1, so the measured accounts keep
their meaning; the other 480 kabupaten/kota (36 to 515) are spread over the other 37 provinces (516 to 552). A
province's forums gather and assign only within its own subtree; a kabupaten's guests come from its province's.

The database is emptied first. Rows go in with bulk INSERTs (SQLAlchemy Core), not through the services: the
services' rules are tested elsewhere; here we want volume, fast. Rows are written in chunks as they are made, so
memory stays flat at any scale.
"""

import argparse
import random
import time
from datetime import timedelta

import sqlalchemy as sa
from werkzeug.security import generate_password_hash

from accounts.models import Government, Opd, User
from actions.models import Action, Assignment, AssignmentEvent, ProgressReport, Status
from core import clock
from core.extensions import db
from forum.models import Forum, Participant, Recommendation, Series

# One OPD of the benchmark has this many assignments: the "my tasks" page of its head is measured.
HEAVY_OPD_ASSIGNMENTS = 300
CHILD_GOVERNMENTS = 34  # the kabupaten/kota under the province (fewer at a scale too small to give each two OPDs)
PROVINCE = 1
KABUPATEN = 2  # the kabupaten whose secretariat and OPD head the pages are measured for
# The national shape (--national, or --scale 10 and above): Indonesia's 38 provinces and 514 kabupaten/kota.
NATIONAL_PROVINCES, NATIONAL_KABUPATEN = 38, 514
NATIONAL_FROM_SCALE = 10
# The accounts bench.run and bench.load measure with, after the generated users: (email, role, government).
MEASURED = {
    "province": ("sekretariat.provinsi@bench.example", "secretariat", PROVINCE),
    "kabupaten": ("sekretariat.kabupaten@bench.example", "secretariat", KABUPATEN),
}
STATUS_MIX = [
    (Status.ASSIGNED, 12),
    (Status.ACKNOWLEDGED, 14),
    (Status.IN_PROGRESS, 26),
    (Status.SUBMITTED, 6),
    (Status.RETURNED, 3),
    (Status.DONE, 33),
    (Status.CANNOT_FOLLOW_UP, 2),
    (Status.CANCELLED, 4),
]


class _Rows:
    """Rows waiting to be written, table by table in the order of their foreign keys: whenever one table has a
    chunk's worth, every table's pending rows go in, parents first. Each row of a table has the same keys."""

    def __init__(self, *models, size: int = 5000):
        self.size = size
        self.pending = {model: [] for model in models}
        self.written = dict.fromkeys(models, 0)

    def add(self, model, row: dict) -> None:
        self.pending[model].append(row)
        self.written[model] += 1
        if len(self.pending[model]) >= self.size:
            self.flush()

    def flush(self) -> None:
        for model, rows in self.pending.items():
            if rows:
                # Core's INSERT, not the ORM's: the ORM leaves out a row's None values and so splits the batch.
                db.session.execute(sa.insert(model.__table__), rows)
                rows.clear()


def _insert(model, rows):
    """A few rows whose keys may differ (the ORM's INSERT fills in the defaults of those left out)."""
    for start in range(0, len(rows), 5000):
        db.session.execute(sa.insert(model), rows[start : start + 5000])


def _government_of(opd_id: int, n_governments: int) -> int:
    return opd_id % n_governments + 1


def _lead_and_support(rng, heavy: bool, pool: list[int]) -> list[tuple[str, int]]:
    """The OPDs of one follow-up, from those its forum may assign to: a lead and the next one as support. The heavy
    OPD leads the first 300 follow-ups; a government with a single OPD gives no support."""
    position = rng.randrange(len(pool))
    lead = 1 if heavy else pool[position]
    support = pool[position if heavy else (position + 1) % len(pool)]
    return [("lead", lead)] + ([("support", support)] if support != lead else [])


class Tree:
    """The governments: the provinces, the kabupaten/kota and the province each belongs to, and the OPDs of each."""

    def __init__(self, provinces: list[int], parent_of: dict[int, int], opds_of: dict[int, list[int]]):
        self.provinces = provinces
        self.kabupaten = sorted(parent_of)
        self.province_of = {province: province for province in provinces} | parent_of
        self.opds_of = opds_of
        # The OPDs a province's forum gathers and assigns to, and where a kabupaten's guests come from: those of
        # the province and of the kabupaten/kota under it.
        self.subtree_opds = {province: [] for province in provinces}
        for government, ids in opds_of.items():
            self.subtree_opds[self.province_of[government]].extend(ids)
        for ids in self.subtree_opds.values():
            ids.sort()

    @property
    def size(self) -> int:
        return len(self.province_of)


def _national_shape(n_opds: int) -> tuple[list[int], dict[int, int]]:
    """Provinces and the province of each kabupaten/kota, in a country's proportions (38 and 514 at full size,
    fewer when there are too few OPDs for two a government): province 1 keeps Kabupaten 2 onwards, its share as at
    scale 1; the others come after the kabupaten/kota in the ids."""
    total = min(NATIONAL_PROVINCES + NATIONAL_KABUPATEN, max(4, n_opds // 2))
    n_provinces = max(2, total * NATIONAL_PROVINCES // (NATIONAL_PROVINCES + NATIONAL_KABUPATEN))
    n_kabupaten = total - n_provinces
    own = max(1, n_kabupaten * CHILD_GOVERNMENTS // NATIONAL_KABUPATEN)
    others = list(range(n_kabupaten + 2, total + 1))
    parent_of = {
        g: PROVINCE if g <= own + 1 else others[(g - own - 2) % len(others)] for g in range(2, n_kabupaten + 2)
    }
    return [PROVINCE] + others, parent_of


def _governments_and_opds(n_opds: int, national: bool = False) -> Tree:
    """The province (the migration's first government), its kabupaten/kota (or a country's provinces and theirs)
    and the OPDs spread over them."""
    if national:
        provinces, parent_of = _national_shape(n_opds)
    else:
        n_governments = 1 + max(1, min(CHILD_GOVERNMENTS, n_opds // 2 - 1))
        provinces, parent_of = [PROVINCE], dict.fromkeys(range(2, n_governments + 1), PROVINCE)
    province = dict(code="PROV", name="Pemerintah Provinsi Bench", short_name="Prov. Bench", kind="provinsi")
    if db.session.get(Government, PROVINCE) is None:  # a database emptied without the migration's first row
        _insert(Government, [dict(id=PROVINCE, time_zone="Asia/Jakarta", active=True, **province)])
    db.session.execute(sa.update(Government).where(Government.id == PROVINCE).values(**province))
    _insert(
        Government,
        [
            dict(
                id=g,
                code=f"PROV{g:03d}",
                name=f"Pemerintah Provinsi Bench {g}",
                short_name=f"Prov. Bench {g}",
                kind="provinsi",
                time_zone="Asia/Jakarta",
                active=True,
            )
            for g in provinces[1:]
        ],
    )
    _insert(
        Government,
        [
            dict(
                id=g,
                code=f"KAB{g:02d}" if g % 4 else f"KOTA{g:02d}",
                name=f"Pemerintah Kabupaten Bench {g}" if g % 4 else f"Pemerintah Kota Bench {g}",
                short_name=f"Kab. Bench {g}" if g % 4 else f"Kota Bench {g}",
                kind="kabupaten" if g % 4 else "kota",
                parent_id=parent,
                time_zone="Asia/Jakarta",
                active=True,
            )
            for g, parent in parent_of.items()
        ],
    )

    n_governments = len(provinces) + len(parent_of)
    opds = [
        dict(
            id=i,
            government_id=_government_of(i, n_governments),
            code=f"OPD{i:04d}",
            name=f"Perangkat Daerah {i}",
            kind="dinas",
            active=True,
            email=f"opd{i}@example.org" if i % 3 else None,
        )
        for i in range(1, n_opds + 1)
    ]
    _insert(Opd, opds)
    opds_of: dict[int, list[int]] = {}
    for opd in opds:
        opds_of.setdefault(opd["government_id"], []).append(opd["id"])
    return Tree(provinces, parent_of, opds_of)


def _owner_of_forum(rng, forum_id: int, tree: Tree) -> int:
    """Forum 1, the big one measured, is the kabupaten's; a fifth of the others are a province's."""
    if forum_id == 1:
        return KABUPATEN
    if rng.random() < 0.2:
        # A lone province draws nothing, so that scale 1's data stay as they were before the national shape.
        return rng.choice(tree.provinces) if len(tree.provinces) > 1 else PROVINCE
    return rng.choice(tree.kabupaten)


def _after_loading() -> None:
    """Sequences past the ids given, and the planner's statistics."""
    if db.engine.dialect.name == "postgresql":
        for table in ("governments", "opds", "users", "series", "forums", "recommendations", "actions", "assignments"):
            db.session.execute(
                sa.text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
            )
        db.session.commit()
        # VACUUM as autovacuum would soon after: the visibility map it sets lets the dashboard's aggregate scan
        # its index alone, so a run right after generating measures what a settled database gives.
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.exec_driver_sql("VACUUM ANALYZE")
    else:
        db.session.execute(sa.text("ANALYZE"))  # SQLite plans by these statistics too; without them 4× slower
        db.session.commit()


def generate(scale: float = 1.0, seed: int = 7, national: bool | None = None) -> dict[str, int]:
    """Fill the app's database; returns the counts. national=None: the country's shape from scale 10 on."""
    rng = random.Random(seed)
    now = clock.now()
    n_opds, n_users, n_forums = int(500 * scale), int(2000 * scale), int(5000 * scale)
    n_assignments = int(100_000 * scale)
    password = generate_password_hash("bench-pass", method="pbkdf2:sha256:1000")
    if national is None:
        national = scale >= NATIONAL_FROM_SCALE

    tree = _governments_and_opds(n_opds, national)
    n_governments, opds_of = tree.size, tree.opds_of
    others_of = {government: [o for o in ids if o != 1] or ids for government, ids in opds_of.items()}
    # A province's forums assign anywhere in its subtree, the heavy OPD aside.
    others_under = {province: [o for o in ids if o != 1] for province, ids in tree.subtree_opds.items()}

    users = [
        dict(
            id=1,
            email="admin@bench.example",
            name="Admin",
            role="admin",
            government_id=PROVINCE,
            manages_instance=True,
            locale="id",
            active=True,
            password_hash=password,
            created_at=now,
        )
    ]
    for i in range(2, n_users + 1):
        opd_id = (i - 2) % n_opds + 1
        head = i - 2 < n_opds
        users.append(
            dict(
                id=i,
                email=f"user{i}@bench.example",
                name=f"Pengguna {i}",
                role="opd_head" if head else "opd_staff",
                opd_id=opd_id,
                government_id=_government_of(opd_id, n_governments),
                locale="id",
                active=True,
                password_hash=password,
                created_at=now,
            )
        )
    for offset, (email, role, government) in enumerate(MEASURED.values(), start=1):
        users.append(
            dict(
                id=n_users + offset,
                email=email,
                name=f"Sekretariat {government}",
                role=role,
                opd_id=opds_of[government][-1],  # its Bappeda
                government_id=government,
                locale="id",
                active=True,
                password_hash=password,
                created_at=now,
            )
        )
    _insert(User, users)
    db.session.execute(sa.update(Opd).values(head_id=Opd.id + 1))  # user i+1 heads OPD i

    n_series = max(n_forums // 10, 1)
    _insert(
        Series,
        [
            dict(id=i, title=f"Proses {i}", government_id=1 + i % n_governments, created_at=now)
            for i in range(1, n_series + 1)
        ],
    )
    rows = _Rows(Forum, Participant, Recommendation, Action, Assignment, AssignmentEvent, ProgressReport)
    recommendation_id = 0
    forum_of_recommendation = [None]  # by recommendation id
    government_of_forum = {}
    for f in range(1, n_forums + 1):
        starts = now - timedelta(days=rng.randint(0, 720), hours=rng.randint(0, 8))
        owner = _owner_of_forum(rng, f, tree)
        government_of_forum[f] = owner
        rows.add(
            Forum,
            dict(
                id=f,
                kind=rng.choice(["fgd", "forum_renstra", "lokakarya", "rakor"]),
                title=f"Forum {f}",
                series_id=rng.randint(1, n_series) if f % 2 else None,
                government_id=owner,
                starts_at=starts,
                mode="luring",
                organiser_opd_id=rng.choice(opds_of[owner]),
                status="closed",
                created_at=now,
                updated_at=now,
            ),
        )
        # Forum 1 is the big one measured: 40 participants and 15 recommendations.
        people = 40 if f == 1 else rng.randint(6, 14)
        region = tree.subtree_opds[tree.province_of[owner]]
        for p in range(people):
            # A province's forums gather its whole subtree; a kabupaten's, its own OPDs and a few guests from there.
            guest = owner in tree.provinces or rng.random() < 0.1
            rows.add(
                Participant,
                dict(
                    forum_id=f,
                    name=f"Peserta {f}-{p}",
                    opd_id=rng.choice(region if guest else opds_of[owner]),
                    category="opd",
                    role="peserta",
                    attendance="hadir",
                ),
            )
        for number in range(1, (15 if f == 1 else 4) + 1):
            recommendation_id += 1
            forum_of_recommendation.append(f)
            rows.add(
                Recommendation, dict(id=recommendation_id, forum_id=f, number=number, text=f"Rekomendasi {number}")
            )

    per_action = 2
    n_actions = n_assignments // per_action
    weights = [w for _, w in STATUS_MIX]
    statuses = [s for s, _ in STATUS_MIX]
    assignment_id = 0
    # The heavy OPD's tasks come from forums of its own kabupaten and of the province, the only ones that may assign.
    heavy_sources = [
        r for r in range(1, recommendation_id + 1) if government_of_forum[forum_of_recommendation[r]] in (1, 2)
    ]
    for a in range(1, n_actions + 1):
        due = (now + timedelta(days=rng.randint(-200, 120))).date()
        heavy = a <= HEAVY_OPD_ASSIGNMENTS
        recommendation = rng.choice(heavy_sources) if heavy else rng.randint(1, recommendation_id)
        owner = government_of_forum[forum_of_recommendation[recommendation]]
        # A follow-up goes to OPDs of the forum's government and of those below it. The heavy OPD has its 300 and
        # no more.
        pool = others_under[owner] if owner in tree.provinces else others_of[owner]
        rows.add(
            Action,
            dict(
                id=a,
                recommendation_id=recommendation,
                title=f"Tindak lanjut {a}",
                kind="task",
                due_date=due,
                created_at=now,
            ),
        )
        for role, opd_id in _lead_and_support(rng, heavy, pool):
            assignment_id += 1
            status = rng.choices(statuses, weights)[0]
            assigned_at = now - timedelta(days=rng.randint(1, 240))
            acknowledged = status not in (Status.ASSIGNED, Status.CANCELLED)
            acknowledged_at = assigned_at + timedelta(days=rng.randint(0, 6)) if acknowledged else None
            completed_at = now - timedelta(days=rng.randint(0, 90)) if status == Status.DONE else None
            touched = completed_at or min(now, (acknowledged_at or assigned_at) + timedelta(days=rng.randint(0, 60)))
            rows.add(
                Assignment,
                dict(
                    id=assignment_id,
                    action_id=a,
                    opd_id=opd_id,
                    role=role,
                    status=status,
                    due_date=due,
                    due_date_overridden=False,
                    percent=100 if status == Status.DONE else rng.choice([0, 25, 50, 75]),
                    assigned_at=assigned_at,
                    created_at=assigned_at,
                    updated_at=max(touched, assigned_at),
                    acknowledged_at=acknowledged_at,
                    completed_at=completed_at,
                ),
            )
            rows.add(
                AssignmentEvent,
                dict(
                    assignment_id=assignment_id,
                    at=assigned_at,
                    kind="status",
                    from_status=None,
                    to_status="assigned",
                    data={},
                ),
            )
            if acknowledged:
                rows.add(
                    AssignmentEvent,
                    dict(
                        assignment_id=assignment_id,
                        at=assigned_at + timedelta(days=1),
                        kind="status",
                        from_status="assigned",
                        to_status=status,
                        data={},
                    ),
                )
            if status in (Status.IN_PROGRESS, Status.SUBMITTED, Status.DONE):
                rows.add(
                    ProgressReport,
                    dict(assignment_id=assignment_id, at=assigned_at + timedelta(days=2), percent=50, note="Kemajuan"),
                )
    rows.flush()
    db.session.commit()
    _after_loading()
    return {
        "governments": n_governments,
        "provinces": len(tree.provinces),
        "opds": n_opds,
        "users": n_users,
        "forums": n_forums,
        "participants": rows.written[Participant],
        "recommendations": recommendation_id,
        "assignments": assignment_id,
        "history": rows.written[AssignmentEvent],
        "progress_reports": rows.written[ProgressReport],
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--national",
        action=argparse.BooleanOptionalAction,
        help=f"a country's tree of governments (the default from --scale {NATIONAL_FROM_SCALE} on)",
    )
    args = parser.parse_args()
    from bench.common import fresh_app

    app = fresh_app(args.database_url)
    started = time.perf_counter()
    with app.app_context():
        counts = generate(args.scale, args.seed, args.national)
    print(f"generated in {time.perf_counter() - started:.1f} s: {counts}")


if __name__ == "__main__":
    main()
