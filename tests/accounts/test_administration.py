"""A government's admin manages its own users and OPDs, never another's; the instance admin manages every one and
the governments themselves."""

import io

import pytest

from accounts import services as accounts
from accounts.models import Government, Opd, User
from core.errors import Invalid, NotAllowed, NotFound
from core.extensions import db
from core.permissions import Role
from tests.conftest import as_user, login

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def client_of(app, user_id):
    client = app.test_client()
    login(client, user_id)
    return client


# --- the rules, in the services ------------------------------------------------------------------------------


def test_a_government_admin_lists_only_its_own_users_and_opds(app, tree):
    with app.app_context():
        kab_admin = as_user(tree.users["kab_admin"])
        users = accounts.list_users(kab_admin, per_page=100).items
        assert {u.email for u in users} == {
            f"{who}.kab@example.org" for who in ("secretariat", "head", "admin", "viewer")
        }
        assert {o.id for o in accounts.list_opds(kab_admin)} == {tree.opds["kab:BAPPEDA"], tree.opds["kab:DINKES"]}


def test_the_instance_admin_lists_every_government_s_users(app, tree, instance_admin):
    with app.app_context():
        users = accounts.list_users(as_user(instance_admin), per_page=100).items
        assert {"head.kab@example.org", "head.prov@example.org", "opd.head@example.org"} <= {u.email for u in users}


def test_a_sibling_s_user_and_opd_by_id_are_not_found(app, tree):
    with app.app_context():
        kab_admin = as_user(tree.users["kab_admin"])
        kota_head, kota_dinkes = tree.world.users["opd_head"].id, tree.opds["kota:DINKES"]
        with pytest.raises(NotFound):
            accounts.update_user(kab_admin, kota_head, email="x@example.org", name="X", role="viewer")
        with pytest.raises(NotFound):
            accounts.set_user_active(kab_admin, kota_head, False)
        with pytest.raises(NotFound):
            accounts.reset_password(kab_admin, kota_head, "another-secret")
        with pytest.raises(NotFound):
            accounts.update_opd(kab_admin, kota_dinkes, code="DINKES", name="Taken")
        with pytest.raises(NotFound):
            accounts.send_password_link(kab_admin, kota_head)
        assert as_user(kota_head).active
        # A parent government sees below, but does not administer there.
        with pytest.raises(NotFound):
            accounts.set_user_active(as_user(tree.users["prov_admin"]), tree.users["kab_head"], False)


def test_a_government_admin_creates_only_in_its_own_government(app, tree):
    with app.app_context():
        kab_admin = as_user(tree.users["kab_admin"])
        with pytest.raises(Invalid) as refused:
            accounts.create_user(
                kab_admin,
                password="long-enough",
                email="a@example.org",
                name="A",
                role="opd_staff",
                opd_id=tree.opds["kota:DINKES"],
            )
        assert refused.value.field == "opd_id"
        with pytest.raises(Invalid):
            accounts.create_user(
                kab_admin,
                password="long-enough",
                email="b@example.org",
                name="B",
                role="viewer",
                government_id=tree.govs["prov"],
            )
        with pytest.raises(Invalid):
            accounts.create_opd(kab_admin, government_id=tree.govs["prov"], code="DISHUB", name="Dinas Perhubungan")
        with pytest.raises(NotAllowed):
            accounts.create_user(
                kab_admin, password="long-enough", email="c@example.org", name="C", role="admin", manages_instance=True
            )
        opd = accounts.create_opd(kab_admin, code="DISHUB", name="Dinas Perhubungan")
        user = accounts.create_user(kab_admin, password="long-enough", email="d@example.org", name="D", role="viewer")
        assert opd.government_id == user.government_id == tree.govs["kab"]


def test_an_opd_user_takes_its_opd_s_government_and_a_parent_opd_is_of_the_same_one(app, tree, instance_admin):
    with app.app_context():
        admin = as_user(instance_admin)
        user = accounts.create_user(
            admin,
            password="long-enough",
            email="staf@example.org",
            name="Staf",
            role="opd_staff",
            opd_id=tree.opds["kab:DINKES"],
            government_id=tree.govs["kota"],
        )
        assert user.government_id == tree.govs["kab"]
        with pytest.raises(Invalid) as refused:
            accounts.create_opd(
                admin, government_id=tree.govs["kab"], code="PKM", name="Puskesmas", parent_id=tree.opds["prov:DINKES"]
            )
        assert refused.value.field == "parent_id"
        # The same code in two governments is two OPDs.
        assert accounts.create_opd(admin, government_id=tree.govs["kab"], code="DP3AP2KB", name="DP3AP2KB Serang")


def test_choices_of_opds_can_be_scoped_to_governments(app, tree):
    with app.app_context():
        kab = frozenset({tree.govs["kab"]})
        assert {o.id for o in accounts.active_opds(kab)} == {tree.opds["kab:BAPPEDA"], tree.opds["kab:DINKES"]}
        assert {row.id for row in accounts.opd_choices(kab)} == {tree.opds["kab:BAPPEDA"], tree.opds["kab:DINKES"]}
        assert len(accounts.active_opds()) == len(tree.opds)  # unscoped, as before
        headless = {o.id for o in accounts.opds_without_active_head(kab)}
        assert headless == {tree.opds["kab:BAPPEDA"]}


# --- the pages ------------------------------------------------------------------------------------------------


def test_each_admin_page_of_another_government_is_refused_to_its_admin(app, tree):
    client = client_of(app, tree.users["kab_admin"])
    head, dinkes = tree.world.users["opd_head"].id, tree.opds["kota:DINKES"]
    assert client.get(f"/admin/users/{head}").status_code == 404
    assert client.post(f"/admin/users/{head}", data={"email": "x@example.org", "name": "X"}).status_code == 404
    assert client.post(f"/admin/users/{head}/password", data={"password": "a-new-password"}).status_code == 404
    assert client.post(f"/admin/users/{head}/active", data={"active": "0"}).status_code == 404
    assert client.post(f"/admin/users/{head}/password-link").status_code == 404
    assert client.get(f"/admin/opds/{dinkes}").status_code == 404
    assert client.post(f"/admin/opds/{dinkes}", data={"code": "DINKES", "name": "X"}).status_code == 404
    users_page = client.get("/admin/users").get_data(as_text=True)
    assert "head.kab@example.org" in users_page and "opd.head@example.org" not in users_page
    opds_page = client.get("/admin/opds").get_data(as_text=True)
    assert "Badan Perencanaan Pembangunan Daerah" not in opds_page  # the kota's Bappeda
    with app.app_context():
        assert as_user(head).active


def test_the_instance_admin_opens_every_government_s_pages_and_picks_the_government(app, tree, instance_admin):
    client = client_of(app, instance_admin)
    assert client.get(f"/admin/users/{tree.users['kab_head']}").status_code == 200
    assert client.get(f"/admin/opds/{tree.opds['kab:DINKES']}").status_code == 200
    page = client.get("/admin/users/new").get_data(as_text=True)
    assert 'name="government_id"' in page and "Pemerintah Kabupaten Serang" in page
    response = client.post(
        "/admin/opds/new",
        data={"government_id": tree.govs["kab"], "code": "DISHUB", "name": "Dinas Perhubungan", "kind": "dinas"},
    )
    assert response.status_code == 302
    with app.app_context():
        assert accounts.opd_by_code("DISHUB", tree.govs["kab"]) is not None


def test_one_government_shows_no_picker(client_as, world):
    client = client_as("admin")
    assert 'name="government_id"' not in client.get("/admin/users/new").get_data(as_text=True)
    assert 'name="government_id"' not in client.get("/admin/opds/new").get_data(as_text=True)
    assert "/admin/governments" not in client.get("/admin/users").get_data(as_text=True)


def test_governments_pages_are_the_instance_admin_s_only(app, tree, instance_admin):
    for user_id in (tree.users["kab_admin"], tree.users["prov_admin"], tree.users["prov_secretariat"]):
        client = client_of(app, user_id)
        assert client.get("/admin/governments").status_code in (403, 404)
        assert client.get("/admin/governments/new").status_code in (403, 404)
        assert client.post(f"/admin/governments/{tree.govs['kab']}", data={"code": "X", "name": "X"}).status_code in (
            403,
            404,
        )
    with app.app_context():
        assert db.session.get(Government, tree.govs["kab"]).code == "KAB-SERANG"
    client = client_of(app, instance_admin)
    page = client.get("/admin/governments").get_data(as_text=True)
    assert "KAB-SERANG" in page and "Pemerintah Provinsi Banten" in page
    assert "/admin/governments" in client.get("/admin/users").get_data(as_text=True)  # in the menu


def test_the_instance_admin_creates_and_edits_a_government_with_a_logo(app, tree, instance_admin):
    client = client_of(app, instance_admin)
    data = {
        "code": "KOTA-CILEGON",
        "name": "Pemerintah Kota Cilegon",
        "kind": "kota",
        "parent_id": tree.govs["prov"],
        "time_zone": "Asia/Jakarta",
        "active": "y",
    }
    assert client.post("/admin/governments/new", data=data).status_code == 302
    with app.app_context():
        cilegon = db.session.query(Government).filter_by(code="KOTA-CILEGON").one()
        assert cilegon.short_name == "Kota Cilegon" and cilegon.parent_id == tree.govs["prov"]
        cilegon_id = cilegon.id
    bad = client.post(
        f"/admin/governments/{cilegon_id}",
        data={**data, "logo": (io.BytesIO(b"MZ not an image"), "logo.png")},
        content_type="multipart/form-data",
    )
    assert bad.status_code == 422 and "logo.png" in bad.get_data(as_text=True)
    good = client.post(
        f"/admin/governments/{cilegon_id}",
        data={**data, "time_zone": "Asia/Makassar", "logo": (io.BytesIO(PNG), "logo.png")},
        content_type="multipart/form-data",
    )
    assert good.status_code == 302
    with app.app_context():
        cilegon = db.session.get(Government, cilegon_id)
        assert cilegon.time_zone == "Asia/Makassar" and cilegon.logo.endswith(".png")
    # A government cannot sit under one below it.
    loop = client.post(
        f"/admin/governments/{tree.govs['prov']}",
        data={**data, "code": "BANTEN", "name": "Pemerintah Provinsi Banten", "parent_id": cilegon_id},
    )
    assert loop.status_code == 422


def test_no_password_for_a_new_user_sends_a_link(app, tree):
    client = client_of(app, tree.users["kab_admin"])
    data = {
        "email": "baru@example.org",
        "name": "Baru",
        "role": "opd_staff",
        "opd_id": tree.opds["kab:DINKES"],
        "locale": "id",
        "active": "y",
    }
    assert client.post("/admin/users/new", data=data).status_code == 302
    with app.app_context():
        from notifications.models import MailKind, OutboxMessage

        user = db.session.query(User).filter_by(email="baru@example.org").one()
        assert user.password_hash is None and user.government_id == tree.govs["kab"]
        [row] = db.session.query(OutboxMessage).filter_by(kind=MailKind.WELCOME).all()
        assert row.recipient == "baru@example.org" and row.recipient_user_id == user.id
        assert db.session.get(Opd, tree.opds["kab:DINKES"]).head_id != user.id
        assert user.role == Role.OPD_STAFF
