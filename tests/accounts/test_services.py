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


DINKES_VALUES = dict(code="DINKES", name="Dinas Kesehatan", kind="dinas", parent_id=None, email=None, active=True)


def _refusal(admin, opd_id, head_id) -> str:
    with pytest.raises(Invalid) as error:
        services.update_opd(admin, opd_id, head_id=head_id, **DINKES_VALUES)
    assert error.value.field == "head_id"
    return str(error.value)


def test_the_head_of_an_opd_is_one_of_its_heads_or_another_opds_head_as_plt(appctx, world):
    admin = as_user(world.users["admin"].id)
    dinkes = world.opds["DINKES"]
    assert "staf" in _refusal(admin, dinkes, world.users["opd_staff"].id)
    assert "staf" in _refusal(admin, dinkes, world.users["secretariat"].id)
    # A head of DP3AP2KB who does not head it (DP3AP2KB has its head already) cannot be Plt. elsewhere.
    second = services.create_user(
        admin,
        password=PASSWORD,
        email="wakil@example.org",
        name="Wakil",
        role="opd_head",
        opd_id=world.opds["DP3AP2KB"],
    )
    assert db.session.get(Opd, world.opds["DP3AP2KB"]).head_id == world.users["other_head"].id
    assert "selama masih menjabat kepala OPD-nya sendiri" in _refusal(admin, dinkes, second.id)
    assert [u.id for u in services.opd_heads(db.session.get(Opd, dinkes))] == [
        world.users["opd_head"].id,
        world.users["other_head"].id,
    ]
    services.update_opd(admin, dinkes, head_id=world.users["opd_head"].id, **DINKES_VALUES)
    # The head of DP3AP2KB becomes Plt. head of Dinkes, and the trail says so.
    services.update_opd(admin, dinkes, head_id=world.users["other_head"].id, **DINKES_VALUES)
    assert db.session.get(Opd, dinkes).head_id == world.users["other_head"].id
    event = db.session.scalars(
        sa.select(AuditEvent)
        .where(AuditEvent.entity_type == "opd", AuditEvent.entity_id == dinkes)
        .order_by(AuditEvent.id)
    ).all()[-1]
    assert (event.actor_id, event.changes["head_id"]) == (
        admin.id,
        [world.users["opd_head"].id, world.users["other_head"].id],
    )
    services.set_user_active(admin, world.users["other_head"].id, False)
    assert db.session.get(Opd, dinkes).head_id is None  # an inactive head heads nothing
    assert "tidak aktif" in _refusal(admin, dinkes, world.users["other_head"].id)


def test_another_governments_head_cannot_head_an_opd(appctx, tree, instance_admin):
    admin = as_user(instance_admin)
    kab_head = tree.users["kab_head"]
    assert "pemerintah daerah yang sama" in _refusal(admin, tree.opds["kota:DINKES"], kab_head)
    opd = db.session.get(Opd, tree.opds["kota:DINKES"])
    assert kab_head not in {u.id for u in services.opd_heads(opd)}
    assert opd.head_id == tree.world.users["opd_head"].id


def test_a_plt_head_keeps_the_post_through_an_edit_and_loses_it_on_moving(appctx, world):
    admin = as_user(world.users["admin"].id)
    disdukcapil = world.opds["DISDUKCAPIL"]
    values = dict(code="DISDUKCAPIL", name="Dinas Kependudukan", kind="dinas", parent_id=None, email=None, active=True)
    services.update_opd(admin, disdukcapil, head_id=world.users["opd_head"].id, **values)
    head = as_user(world.users["opd_head"].id)
    fields = {name: getattr(head, name) for name in services.USER_FIELDS}
    services.update_user(admin, head.id, **(fields | {"position": "Kepala Dinas"}))
    assert db.session.get(Opd, disdukcapil).head_id == head.id
    services.update_user(admin, head.id, **(fields | {"opd_id": world.opds["PKM-CIBODAS"]}))
    assert db.session.get(Opd, disdukcapil).head_id is None  # mutasi: a new post, no acting one carried along


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
