"""The suite runs in parallel (pytest-xdist, `make test`): each worker keeps its databases and files to itself."""

import os

import pytest

from config import normalize_database_url
from tests.conftest import GIVEN_POSTGRES_URL, WORKER, worker_database_url


def test_a_worker_database_is_named_after_the_given_one_and_the_worker():
    given = "postgresql+psycopg://postgres:secret@127.0.0.1:5432/test"
    assert worker_database_url(given, "gw1") == "postgresql+psycopg://postgres:secret@127.0.0.1:5432/test_gw1"
    assert worker_database_url(given, None) == given  # a serial run uses the given database as is
    assert worker_database_url(None, "gw0") is None  # SQLite only


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_this_worker_runs_on_its_own_postgresql_database(app):
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    assert (
        url
        == worker_database_url(GIVEN_POSTGRES_URL, WORKER)
        == normalize_database_url(os.environ["TEST_DATABASE_URL"])
    )
    assert (url != GIVEN_POSTGRES_URL) == bool(WORKER)


def test_uploads_go_under_the_tests_own_folder(app, tmp_path):
    assert app.config["ATTACHMENT_DIR"] == str(tmp_path / "attachments")
