"""Splitting pasted lists and spreadsheet rows (core/paste.py): table tests from the seed reports and the shapes
minutes take, and properties that hold for any list hypothesis writes."""

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.paste import split_items, split_rows

SEEDS = Path("/work/shared/seeds")
FGD_FOLLOW_UPS = [
    "PPT Kespro masih perlu lebih disosialisasikan. Seluruh peserta diminta untuk menyampaikan informasi ini kepada "
    "pimpinan masing-masing OPD, sebagai bagian dari persiapan rencana penyusunan dokumen PPT Kespro pada tahun 2026.",
    "Pembentukan tim melalui SK direncanakan akan dibahas kembali pada pertemuan selanjutnya.",
]
RENSTRA_CONCLUSIONS = [
    "Penguatan layanan kesehatan jiwa (keswa) sebagai bagian integral dari layanan dasar di Puskesmas.",
    "Koordinasi lintas sektor yang lebih efektif antara Puskesmas, Kelurahan, DP3AP2KB, dan DUKCAPIL untuk "
    "meningkatkan efisiensi layanan masyarakat.",
    "Perlu percepatan ketersediaan sarana visum dan dukungan tenaga psikolog di Puskesmas guna memperkuat layanan "
    "penanganan kasus kekerasan dan kesehatan mental.",
    "Inovasi layanan kesehatan harus dijabarkan secara lebih teknis dan operasional, agar selaras dengan RPJMD serta "
    "mendukung proses penganggaran secara efektif.",
]


def _seed(name: str) -> str:
    path = SEEDS / name
    if not path.exists():
        pytest.skip(f"seed {name} not on this machine")
    return path.read_text(encoding="utf-8")


def test_the_fgd_ppt_kespro_follow_ups_pasted_from_the_report():
    report = _seed("fgd-ppt-kespro-kota-tangerang-2025-12-16.txt")
    start = report.index("Rencana tindaklanjut hasil FGD")
    end = report.index("Dokumen PT Kespro yang disusun")
    # The introduction ends in ";" as the report writes it: it is no item.
    assert split_items(report[start:end]) == FGD_FOLLOW_UPS


def test_the_whole_fgd_report_pasted_gives_its_follow_ups_and_the_closing_paragraph():
    items = split_items(_seed("fgd-ppt-kespro-kota-tangerang-2025-12-16.txt"))
    assert items[:2] == FGD_FOLLOW_UPS
    assert items[2].startswith("Dokumen PT Kespro yang disusun nantinya akan melalui proses evaluasi")
    assert len(items) == 3  # the article above the list ends in the list's introduction


def test_the_forum_renstra_conclusions_with_word_processor_bullets():
    report = _seed("forum-renstra-dinkes-dp3ap2kb-kota-tangerang.txt")
    start = report.index("Dalam sesi tanya jawab")
    end = report.index("Forum ini menjadi wadah")
    assert split_items(report[start:end]) == RENSTRA_CONCLUSIONS


@pytest.mark.parametrize(
    "pasted, items",
    [
        ("1. Satu\n2. Dua", ["Satu", "Dua"]),
        ("1) Satu\n2) Dua", ["Satu", "Dua"]),
        ("(1) Satu\n(2) Dua", ["Satu", "Dua"]),
        ("a. Satu\nb. Dua", ["Satu", "Dua"]),
        ("A) Satu\nB) Dua", ["Satu", "Dua"]),
        ("i. Satu\nii. Dua\niii. Tiga\niv. Empat", ["Satu", "Dua", "Tiga", "Empat"]),
        ("• Satu\n• Dua", ["Satu", "Dua"]),
        ("- Satu\n- Dua", ["Satu", "Dua"]),
        ("* Satu\n* Dua", ["Satu", "Dua"]),
        ("– Satu\n– Dua", ["Satu", "Dua"]),
        ("1.Satu\n2.Dua", ["Satu", "Dua"]),
        # the other bullets Word and Google Docs lists copy as, and invisible characters before a marker
        ("❖ Satu\n➔ Dua\n→ Tiga\n· Empat", ["Satu", "Dua", "Tiga", "Empat"]),
        ("✔ Satu\n◆ Dua\n» Tiga\n★ Empat", ["Satu", "Dua", "Tiga", "Empat"]),
        ("\ufeff1. Satu\n\u200b2. Dua", ["Satu", "Dua"]),
        ("1.1. Satu\n1.2. Dua", ["Satu", "Dua"]),
        # wrapped lines join the item above, whatever their case, while its sentence goes on
        (
            "1. Layanan keswa di setiap\nPuskesmas.\n2. Sarana visum\n   dan psikolog.",
            ["Layanan keswa di setiap Puskesmas.", "Sarana visum dan psikolog."],
        ),
        ("1. Anggaran naik\n3.5 juta rupiah\n2. Dua", ["Anggaran naik 3.5 juta rupiah", "Dua"]),
        ("1. Bersama\ndr. Ani dan s.d. 2026\n2. Dua", ["Bersama dr. Ani dan s.d. 2026", "Dua"]),
        ("1. Koordinasi lintas-\nsektor", ["Koordinasi lintas-sektor"]),
        # headings and introductions are no items
        ("Kesimpulan:\n1. Satu\n2. Dua", ["Satu", "Dua"]),
        ("REKOMENDASI\n\n1. Satu", ["Satu"]),
        ("Disepakati hal-hal sebagai berikut:\n- Satu\n- Dua", ["Satu", "Dua"]),
        ("Kesimpulan:\nSatu\nDua", ["Satu", "Dua"]),
        # Windows line ends, blank lines, the glue of a sentence-long list
        ("1. Satu;\r\n\r\n2. Dua; dan\r\n3. Tiga.\r\n", ["Satu", "Dua", "Tiga."]),
        # no markers: one item per line, or per paragraph when paragraphs span lines
        ("Satu\nDua\nTiga", ["Satu", "Dua", "Tiga"]),
        ("Satu yang\npanjang.\n\nDua yang\njuga panjang.", ["Satu yang panjang.", "Dua yang juga panjang."]),
        ("Satu\nberlanjut\nDua", ["Satu berlanjut", "Dua"]),
        # a marker alone on its line takes the next one
        ("1.\nSatu\n2.\nDua", ["Satu", "Dua"]),
        ("", []),
        ("\n \n\t\n", []),
        ("•\n-\n1.", []),
    ],
)
def test_list_shapes(pasted, items):
    assert split_items(pasted) == items


WORD = st.text(alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", min_size=1, max_size=8)
ITEM = st.lists(WORD, min_size=1, max_size=12).map(" ".join)
MARKERS = st.sampled_from(["{n}.", "{n})", "({n})", "•", "-", "*", "–", "{letter}.", "{letter})"])


def _numbered(items: list[str], marker: str) -> list[str]:
    return [
        marker.format(n=n, letter="abcdefghijklmnopqrstuvwxyz"[(n - 1) % 26]) + " " + item
        for n, item in enumerate(items, start=1)
    ]


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(items=st.lists(ITEM, min_size=1, max_size=15), marker=MARKERS)
def test_any_marked_list_gives_back_its_items(items, marker):
    assert split_items("\n".join(_numbered(items, marker))) == items


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(
    items=st.lists(ITEM, min_size=1, max_size=10),
    marker=MARKERS,
    width=st.integers(min_value=1, max_value=5),
    indent=st.sampled_from(["", "   ", "\t"]),
    line_end=st.sampled_from(["\n", "\r\n", "\r"]),
    blank=st.booleans(),
)
def test_wrapped_lines_blank_lines_and_line_ends_change_nothing(items, marker, width, indent, line_end, blank):
    lines = []
    for line in _numbered(items, marker):
        head, *rest = line.split(" ")
        words = [f"{head} {rest[0]}", *rest[1:]]
        wrapped = [" ".join(words[i : i + width]) for i in range(0, len(words), width)]
        lines += [wrapped[0], *(indent + part for part in wrapped[1:])]
        if blank:
            lines.append("")
    assert split_items("Kesimpulan:" + line_end + line_end.join(lines)) == items


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=400))
def test_any_text_gives_clean_items_and_never_raises(text):
    items = split_items(text)
    assert all(item and item == item.strip() and "\n" not in item and "\r" not in item for item in items)
    assert all("\x00" not in item for item in items)
    assert len(items) <= len([line for line in text.splitlines() if line.strip()]) or not items


def test_a_thousand_items_are_split_and_a_four_digit_number_is_no_marker():
    items = split_items("\n".join(f"{n}. Butir {n}" for n in range(1, 1001)))
    assert len(items) == 999 and items[-1] == "Butir 999 1000. Butir 1000"  # "2025." is a year, not an item


@pytest.mark.parametrize(
    "pasted, rows",
    [
        (
            "Ani\tDINKES\tKadis\tKetua\nBudi\tBAPPEDA\t\tAnggota",
            [["Ani", "DINKES", "Kadis", "Ketua"], ["Budi", "BAPPEDA", "", "Anggota"]],
        ),
        ("Ani; DINKES; Kadis; Ketua", [["Ani", "DINKES", "Kadis", "Ketua"]]),
        ("| Nama | OPD |\n|---|---|\n| Ani | DINKES |", [["Nama", "OPD"], ["Ani", "DINKES"]]),
        ("Ani\r\n\r\nBudi\r\n", [["Ani"], ["Budi"]]),
        # a name with a semicolon in a tab-separated paste stays whole
        ("Ani; S.KM\tDINKES", [["Ani; S.KM", "DINKES"]]),
        # a byte-order mark or zero-width space copied along does not hide the header's first cell
        ("\ufeffNama\tOPD\nAni\u200b\tDINKES", [["Nama", "OPD"], ["Ani", "DINKES"]]),
        ("", []),
    ],
)
def test_spreadsheet_rows(pasted, rows):
    assert [cells for _, cells in split_rows(pasted)] == rows


def test_rows_keep_the_line_numbers_the_paste_shows():
    assert [line for line, _ in split_rows("Ani\tA\n\nBudi\tB")] == [1, 3]


@settings(max_examples=150)
@given(st.lists(st.lists(WORD, min_size=1, max_size=5), min_size=1, max_size=10), st.sampled_from(["\t", ";", "|"]))
def test_any_table_pasted_gives_back_its_cells(table, separator):
    width = max(len(row) for row in table)
    table = [row + ["x"] * (width - len(row)) for row in table]
    if width == 1:
        table = [row + ["y"] for row in table]
    pasted = "\r\n".join(separator.join(row) for row in table)
    assert [cells for _, cells in split_rows(pasted)] == table
