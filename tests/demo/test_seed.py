import sqlalchemy as sa
from flask_babel import force_locale

from accounts.models import Opd, User
from core import formatting
from core.extensions import db
from forum.models import Forum, ForumStatus, Participant, Recommendation, Series


def _counts():
    return [
        db.session.scalar(sa.select(sa.func.count()).select_from(model))
        for model in (Opd, User, Series, Forum, Participant, Recommendation)
    ]


def test_seed_demo_loads_the_three_reported_meetings_once(app):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["seed", "demo"])
    assert first.exit_code == 0, first.output
    assert "kepala.dinkes@example.org" in first.output
    with app.app_context():
        counts = _counts()
        assert counts[:2] == [16, 7]
    second = runner.invoke(args=["seed", "demo"])
    assert "already loaded" in second.output
    assert "not loaded" in runner.invoke(args=["seed", "demo", "--if-empty"]).output
    with app.app_context():
        assert _counts() == counts
        fgd = db.session.scalar(sa.select(Forum).where(Forum.title.like("FGD Pembahasan%")))
        with force_locale("id"):
            assert formatting.long_date(fgd.starts_at) == "Selasa, 16 Desember 2025"
        assert fgd.series.title == "Penyusunan Dokumen PPT Kespro 2026"
        assert fgd.status == ForumStatus.CLOSED
        assert [r.number for r in fgd.recommendations] == [1, 2, 3]
        renstra = db.session.scalar(sa.select(Forum).where(Forum.kind == "forum_renstra"))
        assert renstra.venue == "Aula RSUD Kota Tangerang"
        assert len(renstra.recommendations) == 4
        assert {p.category for p in renstra.participants} >= {
            "opd",
            "dprd",
            "bpjs",
            "tni_polri",
            "profesi",
            "masyarakat",
        }
        lokakarya = db.session.scalar(sa.select(Forum).where(Forum.kind == "lokakarya"))
        assert lokakarya.host == "Pemerintah Kabupaten Serang"
        puskesmas = db.session.scalar(sa.select(Opd).where(Opd.code == "PKM-CIBODAS"))
        assert puskesmas.parent.code == "DINKES"


def test_users_create_command(app):
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=[
            "users",
            "create",
            "--email",
            "kepala@example.org",
            "--name",
            "Kepala",
            "--role",
            "admin",
            "--password",
            "sandi-panjang",
        ]
    )
    assert result.exit_code == 0, result.output
    duplicate = runner.invoke(
        args=["users", "create", "--email", "KEPALA@example.org", "--name", "Lagi", "--password", "sandi-panjang"]
    )
    assert duplicate.exit_code != 0
    assert "Email ini sudah dipakai." in duplicate.output


def test_demo_follow_ups_cover_the_seeds_and_a_mix_of_statuses(app, clock):
    from actions import queries
    from actions.carry_over import carry_over_items
    from actions.decrees import list_decrees
    from actions.models import Action, Assignment, Status
    from core.permissions import SYSTEM

    assert app.test_cli_runner().invoke(args=["seed", "demo"]).exit_code == 0
    with app.app_context():
        today = clock.now().date()
        assignments = db.session.scalars(sa.select(Assignment)).all()
        statuses = {a.status for a in assignments}
        assert {
            Status.ASSIGNED,
            Status.ACKNOWLEDGED,
            Status.IN_PROGRESS,
            Status.SUBMITTED,
            Status.RETURNED,
            Status.DONE,
            Status.CANNOT_REQUESTED,
        } <= statuses
        assert any(a.days_late(today) for a in assignments)
        renstra = db.session.scalar(sa.select(Forum).where(Forum.kind == "forum_renstra"))
        followups = queries.forum_followups(SYSTEM, renstra.id)
        assert len(followups) == 4  # every conclusion has its follow-up
        socialisation = db.session.scalar(sa.select(Action).where(Action.title.like("Menyampaikan hasil FGD%")))
        assert sorted(a.opd.code for a in socialisation.assignments) == [
            "BAPPEDA",
            "DINKES",
            "DINSOS",
            "DP3AP2KB",
            "RSUD",
        ]
        next_fgd = db.session.scalar(sa.select(Forum).where(Forum.title.like("FGD Lanjutan%")))
        carried = [item.action.title for item in carry_over_items(SYSTEM, next_fgd)]
        assert "Pembentukan tim PPT Kespro melalui SK dibahas pada pertemuan selanjutnya" in carried
        decrees = list_decrees(SYSTEM)
        assert {d.stage for d in decrees} == {"drafted", "signed"}
        assert any(d.lead_opd.code == "BAPPEDA" for d in decrees)
