"""Follow-ups by government: who may assign to whom, the fan-out to every attending OPD, and what a sibling or a
parent government may read and change of another's forum and tasks."""

from datetime import timedelta

import pytest

from actions import decrees, queries, services
from actions.carry_over import carry_over_items
from actions.queries import AssignmentFilters
from core.errors import Invalid, NotAllowed, NotFound
from core.permissions import SYSTEM
from forum import services as forums
from tests.actions.helpers import TODAY
from tests.conftest import as_user, login
from tests.forum.helpers import FGD, participant

# "%(code)s belongs to a government this forum cannot give tasks to.", in the user's language
GIVE_NOT = "cannot give tasks to|tidak dapat diberi tugas"


def _forum(tree, owner: str, attending=(), title=None):
    """A forum owned by `owner` ("prov", "kab", "kota") with one recommendation, attended by these OPDs
    ("kab:DINKES", ...); returns (forum id, recommendation id)."""
    forum = forums.create_forum(SYSTEM, government_id=tree.govs[owner], **{**FGD, "title": title or f"FGD of {owner}"})
    rows = [participant(tree.world, name=f"Peserta {key}", opd=None, opd_id=tree.opds[key]) for key in attending]
    if rows:
        forums.add_participants(SYSTEM, forum.id, rows)
    recommendation = forums.add_recommendation(SYSTEM, forum.id, text="Informasikan ke pimpinan OPD")
    return forum.id, recommendation.id


def _create(actor, recommendation_id, *, lead=None, support=(), all_present=False, tree=None):
    return services.create_action(
        actor,
        recommendation_id,
        kind="task",
        title="Menginformasikan hasil FGD kepada pimpinan",
        due_date=TODAY + timedelta(days=14),
        lead_opd_id=tree.opds[lead] if lead else None,
        support_opd_ids=[tree.opds[key] for key in support],
        all_present=all_present,
    )


def _codes(action):
    return sorted((a.opd.government_id, a.opd.code) for a in action.assignments)


def test_the_province_assigns_to_its_kabupaten_and_kota_but_a_kabupaten_never_upwards_or_sideways(app, tree):
    with app.app_context():
        province = as_user(tree.users["prov_secretariat"])
        kabupaten = as_user(tree.users["kab_secretariat"])
        _, prov_rec = _forum(tree, "prov")
        action = _create(province, prov_rec, lead="prov:DINKES", support=("kab:DINKES", "kota:DINKES"), tree=tree)
        assert _codes(action) == sorted(
            [(tree.govs["prov"], "DINKES"), (tree.govs["kab"], "DINKES"), (tree.govs["kota"], "DINKES")]
        )

        _, kab_rec = _forum(tree, "kab")
        for upwards_or_sideways in ("prov:DINKES", "kota:DINKES"):
            with pytest.raises(Invalid, match=GIVE_NOT):
                _create(kabupaten, kab_rec, lead=upwards_or_sideways, tree=tree)
        own = _create(kabupaten, kab_rec, lead="kab:DINKES", tree=tree)
        with pytest.raises(Invalid, match=GIVE_NOT):
            services.add_opd(kabupaten, own.id, tree.opds["prov:BAPPEDA"], "support", "Ikut")
        [task] = own.assignments
        with pytest.raises(Invalid, match=GIVE_NOT):
            services.reassign(kabupaten, task.id, tree.opds["kota:DINKES"], "Pindah")
        assert services.add_opd(kabupaten, own.id, tree.opds["kab:BAPPEDA"], "support", "Ikut").opd.code == "BAPPEDA"


def test_every_opd_that_attended_fans_out_across_the_governments_below_and_leaves_the_others_out(app, tree):
    with app.app_context():
        province = as_user(tree.users["prov_secretariat"])
        _, rec = _forum(tree, "prov", attending=("prov:DINKES", "kab:DINKES", "kota:DINKES", "kota:BAPPEDA"))
        action = _create(province, rec, all_present=True, tree=tree)
        assert len(action.assignments) == 4
        assert {a.opd.government_id for a in action.assignments} == set(tree.govs.values())

        kabupaten = as_user(tree.users["kab_secretariat"])
        forum_id, rec = _forum(tree, "kab", attending=("kab:BAPPEDA", "prov:DINKES", "kota:DINKES"))
        action = _create(kabupaten, rec, all_present=True, tree=tree)
        assert _codes(action) == [(tree.govs["kab"], "BAPPEDA")]
        fan = queries.fan_out(forums.get_forum(kabupaten, forum_id))
        assert fan.given == [tree.opds["kab:BAPPEDA"]]
        assert sorted(opd.id for opd in fan.left_out) == sorted([tree.opds["prov:DINKES"], tree.opds["kota:DINKES"]])


def test_a_sibling_finds_nothing_of_anothers_forum_or_task_by_id(app, tree):
    with app.app_context():
        kabupaten = as_user(tree.users["kab_secretariat"])
        forum_id, rec = _forum(tree, "kab", title="Lokakarya PIP")
        action = _create(kabupaten, rec, lead="kab:DINKES", tree=tree)
        task = action.assignments[0].id
        for who in ("secretariat", "opd_head", "viewer", "admin"):
            sibling = as_user(tree.world.users[who].id)  # Kota Tangerang's people
            for attempt in (
                lambda s=sibling: forums.get_forum(s, forum_id),
                lambda s=sibling: forums.get_recommendation(s, forum_id, rec),
                lambda s=sibling: queries.get_action(s, action.id),
                lambda s=sibling: queries.get_assignment(s, task),
                lambda s=sibling: decrees.get_decree(s, action.id),
            ):
                with pytest.raises(NotFound):
                    attempt()
            assert queries.timeline(sibling, task) == []
            assert queries.forum_followups(sibling, forum_id) == {}
            assert queries.list_assignments(sibling, AssignmentFilters()).total == 0
            assert forums.list_forums(sibling, forums.ForumFilters()).total == 0
        sibling = as_user(tree.world.users["secretariat"].id)
        for change in (
            lambda: forums.update_forum(sibling, forum_id, **FGD),
            lambda: forums.add_participant(sibling, forum_id, **participant(tree.world)),
            lambda: forums.set_minutes(sibling, forum_id, "Catatan"),
            lambda: forums.change_status(sibling, forum_id, "held"),
            lambda: forums.add_recommendation(sibling, forum_id, text="Lagi"),
            lambda: _create(sibling, rec, lead="kota:DINKES", tree=tree),
            lambda: services.update_action(
                sibling, action.id, title="x", description=None, due_date=action.due_date, reason="y"
            ),
            lambda: services.add_opd(sibling, action.id, tree.opds["kab:BAPPEDA"], "support", "Ikut"),
            lambda: services.cancel_action(sibling, action.id, "Batal"),
            lambda: services.cancel_assignment(sibling, task, "Batal"),
            lambda: services.change_due_date(sibling, task, TODAY + timedelta(days=30), "Mundur"),
            lambda: services.reassign(sibling, task, tree.opds["kab:BAPPEDA"], "Pindah"),
        ):
            with pytest.raises(NotFound):
                change()


def test_the_parent_reads_below_but_only_the_owner_changes_and_verifies(app, tree):
    with app.app_context():
        kabupaten = as_user(tree.users["kab_secretariat"])
        forum_id, rec = _forum(tree, "kab")
        action = _create(kabupaten, rec, lead="kab:DINKES", tree=tree)
        task = action.assignments[0].id
        province = as_user(tree.users["prov_secretariat"])
        assert forums.get_forum(province, forum_id).id == forum_id
        assert queries.get_assignment(province, task).id == task
        assert not forums.may_edit(province, forums.get_forum(province, forum_id))
        assert not services.may(province, queries.get_assignment(province, task), services.S.CANCELLED)
        for change in (
            lambda: forums.update_forum(province, forum_id, **FGD),
            lambda: forums.add_recommendation(province, forum_id, text="Dari provinsi"),
            lambda: _create(province, rec, lead="kab:DINKES", tree=tree),
            lambda: services.cancel_assignment(province, task, "Batal"),
            lambda: services.change_due_date(province, task, TODAY + timedelta(days=30), "Mundur"),
            lambda: services.cancel_action(province, action.id, "Batal"),
        ):
            with pytest.raises(NotAllowed):
                change()
        assert services.cancel_assignment(kabupaten, task, "Batal").status == "cancelled"


def test_on_a_forum_both_attended_a_sibling_sees_only_its_own_tasks(app, tree):
    with app.app_context():
        province = as_user(tree.users["prov_secretariat"])
        forum_id, rec = _forum(tree, "prov", attending=("kab:DINKES", "kota:DINKES"), title="FGD PPT Kespro")
        action = _create(province, rec, all_present=True, tree=tree)
        kab_task = next(a.id for a in action.assignments if a.opd_id == tree.opds["kab:DINKES"])
        kota_task = next(a.id for a in action.assignments if a.opd_id == tree.opds["kota:DINKES"])
        kota = as_user(tree.world.users["secretariat"].id)
        assert forums.get_forum(kota, forum_id).title == "FGD PPT Kespro"
        [shown] = queries.forum_followups(kota, forum_id)[rec]
        assert [a.id for a in shown.assignments] == [kota_task]
        db_action = queries.get_action(kota, action.id)
        assert [a.id for a in db_action.assignments] == [kota_task]
        assert [a.id for a in queries.list_assignments(kota, AssignmentFilters()).items] == [kota_task]
        with pytest.raises(NotFound):
            queries.get_assignment(kota, kab_task)
        # the province sees both, and the kabupaten's head acts on its own task from the province's forum
        assert len(queries.list_assignments(province, AssignmentFilters()).items) == 2
        assert services.acknowledge(as_user(tree.users["kab_head"]), kab_task, pic_name="Dr. Rina") is True


def test_the_follow_up_form_says_which_attending_opds_the_fan_out_leaves_out(app, tree):
    with app.app_context():
        forum_id, rec = _forum(tree, "kab", attending=("kab:BAPPEDA", "prov:DINKES"))
    client = app.test_client()
    login(client, tree.users["kab_secretariat"])
    text = client.get(f"/forums/{forum_id}/recommendations/{rec}/actions/new").get_data(as_text=True)
    assert 'id="left-out"' in text and "DINKES · Prov. Banten" in text
    page = client.post(
        f"/forums/{forum_id}/recommendations/{rec}/actions/new",
        data={"kind": "task", "title": "Informasikan", "due_date": "2026-01-15", "all_present": "y"},
        follow_redirects=True,
    )
    text = page.get_data(as_text=True)
    assert "DINKES · Prov. Banten" in text  # the flash after saving
    with app.app_context():
        [action] = queries.forum_followups(SYSTEM, forum_id)[rec]
        assert [a.opd_id for a in action.assignments] == [tree.opds["kab:BAPPEDA"]]


def test_the_carry_over_panel_shows_a_sibling_only_its_own_earlier_tasks(app, tree):
    with app.app_context():
        province = as_user(tree.users["prov_secretariat"])
        series = forums.create_series(province, title="Rakontek Kespro").id
        first = forums.create_forum(province, **{**FGD, "title": "Rakontek I", "series_id": series})
        recommendation = forums.add_recommendation(province, first.id, text="Data kespro per kabupaten/kota")
        action = _create(province, recommendation.id, lead="kab:DINKES", support=("kota:DINKES",), tree=tree)
        month = timedelta(days=30)
        later = {"starts_at": FGD["starts_at"] + month, "ends_at": FGD["ends_at"] + month}
        later = {**FGD, **later, "title": "Rakontek II", "series_id": series}
        second = forums.create_forum(province, **later)
        forums.add_participants(
            province, second.id, [participant(tree.world, name="Kota", opd=None, opd_id=tree.opds["kota:DINKES"])]
        )
        [item] = carry_over_items(province, forums.get_forum(province, second.id))
        assert len(item.action.assignments) == 2
        kota = as_user(tree.world.users["secretariat"].id)
        [item] = carry_over_items(kota, forums.get_forum(kota, second.id))
        assert item.action.id == action.id
        assert [a.opd_id for a in item.action.assignments] == [tree.opds["kota:DINKES"]]
        # the first gave it a task, it attended the second; the kabupaten only got a task from the first
        assert [f.title for f in forums.series_forums(kota, series)] == ["Rakontek I", "Rakontek II"]
        kabupaten = as_user(tree.users["kab_secretariat"])
        assert [f.title for f in forums.series_forums(kabupaten, series)] == ["Rakontek I"]


def test_the_follow_ups_list_narrows_to_one_government_of_the_reach_and_never_beyond_it(app, tree):
    with app.app_context():
        _, rec = _forum(tree, "prov")
        _create(SYSTEM, rec, lead="kab:DINKES", support=("kota:DINKES", "prov:DINKES"), tree=tree)
        province = as_user(tree.users["prov_secretariat"])
        kabupaten = as_user(tree.users["kab_secretariat"])
        narrowed = queries.list_assignments(province, AssignmentFilters(government_id=tree.govs["kab"])).items
        assert [a.opd_id for a in narrowed] == [tree.opds["kab:DINKES"]]
        # The kabupaten asking for the kota's gets none of them: the filter narrows what it may see, no more.
        assert queries.list_assignments(kabupaten, AssignmentFilters(government_id=tree.govs["kota"])).items == []
    pages = {}
    for role in ("prov_secretariat", "kab_secretariat"):
        client = app.test_client()
        login(client, tree.users[role])
        pages[role] = client.get(f"/actions?government={tree.govs['kab']}").get_data(as_text=True)
    assert 'name="government"' in pages["prov_secretariat"] and 'name="government"' not in pages["kab_secretariat"]
    rows = pages["prov_secretariat"].split("<tbody", 1)[1]  # the list, not the OPD picker above it
    assert "DINKES · Kab. Serang" in rows and "DINKES · Kota Tangerang" not in rows  # narrowed to the kabupaten's
