"""The benchmark's data set, at a small scale: a government tree, and follow-ups only where the rules allow."""

import sqlalchemy as sa
import sqlalchemy.orm as so

from accounts.models import Government, Opd, User
from actions.models import Action, Assignment
from core.extensions import db
from forum.models import Forum, Participant, Recommendation


def test_the_data_spreads_over_a_province_and_its_kabupaten_and_assigns_only_downwards(appctx):
    from bench.generate import HEAVY_OPD_ASSIGNMENTS, KABUPATEN, MEASURED, PROVINCE, generate

    counts = generate(scale=0.04, seed=7)
    assert counts["governments"] == 10  # 20 OPDs: two a government; at scale 0.14 and above, 35
    parents = dict(db.session.execute(sa.select(Government.id, Government.parent_id)).all())
    assert parents.pop(PROVINCE) is None
    assert set(parents.values()) == {PROVINCE} and len(parents) == 9
    per_government = db.session.execute(sa.select(Opd.government_id, sa.func.count()).group_by(Opd.government_id))
    assert {count for _government, count in per_government} == {2}

    # No follow-up goes upwards or sideways: a kabupaten's forum assigns only to its own OPDs.
    owner, opd = so.aliased(Forum), so.aliased(Opd)
    wrong = (
        sa.select(sa.func.count(Assignment.id))
        .join(Action, Assignment.action_id == Action.id)
        .join(Recommendation, Action.recommendation_id == Recommendation.id)
        .join(owner, Recommendation.forum_id == owner.id)
        .join(opd, Assignment.opd_id == opd.id)
        .where(owner.government_id != PROVINCE, opd.government_id != owner.government_id)
    )
    assert db.session.scalar(wrong) == 0
    # ... while the province's forums reach every government, and a kabupaten's gather a few guests.
    across = sa.select(sa.func.count(sa.distinct(opd.government_id))).select_from(Assignment)
    across = across.join(opd, Assignment.opd_id == opd.id).join(Action).join(Recommendation)
    across = across.join(owner, Recommendation.forum_id == owner.id).where(owner.government_id == PROVINCE)
    assert db.session.scalar(across) == 10
    guests = (
        sa.select(sa.func.count(Participant.id))
        .join(owner, Participant.forum_id == owner.id)
        .join(opd, Participant.opd_id == opd.id)
        .where(owner.government_id != PROVINCE, opd.government_id != owner.government_id)
    )
    assert db.session.scalar(guests) > 0

    heavy = db.session.get(Opd, 1)
    assert heavy.government_id == KABUPATEN
    leads = sa.select(sa.func.count()).where(Assignment.opd_id == 1, Assignment.role == "lead")
    assert db.session.scalar(leads) == HEAVY_OPD_ASSIGNMENTS
    assert db.session.get(Forum, 1).government_id == KABUPATEN
    for email, role, government in MEASURED.values():
        user = db.session.scalar(sa.select(User).where(User.email == email))
        assert (user.role, user.government_id, user.opd.government_id) == (role, government, government)
    assert db.session.scalar(sa.select(User.manages_instance).where(User.id == 1))


def test_the_national_shape_has_provinces_over_their_kabupaten_and_keeps_follow_ups_inside_each_province(appctx):
    from bench.generate import HEAVY_OPD_ASSIGNMENTS, KABUPATEN, MEASURED, PROVINCE, generate

    counts = generate(scale=0.1, seed=7, national=True)
    assert (counts["governments"], counts["provinces"]) == (25, 2)  # 50 OPDs; at scale 10, 552 and 38
    kind_and_parent = {
        g: (kind, parent)
        for g, kind, parent in db.session.execute(sa.select(Government.id, Government.kind, Government.parent_id))
    }
    provinces = {g for g, (kind, _parent) in kind_and_parent.items() if kind == "provinsi"}
    assert len(provinces) == 2 and PROVINCE in provinces
    assert all(kind_and_parent[p][1] is None for p in provinces)
    assert all(parent in provinces for g, (_kind, parent) in kind_and_parent.items() if g not in provinces)
    assert kind_and_parent[KABUPATEN][1] == PROVINCE
    province_of = {g: g if g in provinces else parent for g, (_kind, parent) in kind_and_parent.items()}

    # A follow-up stays within its forum's province: a kabupaten's with its own OPDs, a province's in its subtree.
    owner, opd = so.aliased(Forum), so.aliased(Opd)
    pairs = db.session.execute(
        sa.select(owner.government_id, opd.government_id)
        .distinct()
        .select_from(Assignment)
        .join(opd, Assignment.opd_id == opd.id)
        .join(Action, Assignment.action_id == Action.id)
        .join(Recommendation, Action.recommendation_id == Recommendation.id)
        .join(owner, Recommendation.forum_id == owner.id)
    ).all()
    assert all(to == forum_owner for forum_owner, to in pairs if forum_owner not in provinces)
    assert all(province_of[to] == forum_owner for forum_owner, to in pairs if forum_owner in provinces)
    assert {province_of[to] for forum_owner, to in pairs if forum_owner in provinces} == provinces
    guests = sa.select(Participant.opd_id, owner.government_id).join(owner, Participant.forum_id == owner.id)
    opd_government = dict(db.session.execute(sa.select(Opd.id, Opd.government_id)).all())
    assert all(province_of[opd_government[o]] == province_of[g] for o, g in db.session.execute(guests))

    leads = sa.select(sa.func.count()).where(Assignment.opd_id == 1, Assignment.role == "lead")
    assert db.session.scalar(leads) == HEAVY_OPD_ASSIGNMENTS
    for email, role, government in MEASURED.values():
        user = db.session.scalar(sa.select(User).where(User.email == email))
        assert (user.role, user.government_id, user.opd.government_id) == (role, government, government)


def test_at_scale_10_the_country_has_38_provinces_and_514_kabupaten_with_province_1_as_at_scale_1():
    from bench.generate import CHILD_GOVERNMENTS, PROVINCE, _national_shape

    provinces, parent_of = _national_shape(n_opds=5000)  # scale 10
    assert (len(provinces), len(parent_of)) == (38, 514)
    under_province_1 = sorted(g for g, parent in parent_of.items() if parent == PROVINCE)
    assert under_province_1 == list(range(2, CHILD_GOVERNMENTS + 2))
    assert set(parent_of.values()) == set(provinces)
    assert not set(provinces) & set(parent_of)
