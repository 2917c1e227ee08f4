"""The charts' arithmetic (reports/charts.py): what the SVG macros draw, without a page."""

import pytest

from reports.charts import LineChart, bar_chart, line_chart, stacked_chart


def test_bars_scale_to_the_largest_value_of_any_series():
    chart = bar_chart([("DINKES", 12, 3), ("BAPPEDA", 6, 24)], 2)
    assert chart.height == 2 * 54 + 24  # two rows of two 22-unit bars and a 10-unit gap, and the margin
    first, second = chart.rows
    assert (first.label, first.label_y, second.label_y) == ("DINKES", 18, 72)
    assert [bar.width for bar in first.bars] == [125.0, 31.2]
    assert [bar.width for bar in second.bars] == [62.5, 250.0]  # the largest value takes the whole length
    assert [(bar.y, bar.text_y) for bar in second.bars] == [(58, 72), (80, 94)]
    assert [bar.text_x for bar in first.bars] == [239.0, 145.2]  # the figure just after its bar
    assert [bar.series for bar in first.bars] == [0, 1]


def test_bars_of_zero_still_show_and_an_empty_chart_keeps_a_height():
    chart = bar_chart([("a", 0, 0)], 2)
    assert [bar.width for bar in chart.rows[0].bars] == [1, 1]  # a sliver, not nothing
    assert [bar.text_x for bar in chart.rows[0].bars] == [114.0, 114.0]
    empty = bar_chart([], 1)
    assert (empty.rows, empty.height) == ([], 40)


def test_one_bar_and_big_numbers():
    [row] = bar_chart([("8-30", 123_456_789)], 1).rows
    assert row.bars[0].width == 250.0 and row.bars[0].value == 123_456_789
    rows = bar_chart([("a", 1), ("b", 10_000_000)], 1).rows
    assert rows[0].bars[0].width == 1  # 0.000025 rounds to 0.0: drawn as the 1-unit sliver


def test_a_stacked_bar_is_cut_in_shares_that_fill_the_width():
    chart = stacked_chart([("A", 3), ("B", 0), ("C", 7), ("D", 10)])
    assert chart.total == 20
    assert [(s.x, s.width) for s in chart.segments] == [(0, 60.0), (60.0, 0.0), (60.0, 140.0), (200.0, 200.0)]
    assert [s.share for s in chart.segments] == [0.15, 0.0, 0.35, 0.5]
    assert [s.label for s in chart.segments] == ["A", "B", "C", "D"]


def test_a_stacked_bar_of_nothing_divides_by_one():
    chart = stacked_chart([("A", 0), ("B", 0)])
    assert chart.total == 1
    assert [(s.width, s.share) for s in chart.segments] == [(0.0, 0.0), (0.0, 0.0)]
    assert stacked_chart([]).segments == []


def test_a_stacked_bar_of_big_numbers_and_of_one_part():
    chart = stacked_chart([("A", 1_234_567), ("B", 7_654_321), ("C", 3)])
    assert sum(s.width for s in chart.segments) == pytest.approx(400, abs=0.2)
    assert chart.segments[2].width == 0.0 and chart.segments[2].share == pytest.approx(3 / 8_888_891)
    [only] = stacked_chart([("A", 5)]).segments
    assert (only.x, only.width, only.share) == (0, 400.0, 1.0)


def test_lines_spread_over_the_width_and_rise_to_the_largest_value():
    chart = line_chart([("Jan", 4, 2), ("Feb", 10, 10), ("Mar", 0, 0)], 2)
    assert chart.ticks == [(20.0, "Jan"), (200.0, "Feb"), (380.0, "Mar")]
    due, done = chart.lines
    assert due == [(20.0, 80.0), (200.0, 20.0), (380.0, 120)]  # 120 is the axis
    assert done == [(20.0, 100.0), (200.0, 20.0), (380.0, 120)]


def test_a_line_of_one_point_of_zeros_or_of_none():
    chart = line_chart([("Jan", 0, 0)], 2)
    assert chart.ticks == [(20.0, "Jan")]
    assert chart.lines == [[(20.0, 120)], [(20.0, 120)]]  # nothing to scale to: flat on the axis
    assert line_chart([], 2) == LineChart(lines=[[], []], ticks=[])


def test_a_line_of_big_numbers_keeps_inside_the_chart():
    chart = line_chart([(str(month), month * 99_991, month * 7) for month in range(13)], 2)
    due, done = chart.lines
    assert due[-1] == (380.0, 20.0) and due[0] == (20.0, 120)
    assert all(20 <= y <= 120 for _x, y in due + done)
    assert done[-1][1] == pytest.approx(120 - 84 / 1_199_892 * 100, abs=0.05)


def test_a_long_label_wraps_at_spaces_and_its_row_grows_to_hold_it():
    name = "Sosialisasi Integrasi Layanan Kesehatan Reproduksi Remaja 26"
    chart = bar_chart([(name, 3, 5), ("DINKES", 1, 1)], 2)
    first, second = chart.rows
    texts = [text for _y, text in first.lines]
    assert " ".join(texts) == name and all(len(text) <= 15 for text in texts)  # whole, never "Sosialisasi Int…"
    assert [y for y, _text in first.lines] == [18, 30, 42, 54, 66, 78]  # one line every 12 units
    assert second.label_y == 4 + 5 * 12 + 22 + 10 + 14  # the long row took the height of its six lines
    assert chart.height == second.bars[1].y + 22 + 10 + 20
    assert bar_chart([("", 1)], 1).rows[0].lines == [(18, "")]
