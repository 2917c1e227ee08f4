"""The benchmark's pages run as many SQL statements on a small data set as on one twice its size: none of them
reads row by row (the figures of `make bench` and `make bench-national` depend on it)."""

import pytest
import sqlalchemy as sa

from core.extensions import db
from tests.conftest import QueryCounter, _fresh_database_url, login

# Two scales of each shape of the data: a province over its kabupaten (scale 1's), and a country's provinces.
SCALES = {"province": (0.03, 0.06), "national": (0.04, 0.08)}


def _query_counts(app) -> dict[tuple[str, str], int]:
    """The statements of each page the benchmark measures, read as the person it measures it for, after a first
    request that fills the process's caches."""
    from bench.generate import MEASURED
    from bench.load import PAGES as LOADED
    from bench.run import PAGES

    with app.app_context():
        users = {"head": 2, "admin": 1}  # user 2 heads OPD 1, the heavy one
        for who, (email, _role, _government) in MEASURED.items():
            users[who] = db.session.scalar(sa.text("SELECT id FROM users WHERE email = :email"), {"email": email})
        db.session.remove()
    clients = {}
    for who, user_id in users.items():
        clients[who] = app.test_client()
        login(clients[who], user_id)
    counts = {}
    pages = {(url, who) for _label, url, who in PAGES} | {(url, who) for _label, url, who, *_target in LOADED if who}
    for url, who in sorted(pages):
        assert clients[who].get(url).status_code == 200, (url, who)
        with app.app_context(), QueryCounter(db.engine) as counter:
            response = clients[who].get(url)
        assert response.status_code == 200, (url, who)
        counts[url, who] = counter.count
    return counts


@pytest.mark.parametrize("shape", SCALES)
def test_every_page_of_the_benchmark_runs_as_many_queries_on_twice_the_data(make_app, backend, tmp_path, shape):
    from bench.generate import generate

    counts = []
    for scale in SCALES[shape]:
        (tmp_path / str(scale)).mkdir()
        app = make_app(SQLALCHEMY_DATABASE_URI=_fresh_database_url(backend, tmp_path / str(scale)))
        with app.app_context():
            generated = generate(scale=scale, seed=7, national=shape == "national")
            db.session.remove()
        counts.append(_query_counts(app))
    assert generated["assignments"] > 3000
    assert counts[0] == counts[1]
