"""The report pages and downloads with hostile filters: they answer, never 500."""

import pytest

from tests.actions.helpers import dinkes_assignment, make_action

EDGE_FILTERS = [
    "from=0001-01-01",
    "to=9999-12-31",
    "from=0001-01-01&to=9999-12-31",
    "from=9999-12-31",
    "to=0001-01-01",
    "from=2025-13-45",
]


@pytest.mark.parametrize("path", ["/dashboard", "/reports/compliance", "/reports/compliance.xlsx"])
@pytest.mark.parametrize("query", EDGE_FILTERS)
def test_report_filters_at_the_ends_of_the_calendar_answer(app, world, client_as, path, query):
    with app.app_context():
        dinkes_assignment(make_action(world))
    response = client_as("secretariat").get(f"{path}?{query}")
    assert response.status_code == 200, query


def test_the_whole_calendar_as_a_filter_counts_every_task(app, world, client_as):
    with app.app_context():
        dinkes_assignment(make_action(world, title="Layanan keswa"))
    client = client_as("secretariat")
    everything = client.get("/reports/compliance").get_data(as_text=True)
    whole_calendar = client.get("/reports/compliance?from=0001-01-01&to=9999-12-31").get_data(as_text=True)
    assert "DINKES" in everything
    assert whole_calendar.count("DINKES") == everything.count("DINKES")
    dashboard = client.get("/dashboard?from=0001-01-01&to=9999-12-31").get_data(as_text=True)
    assert 'value="0001-01-01"' in dashboard and 'value="9999-12-31"' in dashboard  # what was typed stays


LONG_TITLE = "Sosialisasi Integrasi Layanan Kesehatan Reproduksi Remaja 26"


def test_the_dashboards_charts_show_a_long_forum_name_whole(app, world, client_as):
    """Issue 13, point 10: wrapped in the chart, whole in its <title> and in the table, never "Sosialisasi Int…"."""
    import re

    from tests.forum.helpers import make_forum

    assert len(LONG_TITLE) == 60
    with app.app_context():
        make_action(world, forum=make_forum(world, title=LONG_TITLE))
    page = client_as("secretariat").get("/dashboard").get_data(as_text=True)
    [chart] = re.findall(r'<figure class="chart" id="chart-forum">.*?</figure>', page, flags=re.S)
    assert "…" not in chart
    [label] = re.findall(r'<text x="0"[^>]*class="chart-label">(.*?)</text>', chart)
    lines = re.findall(r"<tspan[^>]*>(.*?)</tspan>", label)
    assert len(lines) > 1 and " ".join(lines) == LONG_TITLE  # wrapped at spaces, nothing lost
    assert f"<title>{LONG_TITLE}</title>" in chart  # the whole name on hover
    assert f"<td>{LONG_TITLE}</td>" in chart  # and in the figures' table
