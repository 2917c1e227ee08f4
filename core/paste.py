"""Text pasted from minutes, reports and spreadsheets, split into what it lists: the items of a numbered or
bulleted list (`split_items`), or the cells of rows copied from a spreadsheet (`split_rows`). Pure functions: they
read no database and never raise on any text."""

import re

from core.text import without_controls

# A list marker at the start of a line: "1.", "1)", "(1)", "1.2.", "a.", "a)", "(a)", "iv.", "•", "-", "*", "–".
# A number or letter followed by "." or ")" needs a space (or an upper-case letter, "1.Pembentukan") after it, so
# that "3.5 juta" or "dr. Ani" on a wrapped line do not start an item; a bullet needs a space, or is "•".
MARKER = re.compile(
    r"""^\s*(?:
        (?:\(\s*(?:\d{1,3}|[a-zA-Z]|[ivxlc]{1,6}|[IVXLC]{1,6})\s*\)       # (1) (a) (iv)
          |(?:\d{1,3}(?:\.\d{1,3})*|[a-zA-Z]|[ivxlc]{2,6}|[IVXLC]{2,6})[.)]  # 1. 1) 1.2. a. A) iv. IV.
        )(?=\s|[A-Z]|$)
        |[•●○◦▪■□►▸➢➤✓✔‣⁃❖◆◇♦➔➜→⇒»·★☆✦]                            # bullets of word processors
        |[-*–—+](?=\s|$)                                            # dashes and asterisks
    )\s*""",
    re.VERBOSE,
)
# A heading above the list, not an item of it, when it stands alone without a colon.
HEADINGS = {
    "kesimpulan",
    "rekomendasi",
    "kesimpulan dan rekomendasi",
    "rekomendasi dan kesimpulan",
    "hasil rapat",
    "hasil kesepakatan",
    "kesepakatan",
    "rencana tindak lanjut",
    "rencana tindaklanjut",
    "tindak lanjut",
    "rtl",
    "conclusions",
    "recommendations",
    "conclusions and recommendations",
    "follow-ups",
    "follow-up",
    "agreements",
}
# The end of a sentence: a line after it that starts in capitals is a new paragraph, not a wrapped line.
SENTENCE_END = re.compile(r"[.!?]['\")]?$")
# What ends an item inside a sentence-long list: "…;", "…; dan", "…, and".
LIST_GLUE = re.compile(r"\s*[;,]\s*(?:dan|serta|atau|and|or)?\s*$", re.IGNORECASE)


# Characters a web page or a word processor leaves in copied text, unseen: a byte-order mark, zero-width spaces
# and joiners, and the soft hyphen. At a line's start they would hide its list marker.
INVISIBLE = re.compile("[\ufeff\u200b\u200c\u200d\u2060\u00ad]")


def lines_of(text: str) -> list[str]:
    """The text's lines, with Windows and old Mac line ends, control characters, invisible characters and
    non-breaking spaces made plain."""
    text = INVISIBLE.sub("", without_controls(text or "")).replace("\r\n", "\n").replace("\r", "\n")
    return [line.replace("\u00a0", " ").replace("\t", " ").rstrip() for line in text.split("\n")]


def _is_heading(line: str) -> bool:
    words = re.sub(r"\s+", " ", line).strip().rstrip(":;.").strip().lower()
    return line.rstrip().endswith(":") or words in HEADINGS


def _clean(parts: list[str]) -> str:
    text = ""
    for part in parts:
        part = part.strip()
        if not part:
            continue
        # A word broken at the line's end ("lintas-" / "sektor") joins without a space.
        text = f"{text}{part}" if text.endswith("-") and part[:1].islower() else f"{text} {part}"
    return LIST_GLUE.sub("", re.sub(r"\s+", " ", text).strip())


def split_items(text: str) -> list[str]:
    """The items a pasted list holds, in order, each on one line without its marker. A line with a marker starts
    an item; a line without one continues the item above (a wrapped line) unless it starts a new sentence after a
    finished one, or a new paragraph after a blank line. Without any marker, each paragraph is an item (each line,
    when no paragraph spans lines). A heading ("Kesimpulan:") and an introduction ending in ":" or ";" before the
    first marker are not items."""
    lines = lines_of(text)
    while lines and not lines[0].strip():
        lines.pop(0)
    if lines and not MARKER.match(lines[0]) and _is_heading(lines[0]):
        lines.pop(0)
    markers = [bool(MARKER.match(line)) for line in lines]
    if any(markers):
        first = markers.index(True)
        intro = [line for line in lines[:first] if line.strip()]
        if intro and intro[-1].rstrip().endswith((":", ";")):
            lines, markers = lines[first:], markers[first:]
        items = _marked(lines, markers)
    else:
        items = _unmarked(lines)
    return [item for item in (_clean(parts) for parts in items) if item]


def _marked(lines: list[str], markers: list[bool]) -> list[list[str]]:
    items: list[list[str]] = []
    blank = True
    for line, marked in zip(lines, markers, strict=True):
        if not line.strip():
            blank = True
            continue
        indented = line[:1].isspace()
        if marked:
            items.append([MARKER.sub("", line, count=1)])
        elif items and (indented or not blank) and _continues(items[-1], line):
            items[-1].append(line)
        else:
            items.append([line])
        blank = False
    return items


def _continues(item: list[str], line: str) -> bool:
    """Whether an unmarked line goes on with the item above: it is indented, starts in lower case, or the item
    has not finished its sentence."""
    last = next((part.strip() for part in reversed(item) if part.strip()), "")
    return line[:1].isspace() or not line.strip()[:1].isupper() or not SENTENCE_END.search(last)


def _unmarked(lines: list[str]) -> list[list[str]]:
    paragraphs: list[list[str]] = [[]]
    for line in lines:
        if line.strip():
            paragraphs[-1].append(line)
        elif paragraphs[-1]:
            paragraphs.append([])
    paragraphs = [p for p in paragraphs if p]
    if len(paragraphs) > 1 and any(len(p) > 1 for p in paragraphs):
        return paragraphs
    # One line per item; a line that starts in lower case is the line above wrapped.
    items: list[list[str]] = []
    for line in (line for p in paragraphs for line in p):
        if items and line.strip()[:1].islower():
            items[-1].append(line)
        else:
            items.append([line])
    return items


# --- rows copied from a spreadsheet --------------------------------------------------------------------

SEPARATORS = ("\t", "|", ";")
# A Markdown table's rule line, "|---|:---:|".
RULE = re.compile(r"^[\s|:+-]*-{3,}[\s|:+-]*$")


def split_rows(text: str) -> list[tuple[int, list[str]]]:
    """The non-blank lines of rows copied from a spreadsheet, as (line number, cells): cells are separated by
    tabs (Excel, Google Sheets), or else by "|" or ";", whichever most lines have. Cells are trimmed; a
    Markdown table's outer bars and rule line are dropped."""
    lines = [
        (number, line)
        for number, line in enumerate(
            (INVISIBLE.sub("", without_controls(raw)).replace("\u00a0", " ").rstrip() for raw in _raw_lines(text)), 1
        )
        if line.strip() and not RULE.match(line)
    ]
    separator = max(SEPARATORS, key=lambda sep: (sum(sep in line for _, line in lines), sep == "\t"))
    if not any(separator in line for _, line in lines):
        return [(number, [line.strip()]) for number, line in lines]
    rows = []
    for number, line in lines:
        if separator == "|":
            line = line.strip().removeprefix("|").removesuffix("|")
        rows.append((number, [re.sub(r"\s+", " ", cell).strip() for cell in line.split(separator)]))
    return rows


def _raw_lines(text: str) -> list[str]:
    return (text or "").replace("\r\n", "\n").replace("\r", "\n").split("\n")
