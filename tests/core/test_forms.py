"""core/forms.py: the shared form helpers."""

from tests.forum.test_views import NEW_FORUM

HUGE = "9" * 400  # more digits than a float can hold


def test_a_number_too_large_for_a_float_is_refused_politely(client_as):
    """Found by the fuzz: WTForms' NumberRange raised OverflowError (a 500) for such a planning year."""
    client = client_as("secretariat")
    for value in (HUGE, "-" + HUGE):
        response = client.post("/forums/new", data={**NEW_FORUM, "period_start": value, "period_end": "2029"})
        assert response.status_code == 422
        assert 'value="FGD Pembahasan PPT Kespro"' in response.get_data(as_text=True)


def test_a_number_in_range_still_passes(app, client_as):
    response = client_as("secretariat").post(
        "/forums/new", data={**NEW_FORUM, "period_start": "2025", "period_end": "2029"}
    )
    assert response.status_code == 302
