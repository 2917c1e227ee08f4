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
