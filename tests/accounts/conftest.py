"""Fixtures of the accounts tests."""

import pytest

from core.extensions import db
from tests.conftest import as_user


@pytest.fixture
def instance_admin(app, tree):
    """world's admin (of Kota Tangerang) made the administrator of the whole Kawal; its id."""
    with app.app_context():
        as_user(tree.world.users["admin"].id).manages_instance = True
        db.session.commit()
        db.session.remove()
    return tree.world.users["admin"].id
