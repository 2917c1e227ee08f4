"""PDF pages looked at as a person does: pdftoppm renders each page as an image, and `overflows` finds text that
leaves its cell (ink touching or crossing a table's column border) or the page's text area (ink in a side margin).

The tables draw black one-pixel borders and keep 1.5 mm of padding (reports/exports.py: CELL_PADDING), about three
pixels at 50 dpi: so the pixel next to a border is blank unless text runs into it."""

import shutil
import subprocess
import tempfile
from pathlib import Path

from PIL import Image

from tests.conftest import require_or_skip

DPI = 50
INK = 200  # a pixel darker than this is ink: text or a line
MARGIN_MM = 20  # the documents' left and right margins (reports/exports.py: Document)
LINE_SHARE = 0.3  # a row of the image is a table's horizontal border when it holds a run of ink this long


def pages(data: bytes) -> list[Image.Image]:
    """Each page of the PDF as a greyscale image, rendered by `pdftoppm -r 50 -png`."""
    if shutil.which("pdftoppm") is None:
        require_or_skip("pdftoppm (poppler-utils) is not installed")
    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder) / "document.pdf"
        source.write_bytes(data)
        subprocess.run(["pdftoppm", "-r", str(DPI), "-png", source, Path(folder) / "page"], check=True, timeout=60)
        return [Image.open(path).convert("L") for path in sorted(Path(folder).glob("page-*.png"))]


class _Ink:
    def __init__(self, image: Image.Image):
        self.width, self.height = image.size
        data = image.tobytes()
        self.rows = [[value < INK for value in data[y * self.width : (y + 1) * self.width]] for y in range(self.height)]

    def longest_run(self, y: int) -> int:
        best = run = 0
        for inked in self.rows[y]:
            run = run + 1 if inked else 0
            best = max(best, run)
        return best


def _groups(numbers: list[int]) -> list[tuple[int, int]]:
    """Adjacent numbers as (first, last): a line drawn over two pixels is one line."""
    groups: list[tuple[int, int]] = []
    for n in numbers:
        if groups and n == groups[-1][1] + 1:
            groups[-1] = (groups[-1][0], n)
        else:
            groups.append((n, n))
    return groups


def table_borders(image: Image.Image) -> list[tuple[range, list[tuple[int, int]]]]:
    """Each table row band of the page (the pixel rows between two horizontal borders) with its vertical borders
    (first and last pixel column of each); a band without vertical borders is text between two tables."""
    ink = _Ink(image)
    lines = _groups([y for y in range(ink.height) if ink.longest_run(y) >= LINE_SHARE * ink.width])
    found = []
    for (_, above), (below, _) in zip(lines, lines[1:], strict=False):
        band = range(above + 2, below - 1)  # a table row's inside, clear of its top and bottom borders
        if len(band) < 2:
            continue
        borders = _groups([x for x in range(ink.width) if all(ink.rows[y][x] for y in band)])
        if borders:
            found.append((band, borders))
    return found


def overflows(image: Image.Image, margin_mm: float = MARGIN_MM) -> list[str]:
    """Where ink is where no text may be: in a side margin, or right beside a table's vertical border."""
    ink = _Ink(image)
    problems = []
    margin = margin_mm / 25.4 * DPI
    left, right = int(margin), int(ink.width - margin) + 1  # a border drawn on the margin may round either way
    for y, row in enumerate(ink.rows):
        outside = [x for x, inked in enumerate(row) if inked and not left <= x <= right]
        if outside:
            problems.append(f"ink in the margin at x={outside[0]}, y={y}")
    for band, borders in table_borders(image):
        for first, last in borders:
            for x in (first - 1, last + 1):
                touching = [y for y in band if 0 <= x < ink.width and ink.rows[y][x]]
                if touching:
                    problems.append(f"text touches the border at x={x}, y={touching[0]}")
    return problems


def pdf_overflows(data: bytes, margin_mm: float = MARGIN_MM) -> list[str]:
    """`overflows` of every page, each problem with its page number."""
    return [f"page {n}: {problem}" for n, page in enumerate(pages(data), 1) for problem in overflows(page, margin_mm)]
