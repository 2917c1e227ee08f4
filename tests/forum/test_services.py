import pytest
import sqlalchemy as sa

from core.audit import AuditEvent
from core.errors import Invalid, InvalidTransition, NotAllowed
from core.extensions import db
from forum import services
from forum.models import Attendance, ForumStatus, Recommendation, Theme
from tests.conftest import as_user
from tests.forum.helpers import FGD, make_forum, participant

ALL = list(ForumStatus)


def _events(forum_id, verb=None):
    query = sa.select(AuditEvent).where(AuditEvent.scope == f"forum:{forum_id}")
    if verb:
        query = query.where(AuditEvent.verb == verb)
    return list(db.session.scalars(query))


def test_create_forum_is_audited_and_scheduled(appctx, world):
    forum = make_forum(world)
    assert forum.status == ForumStatus.SCHEDULED
    [event] = _events(forum.id, "create")
    assert event.actor_id == world.users["secretariat"].id
    assert event.changes["title"] == [None, "FGD Pembahasan PPT Kespro"]


@pytest.mark.parametrize("role", ["opd_head", "opd_staff", "viewer"])
def test_only_the_secretariat_and_admin_create_forums(appctx, world, role):
    with pytest.raises(NotAllowed):
        services.create_forum(as_user(world.users[role].id), **FGD)


def test_forum_rules_that_a_form_cannot_check(appctx, world):
    with pytest.raises(Invalid) as error:
        make_forum(world, ends_at=FGD["starts_at"].replace(hour=1))
    assert error.value.field == "ends_at"
    with pytest.raises(Invalid) as error:
        make_forum(world, period_start=2029, period_end=2025)
    assert error.value.field == "period_end"
    with pytest.raises(Invalid):
        make_forum(world, series_id=4242)


def test_update_forum_records_only_what_changed(appctx, world):
    forum = make_forum(world)
    secretariat = as_user(world.users["secretariat"].id)
    services.update_forum(secretariat, forum.id, **{**FGD, "organiser_opd_id": world.opds["BAPPEDA"], "venue": "Aula"})
    [event] = _events(forum.id, "update")
    assert event.changes == {"venue": ["Ruang Rapat Bappeda", "Aula"]}


@pytest.mark.parametrize("source", ALL)
@pytest.mark.parametrize("target", ALL)
def test_the_transition_table(appctx, world, source, target):
    forum = make_forum(world)
    forum.status = source  # arrange the starting point directly; the service is what is under test
    db.session.commit()
    secretariat = as_user(world.users["secretariat"].id)
    allowed = target in services.FORUM_TRANSITIONS[source]
    if allowed:
        services.change_status(secretariat, forum.id, target, note="alasan")
        assert db.session.get(type(forum), forum.id).status == target
    else:
        with pytest.raises(InvalidTransition):
            services.change_status(secretariat, forum.id, target, note="alasan")


def test_the_table_is_scheduled_held_closed_and_reopen(appctx):
    assert {
        ForumStatus.SCHEDULED: {ForumStatus.HELD},
        ForumStatus.HELD: {ForumStatus.CLOSED, ForumStatus.SCHEDULED},
        ForumStatus.CLOSED: {ForumStatus.HELD},
    } == services.FORUM_TRANSITIONS


def _closed_forum(world):
    forum = make_forum(world)
    secretariat = as_user(world.users["secretariat"].id)
    services.add_participant(secretariat, forum.id, **participant(world))
    services.add_recommendation(secretariat, forum.id, text="Sosialisasi PPT Kespro")
    services.change_status(secretariat, forum.id, ForumStatus.HELD)
    services.change_status(secretariat, forum.id, ForumStatus.CLOSED)
    return forum


def test_minutes_changed_since_the_form_opened_them_are_not_overwritten(appctx, world):
    forum = make_forum(world)
    secretariat = as_user(world.users["secretariat"].id)
    services.set_minutes(secretariat, forum.id, "Pembukaan")
    opened = services.minutes_fingerprint(forum.minutes)
    services.append_to_minutes(secretariat, forum, "Rapat evaluasi: tenggat diundur.")
    db.session.commit()
    with pytest.raises(Invalid):
        services.set_minutes(secretariat, forum.id, "Pembukaan, diperbaiki", seen=opened)
    db.session.rollback()
    assert forum.minutes == "Pembukaan\nRapat evaluasi: tenggat diundur."
    assert _events(forum.id, "update_minutes")[-1].changes == {"minutes_length": [0, 9]}
    now = services.minutes_fingerprint(forum.minutes)
    services.set_minutes(secretariat, forum.id, "Pembukaan\nRapat evaluasi: tenggat diundur.\nPenutup", seen=now)
    assert forum.minutes.endswith("diundur.\nPenutup")


def test_closing_locks_minutes_attendance_and_recommendations(appctx, world):
    forum = _closed_forum(world)
    secretariat = as_user(world.users["secretariat"].id)
    [person] = forum.participants
    [recommendation] = forum.recommendations
    attempts = [
        lambda: services.set_minutes(secretariat, forum.id, "baru"),
        lambda: services.add_participant(secretariat, forum.id, **participant(world, name="Baru")),
        lambda: services.update_participant(secretariat, forum.id, person.id, **participant(world, attendance="izin")),
        lambda: services.remove_participant(secretariat, forum.id, person.id),
        lambda: services.add_recommendation(secretariat, forum.id, text="baru"),
        lambda: services.update_recommendation(secretariat, forum.id, recommendation.id, text="ubah"),
        lambda: services.delete_recommendation(secretariat, forum.id, recommendation.id),
        lambda: services.update_forum(secretariat, forum.id, **FGD),
    ]
    for attempt in attempts:
        with pytest.raises(InvalidTransition):
            attempt()
        db.session.rollback()


def test_reopening_needs_a_reason_and_is_audited(appctx, world):
    forum = _closed_forum(world)
    secretariat = as_user(world.users["secretariat"].id)
    with pytest.raises(Invalid):
        services.change_status(secretariat, forum.id, ForumStatus.HELD, note="  ")
    services.change_status(secretariat, forum.id, ForumStatus.HELD, note="Notulen salah ketik")
    [event] = _events(forum.id, "reopen")
    assert event.changes == {"status": ["closed", "held"], "note": "Notulen salah ketik"}


@pytest.mark.parametrize("role", ["opd_head", "viewer"])
def test_other_roles_cannot_change_status(appctx, world, role):
    forum = make_forum(world)
    with pytest.raises(NotAllowed):
        services.change_status(as_user(world.users[role].id), forum.id, ForumStatus.HELD)


def test_participants_are_added_changed_removed_and_audited(appctx, world):
    forum = make_forum(world)
    secretariat = as_user(world.users["secretariat"].id)
    person = services.add_participant(secretariat, forum.id, **participant(world))
    services.update_participant(secretariat, forum.id, person.id, **participant(world, attendance="izin"))
    services.remove_participant(secretariat, forum.id, person.id)
    verbs = sorted(e.verb for e in _events(forum.id) if e.entity_type == "participant")
    assert verbs == ["create", "delete", "update"]
    assert [e.changes for e in _events(forum.id, "update")] == [{"attendance": ["hadir", "izin"]}]


def test_a_participant_needs_an_opd_or_an_institution(appctx, world):
    forum = make_forum(world)
    secretariat = as_user(world.users["secretariat"].id)
    with pytest.raises(Invalid):
        services.add_participant(secretariat, forum.id, **participant(world, opd=None))
    person = services.add_participant(
        secretariat, forum.id, **participant(world, opd=None, institution="DPRD", category="dprd")
    )
    assert person.institution_name == "DPRD"


def test_bulk_add_is_all_or_nothing(appctx, world):
    forum = make_forum(world)
    secretariat = as_user(world.users["secretariat"].id)
    rows = [participant(world, name="Satu"), participant(world, name="")]
    with pytest.raises(Invalid):
        services.add_participants(secretariat, forum.id, rows)
    db.session.rollback()
    assert services.get_forum(secretariat, forum.id).participants == []


def test_attendance_summary_counts_and_names_institutions(appctx, world):
    forum = make_forum(world)
    secretariat = as_user(world.users["secretariat"].id)
    services.add_participants(
        secretariat,
        forum.id,
        [
            participant(world, name="A"),
            participant(world, name="B", opd="DP3AP2KB", attendance="diwakilkan"),
            participant(world, name="C", opd="DISDUKCAPIL", attendance="izin"),
            participant(world, name="D", opd=None, institution="BPJS Kesehatan", category="bpjs"),
        ],
    )
    summary = services.attendance_summary(services.get_forum(secretariat, forum.id, full=True).participants)
    assert summary.total == 4
    assert summary.present == 3
    assert summary.by_attendance[Attendance.IZIN] == 1
    assert summary.institutions_present == [
        "BPJS Kesehatan",
        "Dinas Kesehatan",
        "Dinas Pemberdayaan Perempuan dan Perlindungan Anak",
    ]


def _numbers(forum_id):
    return list(
        db.session.execute(
            sa.select(Recommendation.number, Recommendation.text)
            .where(Recommendation.forum_id == forum_id)
            .order_by(Recommendation.number)
        )
    )


def test_recommendations_are_numbered_moved_and_renumbered(appctx, world):
    forum = make_forum(world)
    secretariat = as_user(world.users["secretariat"].id)
    first = services.add_recommendation(secretariat, forum.id, text="Keswa di Puskesmas")
    second = services.add_recommendation(secretariat, forum.id, text="Sarana visum")
    services.add_recommendation(secretariat, forum.id, text="Inovasi layanan")
    assert [n for n, _ in _numbers(forum.id)] == [1, 2, 3]
    services.move_recommendation(secretariat, forum.id, second.id, "up")
    assert _numbers(forum.id) == [(1, "Sarana visum"), (2, "Keswa di Puskesmas"), (3, "Inovasi layanan")]
    services.move_recommendation(secretariat, forum.id, second.id, "up")  # already first: nothing moves
    services.delete_recommendation(secretariat, forum.id, first.id)
    assert _numbers(forum.id) == [(1, "Sarana visum"), (2, "Inovasi layanan")]
    verbs = sorted(e.verb for e in _events(forum.id) if e.entity_type == "recommendation")
    assert verbs == ["create", "create", "create", "delete", "reorder"]


def test_themes_are_shared_and_normalised(appctx, world):
    forum = make_forum(world)
    secretariat = as_user(world.users["secretariat"].id)
    services.add_recommendation(secretariat, forum.id, text="A", themes=["Kesehatan  Jiwa", "sarana visum"])
    services.add_recommendation(secretariat, forum.id, text="B", themes=["kesehatan jiwa", ""])
    assert services.theme_names() == ["kesehatan jiwa", "sarana visum"]
    assert db.session.scalar(sa.select(sa.func.count(Theme.id))) == 2
    assert services.parse_theme_list(" keswa, , Tim SK ") == ["keswa", "tim sk"]


def test_forum_list_filters(appctx, world):
    secretariat = as_user(world.users["secretariat"].id)
    make_forum(
        world,
        title="Forum Renstra Dinkes",
        kind="forum_renstra",
        period_start=2025,
        period_end=2029,
        organiser_opd_id=world.opds["DINKES"],
    )
    make_forum(world, title="FGD PPT Kespro")
    search = services.ForumFilters
    titles = lambda f: [x.title for x in services.list_forums(secretariat, f).items]  # noqa: E731
    assert titles(search(kind="forum_renstra")) == ["Forum Renstra Dinkes"]
    assert titles(search(period_start=2025, period_end=2029)) == ["Forum Renstra Dinkes"]
    assert titles(search(period_start=2025)) == ["Forum Renstra Dinkes"]
    assert titles(search(organiser_opd_id=world.opds["BAPPEDA"])) == ["FGD PPT Kespro"]
    assert titles(search(search="kespro")) == ["FGD PPT Kespro"]
    assert titles(search(status="closed")) == []
    assert services.planning_periods(secretariat) == ["2025-2029"]


def test_forum_history_is_for_the_secretariat(appctx, world):
    forum = make_forum(world)
    assert services.forum_history(as_user(world.users["secretariat"].id), forum.id)
    with pytest.raises(NotAllowed):
        services.forum_history(as_user(world.users["viewer"].id), forum.id)


@pytest.mark.parametrize("field", ["chair_nip", "minute_taker_nip"])
@pytest.mark.parametrize("nip", ["abc", "1975 0817", "x" * 18, "19750817 200212 1 0031"])
def test_a_signers_nip_that_is_not_18_digits_is_refused_on_its_field(appctx, world, field, nip):
    """The chair's and the minute-taker's NIP follow the one rule of core/nip.py, like the secretariat head's."""
    with pytest.raises(Invalid) as refused:
        make_forum(world, **{field: nip})
    assert refused.value.field == field
    forum = make_forum(world, **{field: "19750817 200212 1 003"})
    assert getattr(forum, field) == "19750817 200212 1 003"
