"""Governments: the tree, the reach of each user, and the one condition per entity that keeps siblings apart."""

from datetime import UTC, date, datetime

import pytest

from accounts import governments
from actions import queries as action_queries
from actions import services as actions
from core.errors import NotFound
from core.extensions import db
from core.permissions import SYSTEM, sees, works_for
from forum import services as forums
from forum.services import ForumFilters
from tests.conftest import as_user


def test_one_government_made_from_the_settings_looks_like_none(appctx):
    governments.default_government_id()  # the migration's row, or (after a test emptied the tables) a new one
    assert len(governments.tree()) == 1
    assert not governments.several()
    only = next(iter(governments.tree().values()))
    assert only.short_name == "Kota Tangerang"  # from KAWAL_PEMDA_NAME, "Pemerintah Kota Tangerang"
    assert governments.opd_name("DINKES", only.id, SYSTEM) == "DINKES"


def test_names_give_short_names_and_kinds():
    assert governments.short_name_of("Pemerintah Kabupaten Serang") == "Kab. Serang"
    assert governments.short_name_of("Pemerintah Provinsi Banten") == "Prov. Banten"
    assert governments.short_name_of("Kementerian Kesehatan") == "Kementerian Kesehatan"
    assert governments.kind_of("Pemerintah Kota Tangerang") == "kota"
    assert governments.kind_of("Kementerian Kesehatan") == "kementerian_lembaga"


def test_a_province_reaches_below_and_a_kabupaten_only_itself(app, tree):
    with app.app_context():
        province = as_user(tree.users["prov_secretariat"])
        kabupaten = as_user(tree.users["kab_secretariat"])
        assert governments.reach(province) == {tree.govs["prov"], tree.govs["kab"], tree.govs["kota"]}
        assert governments.reach(kabupaten) == {tree.govs["kab"]}
        assert sees(governments.reach(province), tree.govs["kab"])
        assert not sees(governments.reach(kabupaten), tree.govs["kota"])
        assert not sees(governments.reach(kabupaten), tree.govs["prov"])  # never upwards
        assert works_for(kabupaten, tree.govs["kab"]) and not works_for(province, tree.govs["kab"])
        assert governments.opd_name("DINKES", tree.govs["kab"], province) == "DINKES · Kab. Serang"
        assert governments.above(tree.govs["kab"]) == [tree.govs["prov"]]


def _forum(government_id, title, participant_opds=()):
    forum = forums.create_forum(
        SYSTEM, government_id=government_id, kind="fgd", title=title, starts_at=datetime(2025, 12, 16, 2, tzinfo=UTC)
    )
    for opd_id in participant_opds:
        forums.add_participant(SYSTEM, forum.id, name=f"Peserta {opd_id}", opd_id=opd_id, attendance="hadir")
    recommendation = forums.add_recommendation(SYSTEM, forum.id, text="Sampaikan kepada pimpinan OPD")
    return forum.id, recommendation.id


@pytest.fixture
def meetings(app, tree):
    """The province's FGD, attended by the kabupaten's Dinkes and the kota's Bappeda, with a task for each; and
    the kota's own forum with a task for its Dinkes."""
    with app.app_context():
        fgd, rec = _forum(tree.govs["prov"], "FGD PPT Kespro", [tree.opds["kab:DINKES"], tree.opds["kota:BAPPEDA"]])
        fgd_action = actions.create_action(
            SYSTEM,
            rec,
            kind="task",
            title="Informasikan kepada kepala OPD",
            due_date=date(2026, 1, 30),
            lead_opd_id=None,
            all_present=True,
        )
        own, own_rec = _forum(tree.govs["kota"], "Forum Renstra Kota Tangerang")
        own_action = actions.create_action(
            SYSTEM,
            own_rec,
            kind="task",
            title="Renstra Dinkes",
            due_date=date(2026, 1, 30),
            lead_opd_id=tree.opds["kota:DINKES"],
        )
        ids = {a.opd_id: a.id for a in fgd_action.assignments}
        result = dict(fgd=fgd, own=own, fgd_action=fgd_action.id, own_action=own_action.id, fgd_tasks=ids)
        db.session.remove()
    return result


def _titles(actor):
    return {f.title for f in forums.list_forums(actor, ForumFilters()).items}


def test_siblings_see_a_forum_both_attended_and_only_their_own_tasks_from_it(app, tree, meetings):
    with app.app_context():
        kabupaten = as_user(tree.users["kab_secretariat"])
        kota = as_user(tree.world.users["secretariat"].id)
        province = as_user(tree.users["prov_secretariat"])
        assert _titles(kabupaten) == {"FGD PPT Kespro"}
        assert _titles(kota) == {"FGD PPT Kespro", "Forum Renstra Kota Tangerang"}
        assert _titles(province) == {"FGD PPT Kespro", "Forum Renstra Kota Tangerang"}
        with pytest.raises(NotFound):
            forums.get_forum(kabupaten, meetings["own"])

        kab_task = meetings["fgd_tasks"][tree.opds["kab:DINKES"]]
        kota_task = meetings["fgd_tasks"][tree.opds["kota:BAPPEDA"]]
        assert action_queries.get_assignment(kabupaten, kab_task).id == kab_task
        with pytest.raises(NotFound):
            action_queries.get_assignment(kabupaten, kota_task)
        with pytest.raises(NotFound):
            action_queries.get_action(kabupaten, meetings["own_action"])
        listed = action_queries.list_assignments(kabupaten, action_queries.AssignmentFilters()).items
        assert [a.id for a in listed] == [kab_task]
        assert action_queries.get_assignment(province, kota_task).id == kota_task  # the owner sees all its tasks
