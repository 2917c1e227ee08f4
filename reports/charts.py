"""The geometry of the SVG charts: where each bar, segment and point goes, computed here and drawn by
templates/reports/_charts.html, which does no arithmetic. Every chart is 400 units wide."""

import textwrap
from collections.abc import Sequence
from dataclasses import dataclass

WIDTH = 400
# Bars: a label column, then bars up to BAR_LENGTH long, one BAR_PITCH apart, rows ROW_GAP apart.
BAR_X = 110
BAR_LENGTH = 250
BAR_PITCH = 22
ROW_GAP = 10
MIN_BAR_HEIGHT = 40  # the height of a chart with no rows
# A label is wrapped at spaces to lines of LABEL_CHARS (what the label column holds at the 11-unit font), one
# LABEL_LINE apart: the whole name shows, never cut with "…".
LABEL_CHARS = 15
LABEL_LINE = 12
# Lines: the axis at y = LINE_AXIS, the highest value LINE_RISE above it, points from x = LINE_LEFT over LINE_SPAN.
LINE_LEFT = 20
LINE_SPAN = 360
LINE_AXIS = 120
LINE_RISE = 100


@dataclass(frozen=True)
class Bar:
    """One value of a row: its rectangle, and where its figure is written."""

    series: int  # which value of the row (its series label and colour)
    value: float
    y: float
    width: float  # at least 1, so that a zero still shows
    text_x: float
    text_y: float


@dataclass(frozen=True)
class BarRow:
    label: str
    label_y: float
    bars: list[Bar]
    lines: list[tuple[float, str]]  # the label wrapped: (y, text) of each line, the first at label_y


@dataclass(frozen=True)
class BarChart:
    height: int
    rows: list[BarRow]


def bar_chart(rows: Sequence[Sequence], series_count: int) -> BarChart:
    """Horizontal bars for rows of (label, value, value, …), all scaled to the largest value (at least 1)."""
    top = max([1, *(value for row in rows for value in row[1:])])
    drawn = []
    y = 4
    for label, *values in rows:
        lines = label_lines(str(label))
        bars = []
        for series, value in enumerate(values):
            length = round(value / top * BAR_LENGTH, 1)
            bar_y = y + series * BAR_PITCH
            bars.append(Bar(series, value, bar_y, max(length, 1), BAR_X + 4 + length, bar_y + 14))
        drawn.append(BarRow(label, y + 14, bars, [(y + 14 + n * LABEL_LINE, line) for n, line in enumerate(lines)]))
        # A row is as tall as its bars, or as its label when that wraps to more lines than the bars take.
        y += max(BAR_PITCH * series_count, LABEL_LINE * (len(lines) - 1) + BAR_PITCH) + ROW_GAP
    return BarChart(height=max(y + 20, MIN_BAR_HEIGHT), rows=drawn)


def label_lines(label: str) -> list[str]:
    """A label in lines that fit the label column, broken at spaces (a word longer than a line is cut)."""
    return textwrap.wrap(label, LABEL_CHARS, break_on_hyphens=False) or [""]


@dataclass(frozen=True)
class Segment:
    label: str
    value: float
    x: float
    width: float
    share: float  # of the total, 0 to 1


@dataclass(frozen=True)
class StackedChart:
    total: float  # at least 1, so that an empty chart divides by something
    segments: list[Segment]


def stacked_chart(parts: Sequence[tuple[str, float]]) -> StackedChart:
    """One bar across the width, cut in parts of (label, value) in proportion to their share of the total."""
    total = max(sum(value for _label, value in parts), 1)
    segments = []
    x = 0
    for label, value in parts:
        width = round(value / total * WIDTH, 1)
        segments.append(Segment(label, value, x, width, value / total))
        x = x + width
    return StackedChart(total=total, segments=segments)


@dataclass(frozen=True)
class LineChart:
    lines: list[list[tuple[float, float]]]  # per series, its (x, y) points
    ticks: list[tuple[float, str]]  # (x, label) under the axis


def line_chart(points: Sequence[Sequence], series_count: int) -> LineChart:
    """Lines for points of (label, value, value, …), evenly spaced, all scaled to the largest value (at least 1)."""
    top = max([1, *(point[series + 1] for point in points for series in range(series_count))])
    step = LINE_SPAN / max(len(points) - 1, 1)
    xs = [LINE_LEFT + index * step for index in range(len(points))]
    lines = [
        [(x, LINE_AXIS - round(point[series + 1] / top * LINE_RISE, 1)) for x, point in zip(xs, points, strict=True)]
        for series in range(series_count)
    ]
    return LineChart(lines=lines, ticks=[(x, point[0]) for x, point in zip(xs, points, strict=True)])
