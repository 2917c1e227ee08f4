import pytest
import sqlalchemy as sa

from accounts import services
from accounts.models import Opd, User
from core.audit import AuditEvent
from core.errors import Invalid, NotAllowed
from core.extensions import db
from core.permissions import Role
from tests.conftest import PASSWORD, as_user


def _audit(verb, entity_type, entity_id):
    return db.session.scalar(
        sa.select(AuditEvent).where(
            AuditEvent.verb == verb, AuditEvent.entity_type == entity_type, AuditEvent.entity_id == entity_id
        )
    )


def test_admin_creates_a_user_and_the_trail_records_it(appctx, world):
    admin = as_user(world.users["admin"].id)
    user = services.create_user(
        admin, password="panjang-sekali", email=" Baru@Example.org ", name="Pegawai Baru", role="viewer"
    )
    assert user.email == "baru@example.org"
    event = _audit("create", "user", user.id)
    assert event.actor_id == admin.id
    assert event.changes["email"] == [None, "baru@example.org"]


@pytest.mark.parametrize("role", ["secretariat", "opd_head", "opd_staff", "viewer"])
def test_only_an_admin_manages_users(appctx, world, role):
    with pytest.raises(NotAllowed):
        services.create_user(
            as_user(world.users[role].id), password="panjang-sekali", email="x@example.org", name="X", role="viewer"
        )


def test_emails_are_unique_whatever_their_case(appctx, world):
    admin = as_user(world.users["admin"].id)
    with pytest.raises(Invalid) as error:
        services.create_user(admin, password="panjang-sekali", email="ADMIN@example.org", name="X", role="viewer")
    assert error.value.field == "email"


def test_opd_roles_need_an_opd(appctx, world):
    admin = as_user(world.users["admin"].id)
    with pytest.raises(Invalid) as error:
        services.create_user(admin, password="panjang-sekali", email="k@example.org", name="K", role="opd_head")
    assert error.value.field == "opd_id"


def test_short_passwords_are_refused(appctx, world):
    admin = as_user(world.users["admin"].id)
    with pytest.raises(Invalid):
        services.create_user(admin, password="pendek", email="k@example.org", name="K", role="viewer")


def test_the_first_head_of_an_opd_becomes_its_head_and_leaving_the_role_vacates_it(appctx, world):
    dinkes = db.session.get(Opd, world.opds["DINKES"])
    head = as_user(world.users["opd_head"].id)
    assert dinkes.head_id == head.id
    admin = as_user(world.users["admin"].id)
    values = dict(email=head.email, name=head.name, position=None, role=Role.OPD_STAFF, opd_id=dinkes.id)
    services.update_user(admin, head.id, **values, locale="id", active=True)
    assert db.session.get(Opd, world.opds["DINKES"]).head_id is None


def test_deactivating_a_head_vacates_the_opd_and_blocks_login(appctx, world):
    admin = as_user(world.users["admin"].id)
    services.set_user_active(admin, world.users["opd_head"].id, False)
    assert db.session.get(Opd, world.opds["DINKES"]).head_id is None
    assert services.authenticate(world.users["opd_head"].email, PASSWORD) is None
    assert _audit("deactivate", "user", world.users["opd_head"].id) is not None


def test_an_admin_cannot_deactivate_themselves(appctx, world):
    admin = as_user(world.users["admin"].id)
    with pytest.raises(Invalid):
        services.set_user_active(admin, admin.id, False)


def test_authenticate_checks_the_password_and_records_the_login(appctx, world, clock):
    assert services.authenticate("admin@example.org", "salah") is None
    user = services.authenticate("ADMIN@example.org", PASSWORD)
    assert user.id == world.users["admin"].id
    assert user.last_login_at == clock.now()


def test_changing_ones_password_needs_the_current_one(appctx, world):
    user = as_user(world.users["viewer"].id)
    with pytest.raises(Invalid) as error:
        services.change_own_password(user, "salah", "baru-dan-panjang")
    assert error.value.field == "current_password"
    services.change_own_password(user, PASSWORD, "baru-dan-panjang")
    assert services.authenticate(user.email, "baru-dan-panjang") is not None
    assert _audit("change_password", "user", user.id) is not None


def test_admin_resets_a_password(appctx, world):
    admin = as_user(world.users["admin"].id)
    services.reset_password(admin, world.users["viewer"].id, "sandi-baru-123")
    assert services.authenticate("viewer@example.org", "sandi-baru-123") is not None
    assert _audit("reset_password", "user", world.users["viewer"].id).actor_id == admin.id


def test_create_opd_under_a_parent_and_refuse_cycles(appctx, world):
    admin = as_user(world.users["admin"].id)
    opd = services.create_opd(
        admin, code="pkm-karawaci", name="UPTD Puskesmas Karawaci", kind="uptd", parent_id=world.opds["DINKES"]
    )
    assert opd.code == "PKM-KARAWACI"
    assert _audit("create", "opd", opd.id) is not None
    values = dict(code="DINKES", name="Dinas Kesehatan", kind="dinas", email=None, active=True, head_id=None)
    with pytest.raises(Invalid) as error:
        services.update_opd(admin, world.opds["DINKES"], parent_id=opd.id, **values)
    assert error.value.field == "parent_id"


def test_opd_codes_are_unique(appctx, world):
    admin = as_user(world.users["admin"].id)
    with pytest.raises(Invalid) as error:
        services.create_opd(admin, code="dinkes", name="Lagi", kind="dinas")
    assert error.value.field == "code"


def test_the_head_of_an_opd_must_be_one_of_its_heads(appctx, world):
    admin = as_user(world.users["admin"].id)
    values = dict(code="DINKES", name="Dinas Kesehatan", kind="dinas", parent_id=None, email=None, active=True)
    with pytest.raises(Invalid):
        services.update_opd(admin, world.opds["DINKES"], head_id=world.users["other_head"].id, **values)
    with pytest.raises(Invalid):
        services.update_opd(admin, world.opds["DINKES"], head_id=world.users["opd_staff"].id, **values)
    services.update_opd(admin, world.opds["DINKES"], head_id=world.users["opd_head"].id, **values)


def test_the_language_choice_is_kept(appctx, world):
    user = as_user(world.users["viewer"].id)
    services.set_locale(user, "en")
    assert db.session.get(User, user.id).locale == "en"
    with pytest.raises(Invalid):
        services.set_locale(user, "fr")


def test_users_by_id_loads_the_named_users_at_once(appctx, world):
    from core.extensions import db
    from tests.conftest import QueryCounter

    ids = [world.users["admin"].id, world.users["viewer"].id]
    with QueryCounter(db.engine) as counter:
        users = services.users_by_id([*ids, None, ids[0], 999_999])
    assert counter.count == 1
    assert {user_id: user.name for user_id, user in users.items()} == {ids[0]: "Test admin", ids[1]: "Test viewer"}
    assert services.users_by_id([None]) == {}
