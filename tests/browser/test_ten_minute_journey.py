"""The FGD PPT Kespro of 16 December 2025, logged from the seed report by Provinsi Banten's secretariat in Chromium
on a desktop screen: the forum, a 30-row daftar hadir as it comes, the minutes, the conclusions pasted as the report
lists them and their follow-ups for every OPD in the room, of the province, the kabupaten and the kota alike.

The journey counts what a person does (pages loaded, fields typed, texts pasted, choices made, files chosen) and
prices each at what it costs a new user (EFFORT, in seconds): the total must stay under ten minutes, and the counts
are printed for the README and the closing note. It is a count of work, not a timing: the machine's speed plays no
part."""

import io
from dataclasses import dataclass, field

import pytest
import sqlalchemy as sa
from openpyxl import Workbook
from playwright.sync_api import expect

from actions.models import Action, Assignment
from core.extensions import db
from forum.models import Forum, Recommendation
from notifications import dispatcher
from tests.browser.test_forum_journey import login
from tests.notifications.conftest import smtp  # noqa: F401  (the SMTP server fixture)

pytestmark = pytest.mark.browser

# What each step costs a person who has never used Kawal, in seconds: reading a new page and finding the next
# control; typing a short field; finding a passage in the report, copying and pasting it; a click on a choice
# (a select, a box, a button's choice); choosing a file in the file dialog.
EFFORT = {"page": 10, "typed": 15, "pasted": 20, "choice": 4, "file": 30}
TEN_MINUTES = 600

TITLE = "FGD Pembahasan Perencanaan dan Penganggaran Terintegrasi Kesehatan Reproduksi (PPT Kespro)"
MINUTES = """Perencana Ahli Muda pada Bappeda Provinsi Banten, Lelih Herawati, S.KM, M.Kes, menyampaikan bahwa rasio
kematian ibu di Provinsi Banten menunjukkan tren penurunan pada 2023–2024, namun masih terdapat disparitas antar
Kabupaten/Kota.

dr. Rizka Sofiani, MKM dari Dinas Kesehatan Kabupaten Serang menyampaikan bahwa Kabupaten Serang menjadi salah satu
pilot project Pemerintah Pusat pada tahun 2022; pada tahun 2024 tercatat 33 kasus kematian ibu, dan pada tahun 2025
hingga bulan November tidak ditemukan tambahan kasus.

Dasar regulasi PPT Kespro: Undang-Undang Kesehatan Nomor 17 Tahun 2023, RPJMN, RPJPD, RPJMD dan Renstra perangkat
daerah. Kepemimpinan tim dapat ditentukan sesuai kesepakatan daerah, oleh Bappeda maupun Dinas Kesehatan."""
# As the report lists them, lines wrapped as a copy from a PDF wraps them.
CONCLUSIONS = """Rencana tindaklanjut hasil FGD PPT Kespro kali ini antara lain;
- PPT Kespro masih perlu lebih disosialisasikan. Seluruh peserta diminta untuk menyampaikan informasi ini kepada
pimpinan masing-masing OPD, sebagai bagian dari persiapan rencana penyusunan dokumen PPT Kespro pada tahun 2026.
- Pembentukan tim melalui SK direncanakan akan dibahas kembali pada pertemuan selanjutnya.
- Dokumen PPT Kespro yang disusun nantinya akan melalui proses evaluasi, termasuk oleh Kementerian Dalam Negeri;
seluruh tahapan perlu dipersiapkan secara bertahap dan sistematis."""

# The daftar hadir as a secretariat keeps it: its own header names, 30 rows, three governments in the room.
HEADER = ["No", "Nama", "Jabatan", "Instansi/Unit Kerja", "No. HP", "Email"]
ROOM = [
    ("Bappeda Provinsi Banten", "prov:BAPPEDA", 8),
    ("Dinas Kesehatan Provinsi Banten", "prov:DINKES", 4),
    ("Bappeda Kabupaten Serang", "kab:BAPPEDA", 4),
    ("Dinas Kesehatan Kabupaten Serang", "kab:DINKES", 5),
    ("Bappeda Kota Tangerang", "kota:BAPPEDA", 4),
    ("Dinas Kesehatan Kota Tangerang", "kota:DINKES", 5),
]


def daftar_hadir() -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(HEADER)
    speakers = {
        1: ("Lelih Herawati, S.KM, M.Kes", "Perencana Ahli Muda"),
        17: ("dr. Rizka Sofiani, MKM", "Kepala Seksi"),
    }
    number = 0
    for institution, _key, people in ROOM:
        for i in range(1, people + 1):
            number += 1
            name, position = speakers.get(number, (f"Peserta {number}", "Kepala Bidang" if i == 1 else "Staf"))
            sheet.append([number, name, position, institution, f"08129{number:06d}", f"peserta{number}@example.org"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@dataclass
class Effort:
    """What the person did, counted as the journey goes."""

    page: object
    counts: dict = field(default_factory=lambda: dict.fromkeys(EFFORT, 0))

    def __post_init__(self):
        self.page.on("framenavigated", lambda frame: frame == self.page.main_frame and self._add("page"))

    def _add(self, kind: str, n: int = 1):
        self.counts[kind] += n

    def type(self, selector: str, text: str):
        self.page.fill(selector, text)
        self._add("typed")

    def paste(self, selector: str, text: str):
        self.page.fill(selector, text)
        self._add("pasted")

    def choose(self, selector: str, **option):
        self.page.select_option(selector, **option)
        self._add("choice")

    def tick(self, selector: str):
        self.page.check(selector)
        self._add("choice")

    def file(self, selector: str, name: str, content: bytes):
        self.page.set_input_files(
            selector, files=[{"name": name, "mimeType": "application/octet-stream", "buffer": content}]
        )
        self._add("file")

    @property
    def fields(self) -> int:
        return self.counts["typed"] + self.counts["pasted"] + self.counts["choice"] + self.counts["file"]

    @property
    def seconds(self) -> int:
        return sum(EFFORT[kind] * n for kind, n in self.counts.items())


@pytest.fixture
def live_overrides(smtp):  # noqa: F811
    return {"MAIL_PORT": smtp.port}


def test_the_fgd_of_16_december_2025_is_logged_in_under_ten_minutes(live_app, desktop_page, tree, smtp, capsys):  # noqa: F811
    base = live_app.config["KAWAL_BASE_URL"]
    page = desktop_page
    effort = Effort(page)

    login(page, base, "secretariat.prov@example.org")  # two fields and a page, counted by hand below
    effort._add("typed", 2)

    # The forum.
    page.click("text=Forum")
    page.click("text=Forum baru")
    effort.choose("#kind", value="fgd")
    effort.paste("#title", TITLE)
    effort.type("#starts_at", "2025-12-16T09:00")
    effort.type("#ends_at", "2025-12-16T12:00")
    effort.type("#venue", "Aula Bappeda Provinsi Banten")
    effort.type("#chair", "Kepala Bidang Sosial Budaya Bappeda Provinsi Banten")
    page.click("button[type=submit].primary")
    expect(page.locator("h1")).to_have_text(TITLE)
    forum_url = page.url

    # The daftar hadir, as it comes.
    page.click("text=Impor daftar hadir")
    effort.file("#file", "daftar-hadir-fgd-ppt-kespro.xlsx", daftar_hadir())
    page.click("text=Tampilkan pratinjau")
    page.click("#preview button[type=submit].primary")
    expect(page.locator("#attendance-summary")).to_contain_text("30 dari 30 hadir")

    # The minutes.
    page.click("text=Tulis notulen")
    effort.paste("#minutes", MINUTES)
    page.click("button[type=submit].primary")
    expect(page.locator("#minutes")).to_contain_text("pilot project")

    # The conclusions, pasted as the report lists them.
    page.click("text=Tempel daftar")
    effort.paste("#text", CONCLUSIONS)
    page.click("button[name=preview]")
    expect(page.locator("legend")).to_have_count(3)
    page.click("button[name=save]")
    expect(page.locator(".flash")).to_contain_text("3 rekomendasi ditambahkan.")

    # Follow-ups: the first to every OPD in the room, the second (the SK team) to the province's Bappeda with each
    # government's Dinkes, chosen in the checklist's search.
    page.click("#recommendation-1 >> text=Tambah tindak lanjut")
    effort.type("#due_date", "2026-01-31")
    effort.tick("#all_present")
    page.click("button[type=submit].primary")
    expect(page.locator(".flash-success")).to_contain_text("6 OPD")

    page.goto(forum_url)
    effort._add("page", -1)  # the redirect already showed the forum: going back to it is a click, not a new page
    page.click("#recommendation-2 >> text=Tambah tindak lanjut")
    effort.choose("#kind", value="decree")
    effort.type("#due_date", "2026-02-27")
    effort.choose("#lead_opd_id", index=1)
    effort.type("#opd-search", "dinkes")
    for box in page.locator(".checklist-group li:visible input[type=checkbox]").all():
        box.check()
        effort._add("choice")
    page.click("button[type=submit].primary")

    page.click("#recommendation-3 >> text=Tambah tindak lanjut")
    effort.type("#due_date", "2026-06-30")
    effort.choose("#lead_opd_id", index=1)
    page.click("button[type=submit].primary")

    with live_app.app_context():
        forum = db.session.scalar(sa.select(Forum).where(Forum.title == TITLE))
        tasks = db.session.execute(
            sa.select(Recommendation.number, Assignment.opd_id)
            .join(Action, Action.recommendation_id == Recommendation.id)
            .join(Assignment, Assignment.action_id == Action.id)
            .where(Recommendation.forum_id == forum.id)
        ).all()
        participants = len(forum.participants)
        db.session.remove()
    assert participants == 30
    given = {number: {opd for n, opd in tasks if n == number} for number in (1, 2, 3)}
    assert given[1] == {tree.opds[key] for _name, key, _n in ROOM}, "every OPD in the room has its task"
    assert given[2] == {tree.opds[key] for key in ("prov:BAPPEDA", "prov:DINKES", "kab:DINKES", "kota:DINKES")}
    assert given[3] == {tree.opds["prov:BAPPEDA"]}

    # The same morning: every head in the room gets the new-task email.
    with live_app.app_context():
        dispatcher.dispatch()
    heads = {m["To"] for m in smtp.messages if "Tugas baru" in m["Subject"]}
    assert {"head.prov@example.org", "head.kab@example.org", "opd.head@example.org"} <= heads

    with capsys.disabled():
        print(
            f"\nten-minute journey: {effort.counts['page']} page loads, {effort.fields} fields "
            f"({effort.counts['typed']} typed, {effort.counts['pasted']} pasted, {effort.counts['choice']} choices, "
            f"{effort.counts['file']} file), priced at {effort.seconds // 60} min {effort.seconds % 60} s"
        )
    assert effort.seconds < TEN_MINUTES, effort.counts
