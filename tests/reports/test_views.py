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
