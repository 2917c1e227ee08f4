"""Reading a spreadsheet (.xlsx or .csv) into rows of named columns, safely: streamed, bounded in size, rows and
columns, in UTF-8 or Windows' encoding. Each import (the attendance list, the onboarding of governments) says which
header spellings name which column, and which column a header must have.
"""

import csv
import io
import re
from collections.abc import Iterator, Sequence
from contextlib import closing
from dataclasses import dataclass
from itertools import chain, islice

from flask_babel import lazy_gettext as _l

from core.errors import Invalid
from core.text import without_controls

ALLOWED_EXTENSIONS = {".csv", ".xlsx"}
# Lists often start with a title: the header is looked for among the first rows.
HEADER_SEARCH_ROWS = 15
# Real lists have a dozen columns; a sheet that claims 16,384 would make every row that wide.
MAX_COLUMNS = 50
# Blank lines between and after the rows are skipped, but not without end: past this many lines per allowed row,
# the file is refused like one with too many rows.
LINES_PER_ROW = 2
# openpyxl parses a workbook's other parts whole before the first row (shared strings, styles, the workbook):
# what they may unpack to. A real list's take a few hundred kilobytes; deflate packs a thousand to one.
MAX_PARTS_UNPACKED = 16 * 1024 * 1024


@dataclass(frozen=True)
class Layout:
    """What one kind of import reads: {column: header spellings}, the column a header row must have, and what to
    say when the file is of the wrong type, has no rows, or no such header. Spellings are compared by
    header_key(), so "No. HP", "no hp" and "NO_HP" are one. `ignored` are headers known and knowingly not read
    (a Google Forms timestamp, a signature column)."""

    columns: dict[str, set[str]]
    required: str
    wrong_type: object
    no_rows: object
    no_header: object
    ignored: frozenset[str] = frozenset()

    def column_of(self, header) -> str | None:
        """The column a header names, IGNORED for one knowingly not read, None for one unknown."""
        return header_columns(self).get(header_key(header))


IGNORED = "-"
# A column of the file whose header Kawal does not know is kept, under this prefix and its position, until the
# user says what it is.
UNKNOWN_PREFIX = "?"


def header_columns(layout: Layout) -> dict[str, str]:
    """{header_key of a spelling: the column it names, or IGNORED}."""
    index = {header_key(spelling): IGNORED for spelling in layout.ignored}
    for name, spellings in layout.columns.items():
        index.update({header_key(spelling): name for spelling in spellings})
    return index


def key(text) -> str:
    return re.sub(r"[\s_]+", " ", str(text or "")).strip().lower()


def header_key(text) -> str:
    """A header (or a word of a drop-down) reduced to its letters and digits: case, spaces and punctuation do not
    matter, so "Instansi/Unit Kerja" is "instansiunitkerja" and "No. HP" is "nohp"."""
    return "".join(re.findall(r"[^\W_]+", str(text or "").lower()))


@dataclass
class Sheet:
    """A file as read: its data rows as (line number, {column: text}), with the cells of each unknown column
    under its UNKNOWN_PREFIX key; the unknown headers as (key, header text); the headers knowingly ignored; and
    {column: header text} of the known columns."""

    rows: list[tuple[int, dict[str, str]]]
    unknown: list[tuple[str, str]]
    ignored: list[str]
    headers: dict[str, str]


def read_table(
    filename: str, data: bytes, layout: Layout, *, max_bytes: int, max_rows: int
) -> list[tuple[int, dict[str, str]]]:
    """The file's data rows as (line number, {column: text}), known columns only; raises Invalid with a clear
    message."""
    sheet = read_sheet(filename, data, layout, max_bytes=max_bytes, max_rows=max_rows)
    rows = []
    for line, record in sheet.rows:
        known = {name: value for name, value in record.items() if name in layout.columns}
        if any(known.values()):
            rows.append((line, known))
    if not rows:
        raise Invalid(layout.no_rows, field="file")
    return rows


def read_sheet(filename: str, data: bytes, layout: Layout, *, max_bytes: int, max_rows: int) -> Sheet:
    """The file's rows with its unknown columns kept (see Sheet); raises Invalid with a clear message."""
    extension = "." + filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if extension == ".xls":
        raise Invalid(_l("Old Excel files (.xls) cannot be read. Save the list as .xlsx or .csv."), field="file")
    if extension not in ALLOWED_EXTENSIONS:
        raise Invalid(layout.wrong_type, field="file")
    if not data:
        raise Invalid(_l("The file is empty."), field="file")
    if len(data) > max_bytes:
        raise Invalid(_l("The file is larger than %(mb).1f MB.", mb=max_bytes / 1024 / 1024), field="file")
    lines = _xlsx_lines(data) if extension == ".xlsx" else _csv_lines(data)
    with closing(lines):  # stopping early must still close the workbook
        return _records(lines, layout, max_rows)


def _records(lines: Iterator[Sequence], layout: Layout, max_rows: int) -> Sheet:
    """Read lines only until the answer is known: a file past the limit is refused after limit + 1 rows, so
    a small file that unpacks to a million rows costs no more than one with a thousand."""
    head = list(islice(lines, HEADER_SEARCH_ROWS))
    header_index, columns, headers, unknown, ignored = _find_header(head, layout)
    rows = []
    too_many = Invalid(_l("The file has more than %(n)d rows.", n=max_rows), field="file")
    header_row = head[header_index]
    header = {name: header_key(header_row[i]) if i < len(header_row) else "" for name, i in columns.items()}
    for read, cells in enumerate(chain(head[header_index + 1 :], lines), start=1):
        if read > LINES_PER_ROW * max_rows:
            raise too_many
        record = {name: text(cells[i]) if i < len(cells) else "" for name, i in columns.items()}
        # A row that says the header again (a header cell merged over two rows, a header repeated on each page
        # of a printed list), or whose required cell does (a two-line header: "Nama" merged down beside
        # sub-headers), is no row of data.
        required = record.get(layout.required)
        if all(header_key(value) == header[name] for name, value in record.items() if value) or (
            required and header_key(required) == header[layout.required]
        ):
            continue
        # A row whose only values are merged down from above (a merge reaching past the last person) is empty.
        own = any(
            record[name] and not isinstance(cells[i], FilledDown) for name, i in columns.items() if i < len(cells)
        )
        if own:
            if len(rows) == max_rows:
                raise too_many
            rows.append((header_index + 1 + read, record))  # the line number the spreadsheet shows
    if not rows:
        raise Invalid(layout.no_rows, field="file")
    return Sheet(rows=rows, unknown=unknown, ignored=ignored, headers=headers)


class FilledDown:
    """The value of a cell merged down over several rows, in a row below its first: read as the value, but no
    sign of a row of data by itself."""

    __slots__ = ("value",)

    def __init__(self, value):
        self.value = value

    def __str__(self) -> str:
        return text(self.value)


def text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return without_controls(str(value)).strip()


def _xlsx_lines(data: bytes) -> Iterator[Sequence]:
    """The first visible sheet's rows, read as they are asked for (openpyxl's streaming reader), with the value
    of a cell merged down over several rows (an institution beside each of its people) in each of those rows."""
    if not data.startswith(b"PK"):
        raise Invalid(_l("This file is not a real .xlsx workbook."), field="file")
    workbook = None
    try:
        workbook, sheet, merges = _open_first_sheet(data)
        yield from _filled_down(sheet.iter_rows(max_col=MAX_COLUMNS, values_only=True), merges)
    except Invalid:
        raise
    except Exception as error:  # openpyxl raises many kinds for a damaged file; all mean the same to the user
        raise Invalid(
            _l("The workbook could not be read (%(reason)s).", reason=type(error).__name__), field="file"
        ) from None
    finally:
        if workbook is not None:
            workbook.close()


def _open_first_sheet(data: bytes):
    """The workbook (to close) and its first worksheet, read-only and not read yet.

    openpyxl's load_workbook() sizes every read-only sheet when it opens it: from the <dimension> the sheet
    declares or, when it declares none, by parsing the whole sheet. The size is not needed, and not to be
    trusted either (too small hides rows, too large pads every row to 16,384 cells), so the sheet is opened
    here without it, and rows are as long as they are, up to MAX_COLUMNS.
    """
    # On first use: a web worker that never imports a list keeps 16 MB.
    from openpyxl.reader.excel import ExcelReader
    from openpyxl.worksheet._read_only import ReadOnlyWorksheet
    from openpyxl.xml.constants import ARC_CONTENT_TYPES, WORKSHEET_TYPE

    class UnsizedSheet(ReadOnlyWorksheet):
        def _get_size(self):
            pass

    class SheetlessReader(ExcelReader):
        def read_worksheets(self):
            pass

    reader = SheetlessReader(io.BytesIO(data), read_only=True, data_only=True)
    # A zip member's declared size bounds what reading it gives (zipfile stops there), so it can be trusted.
    sizes = {member.filename: member.file_size for member in reader.archive.infolist()}
    too_large = Invalid(_l("The workbook is too large once unpacked."), field="file")
    if sizes.get(ARC_CONTENT_TYPES, 0) > MAX_PARTS_UNPACKED:
        raise too_large
    reader.read_manifest()  # which parts are sheets: those are streamed, every other part is read whole
    sheets = {part.PartName.lstrip("/") for part in reader.package.Override if part.ContentType == WORKSHEET_TYPE}
    if sum(size for name, size in sizes.items() if name not in sheets) > MAX_PARTS_UNPACKED:
        raise too_large
    reader.read()
    worksheets = [
        (entry, relation)
        for entry, relation in reader.parser.find_sheets()
        if relation.target in reader.valid_files and "chartsheet" not in relation.Type
    ]
    # A hidden sheet (the lists behind a form's drop-downs, an old copy) is not the list its user sees.
    visible = [(entry, relation) for entry, relation in worksheets if entry.state not in ("hidden", "veryHidden")]
    for entry, relation in visible or worksheets:
        merges = _vertical_merges(reader.archive, relation.target, sizes.get(relation.target, 0))
        return reader.wb, UnsizedSheet(reader.wb, entry.name, relation.target, reader.shared_strings), merges
    reader.wb.close()
    raise Invalid(_l("The file is empty."), field="file")


# <mergeCell ref="D5:D7"/>, which a sheet's XML lists after its rows.
MERGE_CELL = re.compile(rb'<(?:\w+:)?mergeCell\b[^>]*?\bref="([A-Z]{1,3})([0-9]{1,7}):([A-Z]{1,3})([0-9]{1,7})"')


def _vertical_merges(archive, path: str, size: int) -> dict[int, list[tuple[int, int, int]]]:
    """{row: [(column, first row, last row)]} of the sheet's cells merged over several rows, by the row each
    starts on (columns counted from 0, rows from 1). A sheet larger than MAX_PARTS_UNPACKED is not scanned: its
    merged cells stay as openpyxl reads them, the value in the first row only."""
    from openpyxl.utils import column_index_from_string

    if size > MAX_PARTS_UNPACKED:
        return {}
    merges: dict[int, list[tuple[int, int, int]]] = {}
    with archive.open(path) as source:
        tail = b""
        while chunk := source.read(1024 * 1024):
            block = tail + chunk
            for match in MERGE_CELL.finditer(block):
                first_column, first_row, _, last_row = match.groups()
                first, last = int(first_row), int(last_row)
                merge = (column_index_from_string(first_column.decode()) - 1, first, last)
                if last > first and merge[0] < MAX_COLUMNS and merge not in merges.get(first, ()):
                    merges.setdefault(first, []).append(merge)
            tail = block[-200:]  # a tag cut between two chunks is found whole in the next block
    return merges


def _filled_down(rows: Iterator[Sequence], merges: dict[int, list[tuple[int, int, int]]]) -> Iterator[Sequence]:
    """The rows with each cell merged down over several rows holding its value in every one of them."""
    if not merges:
        yield from rows
        return
    open_merges: list[tuple[int, int, object]] = []  # (column, last row, value)
    for number, row in enumerate(rows, start=1):
        open_merges = [merge for merge in open_merges if merge[1] >= number]
        cells = list(row)
        for column, _, value in open_merges:
            if column < len(cells) and cells[column] is None:
                cells[column] = FilledDown(value)
            elif column >= len(cells):
                cells += [None] * (column - len(cells)) + [FilledDown(value)]
        for column, _, last in merges.get(number, ()):
            if column < len(cells) and cells[column] is not None:
                open_merges.append((column, last, cells[column]))
        yield cells


def _csv_lines(data: bytes) -> Iterator[Sequence]:
    """The rows of a CSV in UTF-8 or in Windows' encoding (what Excel writes), sniffing , ; or tab."""
    text = _decode(data)
    if "\x00" in text:
        raise Invalid(_l("This file is not a text CSV file."), field="file")
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    # newline="" lets the reader take \r\n, \n and a lone \r (old Mac files) as line ends, quoted ones included.
    try:
        yield from csv.reader(io.StringIO(text, newline=""), dialect)
    except csv.Error as error:  # a quoted field past the reader's limit, a stray line break inside a field, …
        raise Invalid(
            _l(
                "This CSV file could not be read: a cell is too long or a quote is not closed. In Excel, save the "
                'list as "CSV UTF-8" and upload it again.'
            ),
            field="file",
        ) from error


def _decode(data: bytes) -> str:
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise Invalid(
        _l('The file\'s text could not be read. In Excel, save the list as "CSV UTF-8" and upload it again.'),
        field="file",
    )


def _find_header(grid: list[list], layout: Layout) -> tuple[int, dict, dict, list[tuple[str, str]], list[str]]:
    """Find the header among the first rows (lists often start with a title) and map its columns: the known
    ones, the unknown ones (kept by position: a second column of a known name is one), the ignored headers. When
    no row names the required column as Kawal spells it, the first header that holds one of its spellings as
    words ("Nama/NIP", "Nama Peserta Rapat") is taken for it."""
    index_of = header_columns(layout)
    for loose in (False, True):
        for index, cells in enumerate(grid[:HEADER_SEARCH_ROWS]):
            found = _map_header(cells, index_of, layout, loose)
            if found is not None:
                return (index, *found)
    if not any(any(text(c) for c in row) for row in grid):
        raise Invalid(_l("The file is empty."), field="file")
    raise Invalid(layout.no_header, field="file")


def _words(text: str) -> str:
    """The text's words, lower-case and single-spaced, between spaces: " nama nip "."""
    return " " + " ".join(re.findall(r"[^\W_]+", text.lower())) + " "


def _holds_spelling(header: str, spellings) -> bool:
    """Whether one of the spellings stands in the header as whole words."""
    words = _words(header)
    return any(_words(spelling) in words for spelling in spellings)


def _loosely_required(header: str, layout: Layout) -> bool:
    """Whether the header holds a spelling of the required column and of no other ("Nama/NIP" does, "Nama OPD"
    names an institution)."""
    others = (
        spelling for column, spellings in layout.columns.items() if column != layout.required for spelling in spellings
    )
    return _holds_spelling(header, layout.columns[layout.required]) and not _holds_spelling(header, others)


def _map_header(cells, index_of: dict[str, str], layout: Layout, loose: bool):
    """(columns, headers, unknown, ignored) of a row that is the header, or None."""
    columns, headers, unknown, ignored = {}, {}, [], []
    for position, cell in enumerate(cells):
        header = text(cell)
        if not header:
            continue
        name = index_of.get(header_key(header))
        if name is None and loose and layout.required not in columns and _loosely_required(header, layout):
            name = layout.required
        if name == IGNORED:
            ignored.append(header)
        elif name is None or name in columns:
            unknown.append((f"{UNKNOWN_PREFIX}{position}", header))
        else:
            columns[name], headers[name] = position, header
    if layout.required not in columns:
        return None
    columns.update({column: int(column[len(UNKNOWN_PREFIX) :]) for column, _ in unknown})
    return columns, headers, unknown, ignored
