"""Downloads: Excel with openpyxl, PDF with fpdf2 (pure Python, with a vendored DejaVu font for any script),
and iCalendar with icalendar."""

import io
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from flask import current_app
from flask_babel import gettext as _
from fpdf import FPDF, FontFace
from icalendar import Calendar, Event
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from actions.models import (
    ACTION_KIND_LABELS,
    ASSIGNMENT_ROLE_LABELS,
    BPK_CATEGORY,
    BPK_LABELS,
    STATUS_LABELS,
    AssignmentRole,
    BpkCategory,
)
from core import formatting
from core.text import without_controls
from forum.models import (
    ATTENDANCE_LABELS,
    FORUM_KIND_LABELS,
    PARTICIPANT_CATEGORY_LABELS,
    PRESENT,
    ForumKind,
    ForumMode,
)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def filename(*parts: str, extension: str) -> str:
    """ "tindak-lanjut-2025-12-16-fgd-ppt-kespro.xlsx": the date and the forum or filter in the name."""
    slug = "-".join(re.sub(r"[^a-z0-9]+", "-", p.lower()).strip("-") for p in parts if p)
    return f"{slug[:120]}.{extension}"


# --- Excel ---------------------------------------------------------------------------------------------


def _sheet(title: str, header: list[str], rows: list[list], widths: list[int], percent_columns=frozenset()) -> bytes:
    """One styled sheet, written in openpyxl's write-only mode: rows stream to the file instead of living as cell
    objects, which made a 12,000-row export take seconds."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title[:31])
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(header))}{len(rows) + 1}"
    heading = []
    for text in header:
        cell = _cell(sheet, text)
        cell.font = Font(bold=True, color="FFFFFF")
        cell.fill = PatternFill("solid", fgColor="0B5D56")
        cell.alignment = Alignment(vertical="top", wrap_text=True)
        heading.append(cell)
    sheet.append(heading)
    for row in rows:
        sheet.append([_formatted(sheet, value, index in percent_columns) for index, value in enumerate(row, start=1)])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


# OWASP's CSV-injection advice: a cell starting with one of these is read as a formula by Excel or LibreOffice.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _cell(sheet, value) -> WriteOnlyCell:
    """The one way a value becomes a cell: text stays text, even when it looks like a formula."""
    if isinstance(value, str):
        value = without_controls(value)  # a control character stored long ago must not break the whole file
    cell = WriteOnlyCell(sheet, value=value)
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        # openpyxl takes "=..." for a formula; as a string with Excel's quote prefix it is shown, not run.
        cell.data_type = "s"
        cell.quotePrefix = True
    return cell


def _formatted(sheet, value, percent: bool):
    """Dates as dd/mm/yyyy, rates as percentages, text as text; any other value as it is."""
    if isinstance(value, str):
        # A plain string is cheaper than a cell object; only what looks like a formula needs one.
        value = without_controls(value)
        return _cell(sheet, value) if value.startswith(FORMULA_STARTS) else value
    if isinstance(value, date):
        cell = WriteOnlyCell(sheet, value=value)
        cell.number_format = "dd/mm/yyyy"
        return cell
    if percent and value is not None:
        cell = WriteOnlyCell(sheet, value=value)
        cell.number_format = "0.0%"
        return cell
    return value


def followup_matrix(
    assignments, today: date, evidence_counts: dict[int, int], last_progress: dict[int, str], opd_label
) -> bytes:
    """forum → recommendation → action → OPD → role → status → BPK category → due → days late → progress → evidence.
    `opd_label(opd)` names an OPD as the reader does."""
    header = [
        _("Forum"),
        _("Forum date"),
        _("No."),
        _("Recommendation"),
        _("Follow-up"),
        _("Kind"),
        _("OPD"),
        _("Role"),
        _("Status"),
        _("BPK category"),
        _("Due date"),
        _("Days late"),
        _("Last progress"),
        _("Evidence"),
    ]
    rows = []
    # Every code as its label in the reader's language, translated once rather than per row.
    statuses, categories, roles, kinds = (
        _translated(labels) for labels in (STATUS_LABELS, BPK_LABELS, ASSIGNMENT_ROLE_LABELS, ACTION_KIND_LABELS)
    )
    for a in assignments:
        forum = a.action.recommendation.forum
        category = BPK_CATEGORY[a.status]
        rows.append(
            [
                forum.title,
                formatting.to_local_date(forum.starts_at),
                a.action.recommendation.number,
                a.action.recommendation.text,
                a.action.title,
                kinds[a.action.kind],
                opd_label(a.opd),
                roles[a.role],
                statuses[a.status],
                categories[category] if category else "",
                a.due_date,
                a.days_late(today),
                last_progress.get(a.id, ""),
                evidence_counts.get(a.id, 0),
            ]
        )
    return _sheet(_("Follow-ups"), header, rows, [40, 12, 5, 50, 40, 18, 14, 18, 22, 24, 12, 10, 40, 10])


def _translated(labels: dict) -> dict:
    return {code: str(label) for code, label in labels.items()}


def compliance_sheet(rows, opd_label) -> bytes:
    """One row per OPD of the compliance table; `opd_label(row)` names its OPD as the reader does."""
    header = [
        _("OPD"),
        _("Name"),
        _("Total"),
        _("Done"),
        _("In progress"),
        _("Overdue"),
        _("Not yet acknowledged"),
        _("Median days to acknowledge"),
        _("Median days late"),
        _("Follow-up rate"),
    ]
    data = [
        [
            opd_label(r),
            r.name,
            r.total,
            r.done,
            r.in_progress,
            r.overdue,
            r.unacknowledged,
            r.median_ack_days,
            r.median_late_days,
            round(r.rate, 4) if r.rate is not None else None,
        ]
        for r in rows
    ]
    return _sheet(_("Compliance"), header, data, [16, 40, 8, 8, 12, 10, 16, 18, 14, 12], percent_columns={10})


# --- PDF -----------------------------------------------------------------------------------------------


HEADER_SIZES = (8.5, 8, 7.5, 7)  # pt: a table's header takes the largest at which every word fits its column
CELL_PADDING = (0.6, 1.5)  # mm above and below, left and right: text keeps clear of the cell's borders
HEADING_FILL = (226, 236, 234)
GROUP_STYLE = FontFace(emphasis="BOLD", fill_color=(242, 246, 245))
SIGNING_LINE = "." * 28
SIGNING_ROOM = 20  # mm between a signer's position and name


@dataclass(frozen=True)
class Group:
    """A heading row across a whole table, over the rows that follow it."""

    text: str


@dataclass(frozen=True)
class Signature:
    """The blank a person signs in a daftar hadir, with their number."""

    number: int


class Document(FPDF):
    """A4, a Unicode font, the owning government's letterhead on top and page numbers below."""

    LOGO_HEIGHT = 14  # mm

    def __init__(self, title: str, letterhead, orientation: str = "P"):
        super().__init__(orientation=orientation, unit="mm", format="A4")
        self.letterhead = letterhead
        fonts = Path(current_app.static_folder) / "fonts"
        self.add_font("DejaVu", "", str(fonts / "DejaVuSans.ttf"))
        self.add_font("DejaVu", "B", str(fonts / "DejaVuSans-Bold.ttf"))
        self.set_title(title)
        self.set_author(letterhead.name)
        self.set_creation_date(
            datetime(2000, 1, 1, tzinfo=UTC)
        )  # reproducible files; the date printed inside is what counts
        self.set_auto_page_break(auto=True, margin=18)
        self.set_margins(20, 18, 20)
        self.add_page()

    def header(self):
        top = self.get_y()
        if self.letterhead.logo:
            self.image(self.letterhead.logo, x=self.l_margin, y=top, h=self.LOGO_HEIGHT)
        self.set_font("DejaVu", "B", 9)
        self.set_text_color(90, 100, 110)
        self.cell(0, 6, self.letterhead.name, new_x="LMARGIN", new_y="NEXT", align="C")
        if self.letterhead.address:
            self.set_font("DejaVu", "", 8)
            self.multi_cell(0, 4.5, self.letterhead.address, align="C", new_x="LMARGIN", new_y="NEXT")
        if self.letterhead.logo:
            self.set_y(max(self.get_y(), top + self.LOGO_HEIGHT))
        self.ln(2)
        self.set_text_color(0, 0, 0)

    def footer(self):
        self.set_y(-13)
        self.set_font("DejaVu", "", 8)
        self.cell(0, 6, _("Page %(page)d of %(pages)s", page=self.page_no(), pages="{nb}"), align="C")

    def heading(self, text: str, size: int = 13):
        self.set_font("DejaVu", "B", size)
        self.multi_cell(0, 7, text, align="C", new_x="LMARGIN", new_y="NEXT")
        self.ln(2)

    def paragraph(self, text: str, size: int = 10, bold: bool = False):
        self.set_font("DejaVu", "B" if bold else "", size)
        self.multi_cell(0, 5.5, text, new_x="LMARGIN", new_y="NEXT")
        self.ln(1)

    def table(self, header: list[str], rows: list, widths: list[int], min_row_height: float | None = None):
        """A table across the text width, `widths` in proportion; its header row is repeated on every page, in the
        largest of HEADER_SIZES at which no header word is wider than its column (a word is never broken). A row
        is a list of cells (text, or a `Signature`), or a `Group` heading that spans every column."""
        size = next((s for s in HEADER_SIZES if not self.words_too_wide(header, widths, s)), HEADER_SIZES[-1])
        heading = FontFace(emphasis="BOLD", size_pt=size, fill_color=HEADING_FILL)
        with super().table(
            col_widths=widths,
            text_align="LEFT",
            line_height=5,
            padding=CELL_PADDING,
            first_row_as_headings=True,
            headings_style=heading,
            repeat_headings=1,
            min_row_height=min_row_height,
        ) as table:
            row = table.row()
            for cell in header:
                row.cell(cell)
            self.set_font("DejaVu", "", 8.5)
            for values in rows:
                row = table.row()
                if isinstance(values, Group):
                    row.cell(values.text, colspan=len(widths), style=GROUP_STYLE)
                    continue
                for cell in values:
                    if isinstance(cell, Signature):
                        # 1 on the left, 2 on the right, 3 on the left…: each signer has room beside the last.
                        row.cell(f"{cell.number}. {SIGNING_LINE}", align="L" if cell.number % 2 else "R", v_align="B")
                    else:
                        row.cell(str(cell))
        self.ln(3)

    def column_widths(self, widths: list[float]) -> list[float]:
        """What a table makes of `widths`: shares of the text width."""
        return [width * self.epw / sum(widths) for width in widths]

    def words_too_wide(self, texts: list[str], widths: list[float], size: float, style: str = "B") -> list[str]:
        """The words of each column's text that do not fit inside its cell at this font size: a table would break
        them mid-word."""
        self.set_font("DejaVu", style, size)
        room = [width - 2 * CELL_PADDING[1] - self.line_width for width in self.column_widths(widths)]
        return [
            word
            for text, width in zip(texts, room, strict=True)
            for word in text.split()
            if self.get_string_width(word) > width
        ]

    def signatures(self, signers: list["Signer"], place_date: str | None = None, known: "Signer | None" = None):
        """Signature blocks as Indonesian documents have them: the place and date above the right-hand one, each
        signer's caption and position, room to sign, the name bold and underlined, and the NIP under it; a
        "Mengetahui" block centred below. The blocks stay together on one page."""
        width = (self.w - self.l_margin - self.r_margin) / 2
        # Measured, not guessed: a position of three lines or a name that wraps makes the blocks taller.
        needed = 6 + max(self._lines_height(width, signer.lines()) for signer in signers) + 4
        if place_date:
            needed += self._lines_height(width, [(place_date, "")])
        if known is not None:
            needed += 6 + self._lines_height(width, known.lines())
        if self.get_y() + needed > self.page_break_trigger:
            self.add_page()
        self.ln(6)
        top = self.get_y()
        if place_date:
            self._signature_lines(self.l_margin + width, top, width, [(place_date, "")])
            top = self.get_y()
        columns = [self.l_margin, self.l_margin + width] if len(signers) > 1 else [self.l_margin + width]
        bottom = top
        for x, signer in zip(columns, signers, strict=False):
            self._signature_lines(x, top, width, signer.lines())
            bottom = max(bottom, self.get_y())
        if known is not None:
            self._signature_lines(self.l_margin + width / 2, bottom + 6, width, known.lines())
        self.set_x(self.l_margin)
        self.ln(4)

    def _lines_height(self, width: float, lines: list[tuple[str | None, str]]) -> float:
        """How tall _signature_lines prints these lines in a column this wide."""
        height = 0.0
        for text, style in lines:
            if text is None:
                height += SIGNING_ROOM
                continue
            self.set_font("DejaVu", style, 10)
            height += 5 * len(self.multi_cell(width, 5, text, align="C", dry_run=True, output="LINES"))
        return height

    def _signature_lines(self, x: float, y: float, width: float, lines: list[tuple[str, str]]) -> None:
        self.set_xy(x, y)
        for text, style in lines:
            if text is None:  # the room to sign
                self.set_xy(x, self.get_y() + SIGNING_ROOM)
                continue
            self.set_font("DejaVu", style, 10)
            self.multi_cell(width, 5, text, align="C", new_x="LEFT", new_y="NEXT")

    def facts(self, rows: list[tuple[str, str]], label_width: float = 38):
        """Label and value side by side ("Hari/tanggal : Selasa, 16 Desember 2025"), the value wrapping under itself."""
        self.set_font("DejaVu", "", 10)
        for label, value in rows:
            self.set_x(self.l_margin)
            self.cell(label_width, 5.5, label)
            self.cell(4, 5.5, ":")
            self.multi_cell(0, 5.5, value or "–", align="L", new_x="LMARGIN", new_y="NEXT")
        self.ln(2)

    def output_bytes(self) -> bytes:
        return bytes(self.output())


def _when(forum) -> str:
    """ "Pada hari Selasa tanggal 16 Desember 2025 pukul 09.00 WIB, secara daring melalui Zoom Meeting." """
    day, rest = formatting.long_date(forum.starts_at).split(", ", 1)
    return _(
        "On %(day)s, %(date)s, at %(time)s, %(mode)s.",
        day=day,
        date=rest,
        time=formatting.time_of_day(forum.starts_at),
        mode=mode_phrase(forum),
    )


def _attendance_rows(forum) -> list[list[str]]:
    return [
        [
            str(i),
            p.name,
            p.position or "",
            p.institution_name,
            str(PARTICIPANT_CATEGORY_LABELS[p.category]),
            str(ATTENDANCE_LABELS[p.attendance]),
        ]
        for i, p in enumerate(forum.participants, start=1)
    ]


ATTENDANCE_WIDTHS = [8, 45, 35, 45, 22, 20]


@dataclass(frozen=True)
class Signer:
    """One signature block: "Pimpinan Rapat," and the position, then the name (dots to fill in when unknown)
    and the NIP."""

    caption: str
    name: str | None = None
    position: str | None = None
    nip: str | None = None

    def lines(self) -> list[tuple[str | None, str]]:
        lines = [(self.caption, "")]
        if self.position:
            lines.append((self.position, ""))
        lines += [(None, ""), (self.name or "(.................................)", "BU")]
        if self.nip:
            lines.append((_("NIP. %(nip)s", nip=self.nip), ""))
        return lines


def _meeting_signers(forum) -> list[Signer]:
    return [
        Signer(_("Chair,"), forum.chair, forum.chair_position, forum.chair_nip),
        Signer(_("Minute-taker,"), forum.minute_taker, forum.minute_taker_position, forum.minute_taker_nip),
    ]


def _acknowledged_by(letterhead) -> Signer | None:
    names = letterhead.names
    return Signer(_("Acknowledged by,"), names.signer_name, names.signer_title, names.signer_nip) if names else None


def _place_date(letterhead, day) -> str:
    """ "Tangerang, 16 Desember 2025"."""
    written = formatting.day_month_year(day)
    return f"{letterhead.names.place}, {written}" if letterhead.names else written


def _on_day(forum) -> str:
    """ "Pada hari Selasa tanggal 16 Desember 2025 pukul 09.00 WIB"."""
    day, rest = formatting.long_date(forum.starts_at).split(", ", 1)
    return _("On %(day)s, %(date)s, at %(time)s", day=day, date=rest, time=formatting.time_of_day(forum.starts_at))


def mode_phrase(forum) -> str:
    """How the meeting was held: "secara luring di Ruang Rapat Bappeda", "secara daring melalui Zoom Meeting",
    "secara hybrid di Aula Bappeda dan melalui Zoom Meeting"."""
    venue = forum.venue if forum.mode != ForumMode.DARING else None
    platform = forum.online_platform if forum.mode != ForumMode.LURING else None
    base = {ForumMode.LURING: _("in person"), ForumMode.DARING: _("online"), ForumMode.HYBRID: _("in a hybrid format")}
    parts = [
        _("at %(venue)s", venue=venue) if venue else "",
        _("via %(platform)s", platform=platform) if platform else "",
    ]
    joined = (" " + _("and") + " ").join(p for p in parts if p)
    return f"{base[forum.mode]} {joined}".strip()


def kind_noun(forum) -> str:
    """The forum's kind as a sentence names it: "Focus Group Discussion (FGD)", and "rapat" for one of no kind
    ("Lainnya" reads as no meeting at all)."""
    return _("meeting") if forum.kind == ForumKind.OTHER else str(FORUM_KIND_LABELS[forum.kind])


def title_names_kind(forum) -> bool:
    """Whether the title starts with the kind ("FGD Pembahasan …", "Lokakarya …"): a sentence then names the
    kind once, not "FGD FGD Pembahasan"."""
    noun = kind_noun(forum)
    names = {noun, re.sub(r"\s*\(.*\)", "", noun), *re.findall(r"\(([^)]+)\)", noun)}
    title = forum.title.casefold()
    return any(
        title.startswith(name.casefold()) and not title[len(name) : len(name) + 1].isalnum() for name in names if name
    )


def _conclusions(document, recommendations) -> None:
    if not recommendations:
        return  # no heading over nothing
    document.paragraph(_("Conclusions"), bold=True)
    for recommendation in recommendations:
        document.paragraph(f"{recommendation.number}. {recommendation.text}")


def berita_acara(forum, letterhead, number: str | None, organiser: str) -> bytes:
    """The official record of a meeting the government held, under the secretariat's number (dots to fill in
    while it has none): who organised it, how it was held, its conclusions, and who signs it."""
    document = Document(_("Official record (Berita Acara)"), letterhead)
    document.heading(_("OFFICIAL RECORD (BERITA ACARA)"))
    document.paragraph(forum.title, bold=True)
    document.paragraph(_("Number: %(number)s", number=number or "...................."))
    present = sum(1 for p in forum.participants if p.attendance in PRESENT)
    document.paragraph(
        _(
            "%(when)s a %(kind)s was held %(mode)s, organised by %(organiser)s and attended by %(n)d participants "
            "as listed in the annex.",
            when=_on_day(forum),
            kind=kind_noun(forum),
            mode=mode_phrase(forum),
            organiser=organiser,
            n=present,
        )
    )
    if forum.agenda:
        document.paragraph(_("Agenda"), bold=True)
        document.paragraph(forum.agenda)
    _conclusions(document, forum.recommendations)
    document.paragraph(_("This record is made to be used as it should."))
    document.signatures(
        _meeting_signers(forum), _place_date(letterhead, forum.starts_at), known=_acknowledged_by(letterhead)
    )
    document.add_page()
    document.heading(_("Annex: attendance list"), 11)
    document.table(
        [_("No."), _("Name"), _("Position"), _("Institution"), _("Category"), _("Attendance")],
        _attendance_rows(forum),
        ATTENDANCE_WIDTHS,
    )
    return document.output_bytes()


def _meeting_facts(forum, organiser: str) -> list[tuple[str, str]]:
    return [
        (_("Day, date"), formatting.long_date(forum.starts_at)),
        (_("Time"), _time_span(forum)),
        (_("Venue"), mode_phrase(forum)),
        (_("Organiser"), organiser),
    ]


def _time_span(forum) -> str:
    start = formatting.time_of_day(forum.starts_at)
    return f"{start} – {formatting.time_of_day(forum.ends_at)}" if forum.ends_at else start


def notulen(forum, letterhead, organiser: str) -> bytes:
    """The minutes: the meeting's facts, the text, the conclusions, signed by the chair and the minute-taker."""
    document = Document(_("Minutes"), letterhead)
    document.heading(_("MINUTES (NOTULEN)"))
    document.paragraph(forum.title, bold=True)
    document.facts(
        [
            *_meeting_facts(forum, organiser),
            (_("Chair"), forum.chair or ""),
            (_("Minute-taker"), forum.minute_taker or ""),
        ]
    )
    document.paragraph(_plain(forum.minutes or _("No minutes yet.")))
    _conclusions(document, forum.recommendations)
    document.signatures(_meeting_signers(forum), _place_date(letterhead, forum.starts_at))
    return document.output_bytes()


def _sign_in_rows(forum) -> list[list]:
    """No, name, position, institution, phone and email, and the blank to sign; one who did not come has the
    reason in place of the blank. A forum with no one listed yet (the sheet printed before the meeting) gets
    numbered blank rows to fill in by hand, not a header over nothing."""
    rows = []
    for i, p in enumerate(forum.participants, start=1):
        contact = "\n".join(value for value in (p.phone, p.email) if value)
        signature = Signature(i) if p.attendance in PRESENT else f"({ATTENDANCE_LABELS[p.attendance]})"
        rows.append([str(i), p.name, p.position or "", p.institution_name, contact, signature])
    if not rows:
        rows = [[str(i), "", "", "", "", Signature(i)] for i in range(1, BLANK_SIGN_IN_ROWS + 1)]
    return rows


SIGN_IN_WIDTHS = [11, 55, 45, 58, 46, 42]  # landscape A4: 257 mm of text
SIGNING_HEIGHT = 13  # mm: a row tall enough to sign in
BLANK_SIGN_IN_ROWS = 20  # two landscape pages of rows for a list filled in by hand


def laporan_hasil_rapat(forum, letterhead, report, organiser: str, today: date, opd_label) -> bytes:
    """A nota dinas to the government's leadership on a meeting someone else held: to whom, from whom, about
    what; the meeting's facts and who of this government attended; the points that concern it; its OPDs' tasks;
    signed by the head of its secretariat. `report` is reports.services.MeetingReport."""
    names = letterhead.names
    kind = kind_noun(forum)
    if title_names_kind(forum):
        subject = _("Report on %(title)s", title=forum.title)
    else:
        subject = _("Report on the %(kind)s %(title)s", kind=kind[:1].upper() + kind[1:], title=forum.title)
    document = Document(_("Meeting report (Laporan Hasil Rapat)"), letterhead)
    document.heading(_("OFFICE MEMO (NOTA DINAS)"))
    document.facts(
        [
            (_("To"), names.head_title),
            (_("From"), names.secretariat),
            (_("Date"), formatting.day_month_year(today)),
            (_("Number"), "...................."),
            (_("Subject"), subject),
        ]
    )
    document.line(document.l_margin, document.get_y(), document.w - document.r_margin, document.get_y())
    document.ln(3)
    document.paragraph(_("We report on the %(kind)s that we attended, as follows.", kind=kind))
    document.paragraph(_("1. The meeting"), bold=True)
    document.facts(
        [(_("Title"), forum.title), *_meeting_facts(forum, organiser), (_("Attended by"), _attendees(report))]
    )
    document.paragraph(_("2. Points that concern us"), bold=True)
    for recommendation in report.points:
        document.paragraph(f"{recommendation.number}. {recommendation.text}")
    document.paragraph(_("3. Proposed follow-ups"), bold=True)
    if report.tasks:
        document.table(
            [_("No."), _("OPD"), _("Follow-up"), _("Due date")],
            [
                [str(i), opd_label(a.opd), a.action.title, formatting.short_date(a.due_date)]
                for i, a in enumerate(report.tasks, start=1)
            ],
            [10, 35, 95, 30],
        )
    else:
        document.paragraph(_("No follow-up was given to us; we propose to inform the OPDs concerned."))
    document.paragraph(_("This report is submitted for your attention. Thank you."))
    document.signatures(
        [Signer(f"{names.signer_title},", names.signer_name, None, names.signer_nip)], _place_date(letterhead, today)
    )
    return document.output_bytes()


def _attendees(report) -> str:
    people = [f"{p.name}{f', {p.position}' if p.position else ''} ({p.opd.name})" for p in report.attendees]
    return "; ".join(people) or _("nobody of ours is on the attendance list")


def daftar_hadir(forum, letterhead) -> bytes:
    document = Document(_("Attendance list"), letterhead, orientation="L")
    document.heading(_("ATTENDANCE LIST (DAFTAR HADIR)"))
    document.paragraph(forum.title, bold=True)
    document.paragraph(_when(forum))
    document.table(
        [_("No."), _("Name"), _("Position"), _("Institution"), _("Phone/Email"), _("Signature")],
        _sign_in_rows(forum),
        SIGN_IN_WIDTHS,
        min_row_height=SIGNING_HEIGHT,
    )
    return document.output_bytes()


SUMMARY_WIDTHS = [11, 85, 30, 24, 32, 30, 24, 21]  # landscape A4: 257 mm of text


def rekapitulasi(title: str, assignments, today: date, letterhead, opd_label) -> bytes:
    """The follow-ups under the recommendation each answers, in its number's order, then the totals per BPK
    category."""
    document = Document(_("Follow-up summary"), letterhead, orientation="L")
    document.heading(_("FOLLOW-UP SUMMARY (REKAPITULASI TINDAK LANJUT)"))
    document.paragraph(title, bold=True)
    document.paragraph(_("As of %(date)s", date=formatting.long_date(today)))
    totals = {category: 0 for category in BpkCategory}
    roles = _translated(ASSIGNMENT_ROLE_LABELS)
    ordered = sorted(assignments, key=_recommendation_order)
    several_forums = len({a.action.recommendation.forum_id for a in ordered}) > 1
    rows = []
    heading, number = None, 0
    for a in ordered:
        recommendation = a.action.recommendation
        if recommendation.id != heading:
            heading, number = recommendation.id, 0
            text = _("Recommendation %(n)d: %(text)s", n=recommendation.number, text=recommendation.text)
            rows.append(Group(f"{recommendation.forum.title} · {text}" if several_forums else text))
        number += 1
        category = BPK_CATEGORY[a.status]
        if category:
            totals[category] += 1
        late = a.days_late(today)
        rows.append(
            [
                f"{recommendation.number}.{number}",
                a.action.title,
                opd_label(a.opd),
                roles[a.role],
                str(STATUS_LABELS[a.status]),
                str(BPK_LABELS[category]) if category else "–",
                formatting.short_date(a.due_date),
                str(late) if late else "",
            ]
        )
    document.table(
        [_("No."), _("Follow-up"), _("OPD"), _("Role"), _("Status"), _("BPK category"), _("Due"), _("Days late")],
        rows,
        SUMMARY_WIDTHS,
    )
    document.paragraph(_("Totals per BPK category"), bold=True)
    document.table([_("BPK category"), _("Tasks")], [[str(BPK_LABELS[c]), str(n)] for c, n in totals.items()], [80, 30])
    return document.output_bytes()


def _recommendation_order(assignment):
    """A forum's recommendations by number, each one's follow-ups as made, the lead OPD before the supporting."""
    recommendation = assignment.action.recommendation
    forum = recommendation.forum
    lead_first = assignment.role != AssignmentRole.LEAD
    return (
        forum.starts_at,
        forum.id,
        recommendation.number,
        recommendation.id,
        assignment.action_id,
        lead_first,
        assignment.id,
    )


LIST_ITEM = re.compile(r"\s*([-*+]|\d+[.)])\s")


def _plain(markdown_text: str) -> str:
    """Minutes are Markdown; the PDF shows them as text without the markup characters. An indented line under a
    list item continues it (a report pasted with its line breaks): it joins the item, which the page's width
    wraps, instead of leaving half-empty lines."""
    text = re.sub(r"(\*\*|__|\*|_)(.+?)\1", r"\2", markdown_text.replace("\r\n", "\n"))
    text = re.sub(r"^#+\s*", "", text, flags=re.M)
    lines: list[str] = []
    for line in text.split("\n"):
        continues = line[:1] in (" ", "\t") and line.strip() and not LIST_ITEM.match(line)
        if continues and lines and lines[-1].strip():
            lines[-1] = f"{lines[-1].rstrip()} {line.strip()}"
        else:
            lines.append(line)
    return "\n".join(lines)


# --- iCalendar -----------------------------------------------------------------------------------------


def calendar(name: str, deadlines, forums, link, opd_label) -> bytes:
    """Deadlines as all-day events and forums as timed events; `link(kind, id)` builds their URLs and
    `opd_label(opd)` names an OPD as the feed's owner does."""
    cal = Calendar()
    cal.add("prodid", "-//Kawal//Tindak Lanjut//ID")
    cal.add("version", "2.0")
    cal.add("x-wr-calname", name)
    for a in deadlines:
        event = Event()
        event.add("uid", f"assignment-{a.id}@kawal")
        event.add("summary", f"[{opd_label(a.opd)}] {a.action.title}")
        event.add("dtstart", a.due_date)
        if a.due_date < date.max:  # without DTEND an all-day event is that one day (RFC 5545); no date follows
            event.add("dtend", a.due_date + timedelta(days=1))
        event.add("description", f"{a.action.recommendation.forum.title}\n{link('assignment', a.id)}")
        event.add("url", link("assignment", a.id))
        cal.add_component(event)
    for forum in forums:
        event = Event()
        event.add("uid", f"forum-{forum.id}@kawal")
        event.add("summary", forum.title)
        event.add("dtstart", forum.starts_at)
        event.add("dtend", forum.ends_at or forum.starts_at + timedelta(hours=2))
        event.add("location", forum.venue or "")
        event.add("url", link("forum", forum.id))
        cal.add_component(event)
    return cal.to_ical()
