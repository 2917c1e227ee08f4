"""Demo data taken from the news reports in shared/seeds.

Three governments: Kota Tangerang (the first one, as before the governments came, now under its province),
Provinsi Banten and Kabupaten Serang. The FGD PPT Kespro is the province's, the Forum Renstra the city's and the
Lokakarya PIP the kabupaten's. What a report does not say (a forum's date, people's names, a venue, who organised
it) is chosen plainly here and marked with ASSUMED in a comment, and in the data itself with "[Data demo]" where a
user would see it.
"""

from datetime import datetime, timedelta

import sqlalchemy as sa

from accounts import governments
from accounts import services as accounts
from accounts.models import OpdKind, User
from core import clock
from core.extensions import db
from core.permissions import SYSTEM, Role
from demo import followups
from demo.governments import BANTEN, DOCUMENTS, GOVERNMENTS, KOTA, SERANG, government_id, opd
from forum import numbering
from forum import services as forums
from forum.models import Forum, ForumStatus, Series

DEMO_PASSWORD = "kawal-demo"

# government key, code, name, kind, parent code
OPDS = [
    (KOTA, "BAPPEDA", "Badan Perencanaan Pembangunan Daerah", OpdKind.BADAN, None),
    (KOTA, "DINKES", "Dinas Kesehatan", OpdKind.DINAS, None),
    (
        KOTA,
        "DP3AP2KB",
        "Dinas Pemberdayaan Perempuan, Perlindungan Anak, Pengendalian Penduduk dan Keluarga Berencana",
        OpdKind.DINAS,
        None,
    ),
    (KOTA, "DISDUKCAPIL", "Dinas Kependudukan dan Pencatatan Sipil", OpdKind.DINAS, None),
    (KOTA, "DINSOS", "Dinas Sosial", OpdKind.DINAS, None),
    (KOTA, "RSUD", "RSUD Kota Tangerang", OpdKind.RSUD, None),
    (KOTA, "DINDIK", "Dinas Pendidikan", OpdKind.DINAS, None),
    (KOTA, "BPKD", "Badan Pengelolaan Keuangan Daerah", OpdKind.BADAN, None),
    (KOTA, "INSPEKTORAT", "Inspektorat Daerah", OpdKind.OTHER, None),
    (KOTA, "BKPSDM", "Badan Kepegawaian dan Pengembangan Sumber Daya Manusia", OpdKind.BADAN, None),
    (KOTA, "DISKOMINFO", "Dinas Komunikasi dan Informatika", OpdKind.DINAS, None),
    (KOTA, "SATPOLPP", "Satuan Polisi Pamong Praja", OpdKind.OTHER, None),
    (KOTA, "DISNAKER", "Dinas Ketenagakerjaan", OpdKind.DINAS, None),
    (KOTA, "KEC-TANGERANG", "Kecamatan Tangerang", OpdKind.KECAMATAN, None),
    (KOTA, "KEC-CIBODAS", "Kecamatan Cibodas", OpdKind.KECAMATAN, None),
    (KOTA, "PKM-CIBODAS", "UPTD Puskesmas Cibodas", OpdKind.UPTD, "DINKES"),
    (BANTEN, "BAPPEDA", "Badan Perencanaan Pembangunan Daerah Provinsi Banten", OpdKind.BADAN, None),
    (BANTEN, "DINKES", "Dinas Kesehatan Provinsi Banten", OpdKind.DINAS, None),
    (
        BANTEN,
        "DP3AKKB",
        "Dinas Pemberdayaan Perempuan, Perlindungan Anak, Kependudukan dan Keluarga Berencana Provinsi Banten",
        OpdKind.DINAS,
        None,
    ),
    (BANTEN, "BPKAD", "Badan Pengelolaan Keuangan dan Aset Daerah Provinsi Banten", OpdKind.BADAN, None),
    (BANTEN, "DINSOS", "Dinas Sosial Provinsi Banten", OpdKind.DINAS, None),
    (BANTEN, "DINDIKBUD", "Dinas Pendidikan dan Kebudayaan Provinsi Banten", OpdKind.DINAS, None),
    (BANTEN, "INSPEKTORAT", "Inspektorat Provinsi Banten", OpdKind.OTHER, None),
    (BANTEN, "RSUD-BANTEN", "RSUD Banten", OpdKind.RSUD, None),
    (SERANG, "BAPPEDA", "Badan Perencanaan Pembangunan Daerah Kabupaten Serang", OpdKind.BADAN, None),
    (SERANG, "DINKES", "Dinas Kesehatan Kabupaten Serang", OpdKind.DINAS, None),
    (
        SERANG,
        "DKBP3A",
        "Dinas Pengendalian Penduduk, Keluarga Berencana, Pemberdayaan Perempuan dan Perlindungan Anak "
        "Kabupaten Serang",
        OpdKind.DINAS,
        None,
    ),
    (SERANG, "BPKAD", "Badan Pengelolaan Keuangan dan Aset Daerah Kabupaten Serang", OpdKind.BADAN, None),
    (SERANG, "DINSOS", "Dinas Sosial Kabupaten Serang", OpdKind.DINAS, None),
    (SERANG, "RSUD-DRAJAT", "RSUD dr. Dradjat Prawiranegara", OpdKind.RSUD, None),
]
OPD_EMAILS = {
    (KOTA, "DINKES"): "dinkes@example.org",
    (KOTA, "DP3AP2KB"): "dp3ap2kb@example.org",
    (KOTA, "BAPPEDA"): "bappeda@example.org",
    (BANTEN, "DINKES"): "dinkes.banten@example.org",
    (SERANG, "DINKES"): "dinkes.serang@example.org",
}

# email, made-up name, role, government key, OPD code. admin@example.org is the instance admin (every government);
# admin.banten and admin.serang administer only their own government's users, OPDs and reminder policy.
ACCOUNTS = [
    ("admin@example.org", "Admin Kawal", Role.ADMIN, KOTA, None),
    ("sekretariat@example.org", "Siti Rahmawati", Role.SECRETARIAT, KOTA, "BAPPEDA"),
    ("kepala.dinkes@example.org", "dr. Bambang Setiawan", Role.OPD_HEAD, KOTA, "DINKES"),
    ("staf.dinkes@example.org", "Dewi Lestari", Role.OPD_STAFF, KOTA, "DINKES"),
    ("kepala.dp3ap2kb@example.org", "Hj. Nurhayati", Role.OPD_HEAD, KOTA, "DP3AP2KB"),
    ("kepala.disdukcapil@example.org", "Agus Salim", Role.OPD_HEAD, KOTA, "DISDUKCAPIL"),
    ("viewer@example.org", "Pemantau DPRD", Role.VIEWER, KOTA, None),
    ("sekretariat.banten@example.org", "Rina Oktaviani", Role.SECRETARIAT, BANTEN, "BAPPEDA"),
    ("kepala.dinkes.banten@example.org", "dr. Hendra Gunawan", Role.OPD_HEAD, BANTEN, "DINKES"),
    ("admin.banten@example.org", "Admin Provinsi Banten", Role.ADMIN, BANTEN, None),
    ("sekretariat.serang@example.org", "Nur Aisyah", Role.SECRETARIAT, SERANG, "BAPPEDA"),
    ("kepala.dinkes.serang@example.org", "dr. Agus Firmansyah", Role.OPD_HEAD, SERANG, "DINKES"),
    ("admin.serang@example.org", "Admin Kabupaten Serang", Role.ADMIN, SERANG, None),
]
INSTANCE_ADMIN = "admin@example.org"
GOVERNMENT_LABELS = {KOTA: "Kota Tangerang", BANTEN: "Provinsi Banten", SERANG: "Kabupaten Serang"}
POSITIONS = {
    Role.ADMIN: "Administrator sistem",
    Role.SECRETARIAT: "Analis Perencanaan, Bidang Sosmasek",
    Role.OPD_HEAD: "Kepala Dinas",
    Role.OPD_STAFF: "Perencana Ahli Pertama",
    Role.VIEWER: "Sekretariat DPRD",
}

SERIES_TITLE = "Penyusunan Dokumen PPT Kespro 2026"


def _at(year, month, day, hour=9, minute=0) -> datetime:
    """A wall-clock time in the Pemda's zone, as UTC."""
    return clock.local_moment(year, month, day, hour, minute)


def _participant(
    name, institution, *, government=KOTA, category="opd", role="peserta", attendance="hadir", position=None
):
    """A participant row; an institution that is an OPD code of the government becomes that OPD."""
    opd_ = opd(institution, government)
    return {
        "name": name,
        "position": position,
        "opd_id": opd_.id if opd_ else None,
        "institution": None if opd_ else institution,
        "category": category,
        "role": role,
        "attendance": attendance,
    }


RENSTRA_MINUTES = """\
**Forum Rencana Strategis (Renstra) Dinas Kesehatan dan DP3AP2KB Kota Tangerang 2025–2029**

Acara dibuka dengan pemaparan rancangan Renstra dari masing-masing dinas: capaian kinerja, identifikasi
permasalahan, isu strategis, dan integrasi program unggulan kepala daerah. Pemaparan dilanjutkan dengan
*logframe* kinerja, strategi dan arah kebijakan, serta sinkronisasi dengan program daerah lainnya.

Sesi tanya jawab berlangsung dinamis. Peserta dari OPD, organisasi profesi, DPRD, BPJS Kesehatan dan
Ketenagakerjaan, Babinsa, dan unsur masyarakat memberikan masukan strategis yang dirumuskan menjadi
kesimpulan forum.

*[Data demo] Tanggal dan nama peserta tidak disebut dalam laporan; dipilih untuk contoh.*
"""

FGD_MINUTES = """\
**FGD Pembahasan Perencanaan dan Penganggaran Terintegrasi Kesehatan Reproduksi (PPT Kespro)**

1. Lelih Herawati, S.KM, M.Kes (Perencana Ahli Muda, Bappeda Provinsi Banten): rasio kematian ibu di
   Provinsi Banten menurun pada 2023–2024, namun masih ada disparitas antar kabupaten/kota. PPT Kespro
   memuat analisis situasi, penetapan prioritas masalah, pemetaan akar masalah, hingga integrasi
   intervensi lintas OPD, sejalan dengan RPJMN 2025–2029.
2. dr. Rizka Sofiani, MKM (Dinas Kesehatan Kabupaten Serang): Kabupaten Serang menjadi *pilot project*
   sejak 2022. Kematian ibu turun hingga 33 kasus pada 2024, dan sampai November 2025 tidak ada kasus
   baru. Penyusunan PPT Kespro harus lintas sektor dan berkelanjutan.
3. Diskusi: dasar regulasi PPT Kespro meliputi UU Kesehatan Nomor 17 Tahun 2023, RPJMN, RPJPD, RPJMD dan
   Renstra perangkat daerah. Kepemimpinan tim SK dapat ditentukan sesuai kesepakatan daerah (Bappeda atau
   Dinas Kesehatan), bersama Dinas KB dan OPD terkait. Penyusunan dokumen membutuhkan beberapa kali FGD.
   Dokumen PPT Kespro sebelumnya hampir berakhir masa berlakunya.

*[Data demo] Tempat dan jam tidak disebut dalam laporan; dipilih untuk contoh.*
"""

PIP_MINUTES = """\
**Lokakarya Rencana Pelaksanaan Program Performance Improvement Plan (PIP) Sektor Kesehatan TA 2025**

Forum koordinasi lintas OPD Pemerintah Kabupaten Serang bersama tim ahli Kementerian Keuangan, tindak
lanjut audiensi dengan Bupati, OPD teknis dan Kemenkeu di Pendopo Bupati pada Senin, 16 Juni 2025.

Empat indikator utama PIP bidang kesehatan:

- angka harapan hidup;
- cakupan imunisasi dasar lengkap pada anak;
- persentase anak dengan status gizi normal;
- persalinan di fasilitas kesehatan.

Hasil diskusi dirumuskan tim ahli Kemenkeu menjadi dokumen rencana, yang akan dibahas lagi bersama
secara daring maupun luring.
"""


def _forums() -> list[dict]:
    """The three reported meetings, and the announced next FGD of the PPT Kespro series."""
    today = clock.today_local()
    next_fgd = today + timedelta(days=14)
    return [
        {
            "values": dict(
                kind="forum_renstra",
                title="Forum Renstra Dinas Kesehatan dan DP3AP2KB Kota Tangerang 2025–2029",
                # ASSUMED: the report gives no date; it was published before 21 July 2025.
                starts_at=_at(2025, 7, 10, 9, 0),
                ends_at=_at(2025, 7, 10, 13, 0),
                venue="Aula RSUD Kota Tangerang",
                mode="luring",
                organiser="DINKES",
                chair="Sekretaris Daerah Kota Tangerang [Data demo]",
                chair_position="Sekretaris Daerah",
                minute_taker="Siti Rahmawati [Data demo]",
                minute_taker_position="Analis Perencanaan, Bappeda Kota Tangerang [Data demo]",
                agenda="1. Pemaparan rancangan Renstra Dinas Kesehatan\n2. Pemaparan rancangan Renstra DP3AP2KB\n"
                "3. Logframe kinerja, strategi dan arah kebijakan\n4. Tanya jawab dan perumusan kesimpulan",
                period_start=2025,
                period_end=2029,
            ),
            "minutes": RENSTRA_MINUTES,
            "status": ForumStatus.CLOSED,
            "participants": [
                _participant("dr. Bambang Setiawan", "DINKES", role="narasumber", position="Kepala Dinas"),
                _participant("Hj. Nurhayati", "DP3AP2KB", role="narasumber", position="Kepala Dinas"),
                _participant("Rudi Hartono", "DISDUKCAPIL", position="Sekretaris Dinas", attendance="diwakilkan"),
                _participant("dr. Ratna Sari", "RSUD", position="Direktur"),
                _participant("Siti Rahmawati", "BAPPEDA", role="notulis", position="Analis Perencanaan"),
                _participant("Hendra Wijaya", "KEC-CIBODAS", position="Camat"),
                _participant("dr. Maya Anggraini", "PKM-CIBODAS", position="Kepala Puskesmas"),
                _participant("Drs. Ahmad Fauzi", "DPRD Kota Tangerang", category="dprd", position="Anggota Komisi II"),
                _participant("Lina Marlina", "BPJS Kesehatan Cabang Tangerang", category="bpjs"),
                _participant("Yusuf Maulana", "BPJS Ketenagakerjaan Cabang Tangerang", category="bpjs"),
                _participant("Serda Dedi Kurniawan", "Babinsa Koramil Tangerang", category="tni_polri"),
                _participant("dr. Irwan Prasetyo", "Ikatan Dokter Indonesia (IDI) Kota Tangerang", category="profesi"),
                _participant("Sri Wahyuni", "Forum Kota Sehat", category="masyarakat", attendance="izin"),
            ],
            "recommendations": [
                (
                    "Penguatan layanan kesehatan jiwa (keswa) sebagai bagian integral dari layanan dasar di Puskesmas.",
                    ["kesehatan jiwa", "layanan dasar"],
                    "Renstra Dinkes 2025–2029: Program Pemenuhan Upaya Kesehatan",
                ),
                (
                    "Koordinasi lintas sektor yang lebih efektif antara Puskesmas, Kelurahan, DP3AP2KB, dan Dukcapil untuk meningkatkan efisiensi layanan masyarakat.",
                    ["koordinasi lintas sektor"],
                    None,
                ),
                (
                    "Percepatan ketersediaan sarana visum dan dukungan tenaga psikolog di Puskesmas guna memperkuat layanan penanganan kasus kekerasan dan kesehatan mental.",
                    ["sarana visum", "tenaga psikolog", "kesehatan jiwa"],
                    "Renstra DP3AP2KB 2025–2029: Program Perlindungan Perempuan dan Anak",
                ),
                (
                    "Inovasi layanan kesehatan dijabarkan secara lebih teknis dan operasional, agar selaras dengan RPJMD serta mendukung proses penganggaran secara efektif.",
                    ["inovasi layanan", "penganggaran"],
                    "RPJMD Kota Tangerang 2025–2029",
                ),
            ],
        },
        {
            # The Province's FGD: Bappeda Kota Tangerang "mengikuti" (attended) it, and both speakers came from
            # Bappeda Provinsi Banten and Dinkes Kabupaten Serang.
            "government": BANTEN,
            "values": dict(
                kind="fgd",
                title="FGD Pembahasan Perencanaan dan Penganggaran Terintegrasi Kesehatan Reproduksi (PPT Kespro)",
                series=SERIES_TITLE,
                # The date is in the report; ASSUMED: the hours and the venue.
                starts_at=_at(2025, 12, 16, 9, 0),
                ends_at=_at(2025, 12, 16, 12, 0),
                venue="Ruang Rapat Bappeda Provinsi Banten [Data demo]",
                mode="luring",
                # ASSUMED: the organiser. The report names no host; the province's Bappeda presents first and
                # the city's Bappeda only attends, so the province's Bappeda is taken to have convened it.
                organiser=(BANTEN, "BAPPEDA"),
                chair="Kepala Bidang Pemerintahan dan Pembangunan Manusia, Bappeda Provinsi Banten [Data demo]",
                chair_position="Kepala Bidang Pemerintahan dan Pembangunan Manusia",
                minute_taker="Lelih Herawati [Data demo]",
                minute_taker_position="Perencana Ahli Muda, Bappeda Provinsi Banten [Data demo]",
                agenda="1. Paparan PPT Kespro, Bappeda Provinsi Banten\n2. Pengalaman Kabupaten Serang\n"
                "3. Diskusi: dasar regulasi dan pembentukan tim SK\n4. Rencana tindak lanjut",
            ),
            "minutes": FGD_MINUTES,
            "status": ForumStatus.CLOSED,
            "participants": [
                _participant(
                    "Lelih Herawati, S.KM, M.Kes",
                    "BAPPEDA",
                    government=BANTEN,
                    role="narasumber",
                    position="Perencana Ahli Muda",
                ),
                # ASSUMED: the province's Dinkes and DP3AKKB attended, as the "Dinas KB and related OPDs" the
                # discussion names.
                _participant("dr. Hendra Gunawan [Data demo]", "DINKES", government=BANTEN, position="Kepala Dinas"),
                _participant("Yanti Susanti [Data demo]", "DP3AKKB", government=BANTEN, position="Kepala Bidang KB"),
                _participant(
                    "dr. Rizka Sofiani, MKM", "DINKES", government=SERANG, role="narasumber", position="Perencana"
                ),
                # ASSUMED: Kabupaten Serang's Bappeda came with its Dinkes.
                _participant("Ahmad Rifai [Data demo]", "BAPPEDA", government=SERANG, position="Perencana Ahli Muda"),
                _participant("Siti Rahmawati", "BAPPEDA", position="Analis Perencanaan, Bidang Sosmasek"),
                _participant("Eko Prasetyo", "BAPPEDA", role="moderator", position="Kepala Bidang Sosmasek"),
                _participant("Dewi Lestari", "DINKES", position="Perencana Ahli Pertama"),
                _participant("Fitri Handayani", "DP3AP2KB", position="Kepala Bidang KB"),
                _participant("Rina Kartika", "DINSOS", position="Analis Kebijakan"),
                _participant("Joko Susilo", "RSUD", position="Kepala Seksi Pelayanan", attendance="diwakilkan"),
                _participant("Andi Saputra", "DISDUKCAPIL", attendance="izin"),
            ],
            "recommendations": [
                (
                    "PPT Kespro masih perlu lebih disosialisasikan. Seluruh peserta diminta menyampaikan informasi ini kepada "
                    "pimpinan masing-masing OPD, sebagai persiapan penyusunan dokumen PPT Kespro pada tahun 2026.",
                    ["sosialisasi", "kesehatan reproduksi"],
                    None,
                ),
                (
                    "Pembentukan tim melalui SK direncanakan akan dibahas kembali pada pertemuan selanjutnya. Kepemimpinan tim "
                    "ditentukan sesuai kesepakatan daerah (Bappeda atau Dinas Kesehatan), bersama Dinas KB dan OPD terkait.",
                    ["pembentukan tim sk", "kesehatan reproduksi"],
                    None,
                ),
                (
                    "Seluruh tahapan penyusunan dokumen PPT Kespro dipersiapkan secara bertahap dan sistematis, termasuk untuk "
                    "evaluasi oleh Kementerian Dalam Negeri.",
                    ["kesehatan reproduksi", "evaluasi dokumen"],
                    "RPJMD Kota Tangerang 2025–2029",
                ),
            ],
        },
        {
            "government": BANTEN,
            "values": dict(
                kind="fgd",
                # ASSUMED: the report says drafting needs several FGDs; this is the next one, two weeks from the seeding.
                title="FGD Lanjutan Penyusunan Dokumen PPT Kespro 2026 [Data demo]",
                series=SERIES_TITLE,
                starts_at=_at(next_fgd.year, next_fgd.month, next_fgd.day, 9, 0),
                venue="Ruang Rapat Bappeda Provinsi Banten",
                mode="hybrid",
                online_link="https://meet.example.org/ppt-kespro",
                organiser=(BANTEN, "BAPPEDA"),
                agenda="1. Tindak lanjut pertemuan sebelumnya\n2. Pembentukan tim PPT Kespro melalui SK\n3. Jadwal penyusunan dokumen",
            ),
            "minutes": None,
            "status": ForumStatus.SCHEDULED,
            "participants": [],
            "recommendations": [],
        },
        {
            # Kabupaten Serang's own workshop (Pemkab Serang "mengadakan", held it), with experts of Kemenkeu, a
            # ministry that is not a government of this Kawal.
            "government": SERANG,
            "values": dict(
                kind="lokakarya",
                title="Lokakarya Rencana Pelaksanaan Program Performance Improvement Plan (PIP) Sektor Kesehatan TA 2025",
                starts_at=_at(2025, 6, 17, 9, 0),
                ends_at=_at(2025, 6, 17, 15, 0),
                venue="Aula KH. Syam'un, Kabupaten Serang",
                mode="luring",
                organiser=(SERANG, "DINKES"),
                chair="Rahmat Fitriadi",
                chair_position="Kepala Dinas Kesehatan Kabupaten Serang",
                agenda="1. Sambutan Kepala Dinas Kesehatan Kabupaten Serang\n2. Paparan tim ahli Kemenkeu\n"
                "3. Diskusi akar masalah empat indikator kesehatan",
            ),
            "minutes": PIP_MINUTES,
            "status": ForumStatus.CLOSED,
            "participants": [
                _participant(
                    "Rahmat Fitriadi",
                    "DINKES",
                    government=SERANG,
                    role="pimpinan",
                    position="Kepala Dinas Kesehatan Kabupaten Serang",
                ),
                # ASSUMED: the "OPD teknis" of the report: the kabupaten's Bappeda, BPKAD and DKBP3A.
                _participant("Ahmad Rifai [Data demo]", "BAPPEDA", government=SERANG, position="Perencana Ahli Muda"),
                _participant("Sri Mulyani [Data demo]", "BPKAD", government=SERANG, position="Kepala Bidang Anggaran"),
                _participant("Nina Marlina [Data demo]", "DKBP3A", government=SERANG, position="Kepala Bidang"),
                _participant(
                    "Tim Ahli Kementerian Keuangan",
                    "Kementerian Keuangan",
                    category="pemerintah_pusat",
                    role="narasumber",
                ),
                # ASSUMED: Kota Tangerang's delegation to the workshop: the city sees this forum because it attended.
                _participant("Eko Prasetyo", "BAPPEDA", position="Kepala Bidang Sosmasek"),
                _participant("Dewi Lestari", "DINKES", position="Perencana Ahli Pertama"),
            ],
            "recommendations": [
                (
                    "Hasil diskusi dirumuskan oleh tim ahli Kemenkeu menjadi dokumen rencana PIP, lalu dibahas kembali bersama "
                    "secara daring maupun luring.",
                    ["performance improvement plan"],
                    None,
                ),
                (
                    "Empat indikator utama menjadi tolok ukur keberhasilan PIP: angka harapan hidup, imunisasi dasar lengkap, "
                    "anak dengan status gizi normal, dan persalinan di fasilitas kesehatan.",
                    ["imunisasi", "gizi", "kesehatan ibu dan anak"],
                    None,
                ),
            ],
        },
    ]


def has_accounts() -> bool:
    """Whether anyone has an account yet."""
    return db.session.scalar(sa.select(sa.func.count(User.id))) > 0


def _load_governments() -> int:
    """Provinsi Banten and Kabupaten Serang, and the first government (Kota Tangerang) put under the province."""
    # The first government comes first, even on a database that has none yet: it is the one of KAWAL_PEMDA_NAME.
    governments.default_government()
    created = 0
    for key, (code, name, kind, parent, address) in GOVERNMENTS.items():
        if government_id(key) is None:
            accounts.create_government(
                SYSTEM,
                code=code,
                name=name,
                kind=kind,
                parent_id=government_id(parent) if parent else None,
                time_zone="Asia/Jakarta",
                letterhead_address=address,
            )
            created += 1
    kota = accounts.get_government(government_id(KOTA))
    if kota.parent_id is None:
        values = {name: getattr(kota, name) for name in accounts.GOVERNMENT_FIELDS}
        accounts.update_government(SYSTEM, kota.id, **(values | {"parent_id": government_id(BANTEN)}))
    for key, documents in DOCUMENTS.items():
        government = accounts.get_government(government_id(key))
        if government.numbering_format is None:
            values = {name: getattr(government, name) for name in accounts.GOVERNMENT_FIELDS}
            accounts.update_government(SYSTEM, government.id, **(values | documents))
    return created


def _load_opds_and_accounts() -> int:
    created = 0
    for government, code, name, kind, parent in OPDS:
        if opd(code, government) is None:
            accounts.create_opd(
                SYSTEM,
                government_id=government_id(government),
                code=code,
                name=name,
                kind=kind,
                parent_id=opd(parent, government).id if parent else None,
                email=OPD_EMAILS.get((government, code)),
            )
            created += 1
    for email, name, role, government, opd_code in ACCOUNTS:
        if accounts.user_by_email(email) is None:
            opd_ = opd(opd_code, government) if opd_code else None
            user = accounts.create_user(
                SYSTEM,
                password=DEMO_PASSWORD,
                email=email,
                name=name,
                role=role,
                opd_id=opd_.id if opd_ else None,
                government_id=government_id(government),
                position=POSITIONS[role],
            )
            if email == INSTANCE_ADMIN:
                # No service names the instance admin (the migration makes every earlier admin one): the demo does.
                user.manages_instance = True
                db.session.commit()
            created += 1
    return created


def secretariat_of(government: str) -> User:
    """The demo secretariat that logs a government's forums."""
    email = next(e for e, _n, role, g, _o in ACCOUNTS if role == Role.SECRETARIAT and g == government)
    return accounts.user_by_email(email)


def _load_forum(series: Series, spec: dict) -> int:
    """One demo forum, logged by its government's secretariat, with its participants, recommendations, minutes and
    status; 0 when it exists."""
    values = dict(spec["values"])
    if db.session.scalar(sa.select(Forum.id).where(Forum.title == values["title"])) is not None:
        return 0
    government = spec.get("government", KOTA)
    secretariat = secretariat_of(government)
    organiser = values.pop("organiser", None)
    if isinstance(organiser, str):
        organiser = (KOTA, organiser)
    values["organiser_opd_id"] = opd(organiser[1], organiser[0]).id if organiser else None
    values["series_id"] = series.id if values.pop("series", None) else None
    forum = forums.create_forum(secretariat, **values)
    if spec["participants"]:
        forums.add_participants(secretariat, forum.id, spec["participants"])
    for text, themes, reference in spec["recommendations"]:
        forums.add_recommendation(secretariat, forum.id, text=text, themes=themes, planning_ref=reference)
    if spec["minutes"]:
        forums.set_minutes(secretariat, forum.id, spec["minutes"])
    if spec["status"] != ForumStatus.SCHEDULED:
        forums.change_status(secretariat, forum.id, ForumStatus.HELD)
    if spec["status"] == ForumStatus.CLOSED:
        forums.change_status(secretariat, forum.id, ForumStatus.CLOSED)
    if spec["status"] != ForumStatus.SCHEDULED:
        numbering.give_number(secretariat, forum.id)  # the Berita Acara of a meeting held carries its number
    return 1 + len(spec["participants"]) + len(spec["recommendations"])


def load() -> int:
    """Create whatever of the demo data is missing; returns how many records were made."""
    created = _load_governments()
    created += _load_opds_and_accounts()
    series = db.session.scalar(sa.select(Series).where(Series.title == SERIES_TITLE))
    if series is None:
        series = forums.create_series(
            secretariat_of(BANTEN),  # the FGDs of the series are the province's
            title=SERIES_TITLE,
            description="Penyusunan dokumen Perencanaan dan Penganggaran Terintegrasi Kesehatan Reproduksi; "
            "membutuhkan beberapa kali FGD.",
        )
        created += 1
    for spec in _forums():
        created += _load_forum(series, spec)
    created += followups.load()
    return created
