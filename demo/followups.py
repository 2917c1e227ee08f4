"""The demo's follow-ups: the seeds' conclusions given to OPDs, with a realistic history.

History is built by running the real services with the clock set back, so every status, timeline entry and
audit row is one that Kawal itself could have written. Dates are relative to the day the demo is loaded, so
there is always something overdue, something due soon and something awaiting verification.
"""

import io
from datetime import datetime, time, timedelta

import sqlalchemy as sa
from werkzeug.datastructures import FileStorage

from accounts import services as accounts
from actions import decrees
from actions import services as actions
from actions.models import Action
from core import clock
from core.extensions import db
from demo.governments import BANTEN, KOTA, SERANG, opd
from forum.models import Forum, Recommendation

# A one-page PDF, small enough to keep in the source: the scanned decree of the demo.
DEMO_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj 2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj "
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)


def _user(email):
    return accounts.user_by_email(email)


def _opd(code, government=KOTA):
    return opd(code, government).id


def _morning(days_from_today: int) -> datetime:
    """09.00 local time, some days from today."""
    day = clock.today_local() + timedelta(days=days_from_today)
    return clock.from_local(datetime.combine(day, time(9, 0)))


def _day(days_from_today: int):
    return clock.today_local() + timedelta(days=days_from_today)


def _recommendation(forum_title_start: str, number: int) -> Recommendation:
    return db.session.scalar(
        sa.select(Recommendation)
        .join(Recommendation.forum)
        .where(Forum.title.like(f"{forum_title_start}%"), Recommendation.number == number)
    )


def _assignment(action: Action, code: str, government=KOTA):
    opd_id = _opd(code, government)
    return next(a for a in action.assignments if a.opd_id == opd_id)


def _create(secretariat, forum_start, number, created_days_ago, **values) -> Action:
    with clock.frozen_at(_morning(-created_days_ago)):
        return actions.create_action(secretariat, _recommendation(forum_start, number).id, **values)


def load() -> int:
    """Create the follow-ups once; returns how many actions were made."""
    if db.session.scalar(sa.select(sa.func.count(Action.id))):
        return 0
    secretariat = _user("sekretariat@example.org")
    dinkes, staff = _user("kepala.dinkes@example.org"), _user("staf.dinkes@example.org")
    dp3 = _user("kepala.dp3ap2kb@example.org")
    # The FGD is the province's and the Lokakarya the kabupaten's: their secretariats give and verify the follow-ups.
    province, regency = _user("sekretariat.banten@example.org"), _user("sekretariat.serang@example.org")
    dinkes_banten, dinkes_serang = _user("kepala.dinkes.banten@example.org"), _user("kepala.dinkes.serang@example.org")
    renstra, fgd, pip = "Forum Renstra", "FGD Pembahasan", "Lokakarya"

    # Forum Renstra: the four conclusions, each led by the OPD DESIGN.md names, with its supporters.
    keswa = _create(
        secretariat,
        renstra,
        1,
        60,
        kind="task",
        title="Layanan kesehatan jiwa tersedia di setiap Puskesmas",
        description="Tenaga terlatih keswa dan alur rujukan di seluruh Puskesmas.",
        due_date=_day(30),
        lead_opd_id=_opd("DINKES"),
        support_opd_ids=[_opd("PKM-CIBODAS")],
    )
    with clock.frozen_at(_morning(-58)):
        actions.acknowledge(dinkes, _assignment(keswa, "DINKES").id, pic_name="dr. Maya Anggraini")
    with clock.frozen_at(_morning(-20)):
        actions.report_progress(
            staff,
            _assignment(keswa, "DINKES").id,
            percent=40,
            note="Pelatihan keswa untuk 12 dari 39 Puskesmas selesai.",
            links=["https://example.org/laporan/pelatihan-keswa"],
        )

    coordination = _create(
        secretariat,
        renstra,
        2,
        75,
        kind="task",
        title="Forum koordinasi Puskesmas, Kelurahan, DP3AP2KB dan Disdukcapil",
        description="Pertemuan rutin bulanan dan kanal rujukan kasus.",
        due_date=_day(-10),
        lead_opd_id=_opd("DINKES"),
        support_opd_ids=[_opd("DP3AP2KB"), _opd("DISDUKCAPIL"), _opd("KEC-CIBODAS")],
    )
    with clock.frozen_at(_morning(-70)):
        actions.acknowledge(dinkes, _assignment(coordination, "DINKES").id, pic_name="Dewi Lestari")
        actions.acknowledge(dp3, _assignment(coordination, "DP3AP2KB").id, pic_name="Fitri Handayani")
    with clock.frozen_at(_morning(-12)):
        actions.report_progress(
            dinkes,
            _assignment(coordination, "DINKES").id,
            percent=100,
            note="Forum koordinasi pertama digelar; notulen dan SK sekretariat bersama terlampir.",
            links=["https://example.org/notulen/forum-koordinasi-1"],
        )
        actions.submit(dinkes, _assignment(coordination, "DINKES").id, "Mohon diverifikasi.")

    visum = _create(
        secretariat,
        renstra,
        3,
        50,
        kind="task",
        title="Sarana visum dan tenaga psikolog di Puskesmas",
        due_date=_day(10),
        lead_opd_id=_opd("DINKES"),
        support_opd_ids=[_opd("DP3AP2KB"), _opd("RSUD")],
    )
    with clock.frozen_at(_morning(-45)):
        actions.acknowledge(dinkes, _assignment(visum, "DINKES").id, pic_name="dr. Ratna Sari")
        actions.acknowledge(dp3, _assignment(visum, "DP3AP2KB").id)
    with clock.frozen_at(_morning(-30)):
        actions.report_progress(
            dp3,
            _assignment(visum, "DP3AP2KB").id,
            percent=100,
            note="Dua psikolog klinis UPTD PPA ditugaskan bergilir.",
            links=["https://example.org/sk/penugasan-psikolog"],
        )
        actions.submit(dp3, _assignment(visum, "DP3AP2KB").id)
    with clock.frozen_at(_morning(-25)):
        actions.verify(
            secretariat,
            _assignment(visum, "DP3AP2KB").id,
            accept=False,
            note="Lampirkan jadwal layanan psikolog per Puskesmas.",
        )

    innovation = _create(
        secretariat,
        renstra,
        4,
        50,
        kind="task",
        title="Inovasi layanan kesehatan dijabarkan dalam rencana aksi yang selaras dengan RPJMD",
        due_date=_day(20),
        lead_opd_id=_opd("BAPPEDA"),
        support_opd_ids=[_opd("DINKES"), _opd("DP3AP2KB")],
    )
    with clock.frozen_at(_morning(-40)):
        actions.acknowledge(dinkes, _assignment(innovation, "DINKES").id)
        actions.report_progress(
            dinkes,
            _assignment(innovation, "DINKES").id,
            percent=100,
            note="Matriks inovasi dan kode program RPJMD disusun.",
            links=["https://example.org/matriks-inovasi"],
        )
        actions.submit(dinkes, _assignment(innovation, "DINKES").id)
    with clock.frozen_at(_morning(-35)):
        actions.verify(secretariat, _assignment(innovation, "DINKES").id, accept=True, note="Sesuai.")
        actions.acknowledge(dp3, _assignment(innovation, "DP3AP2KB").id)
    with clock.frozen_at(_morning(-33)):
        actions.request_cannot(
            dp3,
            _assignment(innovation, "DP3AP2KB").id,
            category="authority",
            reason="Inovasi layanan kesehatan bukan kewenangan DP3AP2KB; DP3AP2KB mendukung lewat forum koordinasi.",
        )

    # FGD PPT Kespro (Provinsi Banten's): the socialisation goes to every OPD that attended, of the province, of
    # Kabupaten Serang and of Kota Tangerang; the SK team goes to the next meeting.
    socialisation = _create(
        province,
        fgd,
        1,
        40,
        kind="task",
        title="Menyampaikan hasil FGD PPT Kespro kepada pimpinan OPD",
        description="Persiapan penyusunan dokumen PPT Kespro tahun 2026.",
        due_date=_day(-25),
        lead_opd_id=None,
        all_present=True,
    )
    with clock.frozen_at(_morning(-38)):
        actions.acknowledge(dinkes, _assignment(socialisation, "DINKES").id, pic_name="Dewi Lestari")
        actions.report_progress(
            staff,
            _assignment(socialisation, "DINKES").id,
            percent=100,
            note="Disampaikan dalam rapat pimpinan Dinkes.",
            links=["https://example.org/notulen/rapim-dinkes"],
        )
        actions.submit(dinkes, _assignment(socialisation, "DINKES").id)
    with clock.frozen_at(_morning(-36)):
        actions.verify(province, _assignment(socialisation, "DINKES").id, accept=True)
        actions.acknowledge(dp3, _assignment(socialisation, "DP3AP2KB").id)
        actions.acknowledge(dinkes_banten, _assignment(socialisation, "DINKES", BANTEN).id)
    with clock.frozen_at(_morning(-30)):
        actions.acknowledge(dinkes_serang, _assignment(socialisation, "DINKES", SERANG).id, pic_name="Rizka Sofiani")
        actions.report_progress(
            dinkes_serang,
            _assignment(socialisation, "DINKES", SERANG).id,
            percent=50,
            note="Disampaikan kepada Kepala Dinas; rapat dengan Bappeda Kabupaten Serang dijadwalkan. [Data demo]",
        )
    _create(
        province,
        fgd,
        2,
        40,
        kind="next_meeting",
        title="Pembentukan tim PPT Kespro melalui SK dibahas pada pertemuan selanjutnya",
        description="Kepemimpinan tim: Bappeda atau Dinas Kesehatan sesuai kesepakatan daerah.",
        due_date=_day(14),
        lead_opd_id=_opd("BAPPEDA"),
        support_opd_ids=[_opd("DINKES"), _opd("DP3AP2KB")],
    )
    team = _create(
        province,
        fgd,
        2,
        30,
        kind="decree",
        title="SK Tim Penyusun Dokumen PPT Kespro 2026",
        due_date=_day(45),
        lead_opd_id=_opd("BAPPEDA"),
        support_opd_ids=[_opd("DINKES"), _opd("DP3AP2KB")],
    )
    decrees.update_decree(
        province,
        team.id,
        subject="Pembentukan Tim Penyusun Dokumen PPT Kespro Kota Tangerang 2026",
        number=None,
        signed_on=None,
        signer="Wali Kota Tangerang",
        valid_from=None,
        valid_until=None,
        lead_opd_id=_opd("BAPPEDA"),
    )
    for name, code, position, role in [
        ("Sekretaris Daerah", None, "Sekretaris Daerah Kota Tangerang", "pengarah"),
        ("Kepala Bappeda", "BAPPEDA", "Kepala Badan", "penanggung_jawab"),
        ("dr. Bambang Setiawan", "DINKES", "Kepala Dinas Kesehatan", "ketua"),
        ("Eko Prasetyo", "BAPPEDA", "Kepala Bidang Sosmasek", "sekretaris"),
        ("Fitri Handayani", "DP3AP2KB", "Kepala Bidang KB", "anggota"),
    ]:
        decrees.add_decree_member(
            province, team.id, name=name, opd_id=_opd(code) if code else None, position=position, team_role=role
        )
    decrees.set_decree_stage(province, team.id, "drafted")

    # The previous PPT Kespro team's SK is "nearly past its validity", as the FGD report says.
    previous = _create(
        province,
        fgd,
        3,
        35,
        kind="decree",
        title="SK Tim PPT Kespro periode sebelumnya",
        due_date=_day(0),
        lead_opd_id=_opd("DINKES"),
    )
    scan = FileStorage(io.BytesIO(DEMO_PDF), filename="sk-tim-ppt-kespro-2022.pdf", content_type="application/pdf")
    decrees.update_decree(
        province,
        previous.id,
        subject="Tim Perencanaan dan Penganggaran Terintegrasi Kesehatan Reproduksi Kota Tangerang",
        number="800/Kep.112-Dinkes/2022",
        signed_on=_day(-1400),
        signer="Wali Kota Tangerang",
        valid_from=_day(-1400),
        valid_until=_day(45),
        lead_opd_id=_opd("DINKES"),
        document=scan,
    )
    decrees.set_decree_stage(province, previous.id, "drafted")
    decrees.set_decree_stage(province, previous.id, "signed")

    # Lokakarya PIP (Kabupaten Serang's): its Dinkes leads the plan document with the kabupaten's Bappeda.
    pip_task = _create(
        regency,
        pip,
        1,
        20,
        kind="task",
        title="Membahas dokumen rencana PIP tim ahli Kemenkeu bersama OPD teknis Kabupaten Serang",
        due_date=_day(-6),
        lead_opd_id=_opd("DINKES", SERANG),
        support_opd_ids=[_opd("BAPPEDA", SERANG), _opd("BPKAD", SERANG)],
    )
    with clock.frozen_at(_morning(-19)):
        actions.acknowledge(dinkes_serang, _assignment(pip_task, "DINKES", SERANG).id, pic_name="Rizka Sofiani")
    return db.session.scalar(sa.select(sa.func.count(Action.id)))
