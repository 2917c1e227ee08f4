import sqlalchemy as sa
from flask_babel import force_locale

from accounts.models import Government, Opd, User
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
        assert counts[:2] == [30, 13]  # 16 OPDs and 7 accounts of Kota Tangerang, as before; 14 and 6 of the others
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
        assert lokakarya.government.code == "KAB-SERANG"
        assert lokakarya.organiser.name == "Dinas Kesehatan Kabupaten Serang"
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
        # The province's FGD fans out to every OPD that attended, of all three governments.
        assert sorted((a.opd.government.code, a.opd.code) for a in socialisation.assignments) == [
            ("BANTEN", "BAPPEDA"),
            ("BANTEN", "DINKES"),
            ("BANTEN", "DP3AKKB"),
            ("KAB-SERANG", "BAPPEDA"),
            ("KAB-SERANG", "DINKES"),
            ("PEMDA", "BAPPEDA"),
            ("PEMDA", "DINKES"),
            ("PEMDA", "DINSOS"),
            ("PEMDA", "DP3AP2KB"),
            ("PEMDA", "RSUD"),
        ]
        assert db.session.get(User, socialisation.created_by_id).email == "sekretariat.banten@example.org"
        pip_task = db.session.scalar(sa.select(Action).where(Action.title.like("Membahas dokumen rencana PIP%")))
        assert {a.opd.government.code for a in pip_task.assignments} == {"KAB-SERANG"}
        next_fgd = db.session.scalar(sa.select(Forum).where(Forum.title.like("FGD Lanjutan%")))
        carried = [item.action.title for item in carry_over_items(SYSTEM, next_fgd)]
        assert "Pembentukan tim PPT Kespro melalui SK dibahas pada pertemuan selanjutnya" in carried
        decrees = list_decrees(SYSTEM)
        assert {d.stage for d in decrees} == {"drafted", "signed"}
        assert any(d.lead_opd.code == "BAPPEDA" for d in decrees)


def _government_of(forum_title_start: str) -> str:
    return db.session.scalar(
        sa.select(Government.code)
        .join(Forum, Forum.government_id == Government.id)
        .where(Forum.title.like(f"{forum_title_start}%"))
    )


def test_demo_has_three_governments_each_with_its_forum_and_accounts(app):
    from demo.data import ACCOUNTS, DEMO_PASSWORD
    from demo.governments import BANTEN, KOTA, SERANG, government_id, opd

    result = app.test_cli_runner().invoke(args=["seed", "demo"])
    assert result.exit_code == 0, result.output
    assert "sekretariat.banten@example.org" in result.output
    with app.app_context():
        kota, banten, serang = (db.session.get(Government, government_id(key)) for key in (KOTA, BANTEN, SERANG))
        assert kota.name == "Pemerintah Kota Tangerang"  # the first government, from KAWAL_PEMDA_NAME
        assert (banten.kind, banten.parent_id) == ("provinsi", None)
        assert (serang.kind, serang.parent_id, kota.parent_id) == ("kabupaten", banten.id, banten.id)
        assert banten.printed_name == "PEMERINTAH PROVINSI BANTEN"
        assert {o.code for o in db.session.scalars(sa.select(Opd).where(Opd.government_id == banten.id))} >= {
            "BAPPEDA",
            "DINKES",
            "DP3AKKB",
            "BPKAD",
        }
        assert {o.code for o in db.session.scalars(sa.select(Opd).where(Opd.government_id == serang.id))} >= {
            "BAPPEDA",
            "DINKES",
        }
        # Every account of before keeps its email, role and OPD in Kota Tangerang.
        before = {
            "admin@example.org": ("admin", None),
            "sekretariat@example.org": ("secretariat", "BAPPEDA"),
            "kepala.dinkes@example.org": ("opd_head", "DINKES"),
            "staf.dinkes@example.org": ("opd_staff", "DINKES"),
            "kepala.dp3ap2kb@example.org": ("opd_head", "DP3AP2KB"),
            "kepala.disdukcapil@example.org": ("opd_head", "DISDUKCAPIL"),
            "viewer@example.org": ("viewer", None),
        }
        for email, (role, code) in before.items():
            user = db.session.scalar(sa.select(User).where(User.email == email))
            assert (user.role, user.opd.code if user.opd else None, user.government_id) == (role, code, kota.id)
        new = {
            "sekretariat.banten@example.org": ("secretariat", banten.id, "BAPPEDA"),
            "kepala.dinkes.banten@example.org": ("opd_head", banten.id, "DINKES"),
            "sekretariat.serang@example.org": ("secretariat", serang.id, "BAPPEDA"),
            "kepala.dinkes.serang@example.org": ("opd_head", serang.id, "DINKES"),
        }
        for email, (role, government, code) in new.items():
            user = db.session.scalar(sa.select(User).where(User.email == email))
            assert (user.role, user.government_id, user.opd.code, user.opd.government_id) == (
                role,
                government,
                code,
                government,
            )
            assert user.check_password(DEMO_PASSWORD)
        assert opd("DINKES", SERANG).head.email == "kepala.dinkes.serang@example.org"
        instance_admins = db.session.scalars(sa.select(User.email).where(User.manages_instance)).all()
        assert instance_admins == ["admin@example.org"]
        assert db.session.scalar(sa.select(User.government_id).where(User.email == "admin.serang@example.org")) == (
            serang.id
        )
        assert len(ACCOUNTS) == 13

        assert _government_of("FGD Pembahasan") == "BANTEN"
        assert _government_of("FGD Lanjutan") == "BANTEN"
        assert _government_of("Lokakarya") == "KAB-SERANG"
        assert _government_of("Forum Renstra") == kota.code
        fgd = db.session.scalar(sa.select(Forum).where(Forum.title.like("FGD Pembahasan%")))
        assert fgd.organiser_opd_id == opd("BAPPEDA", BANTEN).id
        linked = {p.name: (p.opd.government_id, p.opd.code) for p in fgd.participants if p.opd}
        assert linked["Lelih Herawati, S.KM, M.Kes"] == (banten.id, "BAPPEDA")
        assert linked["dr. Rizka Sofiani, MKM"] == (serang.id, "DINKES")
        assert linked["Dewi Lestari"] == (kota.id, "DINKES")
        assert all(p.institution is None for p in fgd.participants)  # everyone came from a government of the demo
        pip = db.session.scalar(sa.select(Forum).where(Forum.kind == "lokakarya"))
        assert [p.institution for p in pip.participants if p.opd_id is None] == ["Kementerian Keuangan"]


def test_in_the_demo_a_sibling_sees_the_forum_it_attended_but_not_the_others_tasks(app):
    from actions.models import Action, Assignment
    from actions.queries import visible_assignments
    from forum.services import visible_forums

    assert app.test_cli_runner().invoke(args=["seed", "demo"]).exit_code == 0
    with app.app_context():
        kota = db.session.scalar(sa.select(User).where(User.email == "sekretariat@example.org"))
        province = db.session.scalar(sa.select(User).where(User.email == "sekretariat.banten@example.org"))
        forums = set(db.session.scalars(sa.select(Forum.kind).where(visible_forums(kota))))
        assert "lokakarya" in forums  # Kabupaten Serang's workshop, which Kota Tangerang's delegation attended

        def titles(actor):
            query = sa.select(Action.title).join(Assignment.action).where(visible_assignments(actor))
            return set(db.session.scalars(query))

        pip = "Membahas dokumen rencana PIP tim ahli Kemenkeu bersama OPD teknis Kabupaten Serang"
        assert pip not in titles(kota)
        assert pip in titles(province)  # the parent sees everything below it
        socialisation = sa.select(sa.func.count(Assignment.id)).join(Assignment.action)
        socialisation = socialisation.where(Action.title.like("Menyampaikan hasil FGD%"))
        assert db.session.scalar(socialisation.where(visible_assignments(kota))) == 5  # only its own five OPDs
        assert db.session.scalar(socialisation.where(visible_assignments(province))) == 10


def test_the_demo_meetings_held_carry_their_secretariats_numbers_and_signers(app):
    assert app.test_cli_runner().invoke(args=["seed", "demo"]).exit_code == 0
    with app.app_context():
        numbers = dict(db.session.execute(sa.select(Forum.kind, Forum.record_number)).all())
        assert numbers["forum_renstra"] == "000.1.5/001/BA-Bappeda/VII/2025"  # the kota's format, July
        assert numbers["lokakarya"] == "1/BA/Bappeda/VI/2025"  # Kabupaten Serang's own
        fgd = db.session.scalar(sa.select(Forum).where(Forum.title.like("FGD Pembahasan%")))
        assert fgd.record_number == "000.1.5/001/Bappeda-Prov/2025" and fgd.minute_taker_position
        assert db.session.scalar(sa.select(Forum.record_number).where(Forum.title.like("FGD Lanjutan%"))) is None
        kota = db.session.scalar(sa.select(Government).order_by(Government.id).limit(1))  # the first one
        assert kota.signer_name.startswith("Kepala Bappeda Kota Tangerang")
