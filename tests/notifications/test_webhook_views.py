"""The admin's webhook pages: register (the secret shown once), a refused address said on its field with nothing
lost, edit, ping, delete, the deliveries in the delivery log; another government's admin reaches nothing (404)."""

import re

import pytest
import sqlalchemy as sa

from core.extensions import db
from notifications import endpoints
from notifications.models import MailKind, MailStatus, OutboxMessage, WebhookEndpoint
from tests.conftest import as_user, login

URL = "http://127.0.0.1:5143/hook"


def _csrf(client, path: str) -> str:
    page = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)


def _form(**values) -> dict:
    return {"url": URL, "events": ["assignment.created", "forum.closed"], "allowed_host": "127.0.0.1"} | values


def test_a_loopback_address_is_refused_on_its_field_and_the_form_keeps_what_was_typed(app, client_as):
    client = client_as("admin")
    response = client.post("/admin/webhooks", data=_form(allowed_host=""))
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "127.0.0.1 bukan alamat publik" in page  # the admin reads Indonesian
    assert f'value="{URL}"' in page and 'checked id="events-7" name="events"' in page
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(WebhookEndpoint)) == 0


def test_a_scheme_other_than_http_and_no_event_are_refused(app, client_as):
    client = client_as("admin")
    response = client.post("/admin/webhooks", data=_form(url="ftp://example.org/x", events=[]))
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and "Pilih paling sedikit satu peristiwa." in page
    response = client.post("/admin/webhooks", data=_form(url="ftp://example.org/x"))
    assert response.status_code == 422 and "diawali http:// atau https://" in response.get_data(as_text=True)


def test_registering_shows_the_secret_once(app, client_as):
    client = client_as("admin")
    response = client.post("/admin/webhooks", data=_form())
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    with app.app_context():
        endpoint = db.session.scalar(sa.select(WebhookEndpoint))
        secret = endpoint.secret
        assert endpoint.events == ["assignment.created", "forum.closed"] and endpoint.allowed_host == "127.0.0.1"
    assert secret in page
    assert secret not in client.get("/admin/webhooks").get_data(as_text=True)
    assert secret not in client.get(f"/admin/webhooks/{endpoint.id}").get_data(as_text=True)


def test_editing_pinging_and_deleting(app, world, client_as):
    with app.app_context():
        endpoint, secret = endpoints.create_endpoint(
            as_user(world.users["admin"].id), URL, ["assignment.created"], allowed_host="127.0.0.1"
        )
        endpoint_id = endpoint.id
    client = client_as("admin")
    response = client.post(f"/admin/webhooks/{endpoint_id}", data=_form(events=["forum.closed"], active="y"))
    assert response.status_code == 302
    response = client.post(f"/admin/webhooks/{endpoint_id}/ping", data={})
    assert response.status_code == 302
    page = client.get(f"/admin/webhooks/{endpoint_id}").get_data(as_text=True)
    assert "ping" in page
    with app.app_context():
        endpoint = db.session.get(WebhookEndpoint, endpoint_id)
        assert endpoint.events == ["forum.closed"] and endpoint.secret == secret
        ping = db.session.scalar(sa.select(OutboxMessage).where(OutboxMessage.kind == MailKind.WEBHOOK))
        assert ping.subject == "ping" and ping.webhook_id == endpoint_id
    log = client_as("secretariat").get("/admin/delivery?kind=webhook").get_data(as_text=True)
    assert URL in log and "ping" in log
    assert client.post(f"/admin/webhooks/{endpoint_id}/delete", data={}).status_code == 302
    with app.app_context():
        assert db.session.get(WebhookEndpoint, endpoint_id) is None
        row = db.session.get(OutboxMessage, ping.id)
        assert row.status == MailStatus.CANCELLED and row.webhook_id is None  # kept in the delivery log


def test_another_governments_admin_gets_404_everywhere(app, tree):
    with app.app_context():
        endpoint_id = endpoints.create_endpoint(
            as_user(tree.world.users["admin"].id), URL, ["assignment.created"], allowed_host="127.0.0.1"
        )[0].id
    client = app.test_client()
    login(client, tree.users["kab_admin"])
    assert URL not in client.get("/admin/webhooks").get_data(as_text=True)
    assert client.get(f"/admin/webhooks/{endpoint_id}").status_code == 404
    assert client.post(f"/admin/webhooks/{endpoint_id}", data=_form()).status_code == 404
    assert client.post(f"/admin/webhooks/{endpoint_id}/ping", data={}).status_code == 404
    assert client.post(f"/admin/webhooks/{endpoint_id}/delete", data={}).status_code == 404
    with app.app_context():
        assert db.session.get(WebhookEndpoint, endpoint_id) is not None
        assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage)) == 0


def test_the_delivery_log_of_another_government_does_not_show_its_deliveries(app, tree):
    with app.app_context():
        endpoint_id = endpoints.create_endpoint(
            as_user(tree.world.users["admin"].id), URL, ["assignment.created"], allowed_host="127.0.0.1"
        )[0].id
        endpoints.send_ping(as_user(tree.world.users["admin"].id), endpoint_id)
    client = app.test_client()
    login(client, tree.users["kab_secretariat"])
    assert URL not in client.get("/admin/delivery?kind=webhook").get_data(as_text=True)


def test_a_higher_governments_staff_see_nothing_of_a_lower_ones_webhook_deliveries(app, tree):
    from core.errors import NotFound
    from notifications import services

    secret_url = "http://127.0.0.1:5172/hook?token=rahasia-di-alamat"
    with app.app_context():
        kota_admin = as_user(tree.world.users["admin"].id)
        endpoint_id = endpoints.create_endpoint(kota_admin, secret_url, ["assignment.created"], "127.0.0.1")[0].id
        ping_id = endpoints.send_ping(kota_admin, endpoint_id).id
    for who in ("prov_admin", "prov_secretariat"):
        client = app.test_client()
        login(client, tree.users[who])
        page = client.get("/admin/delivery").get_data(as_text=True)
        assert "rahasia-di-alamat" not in page and "127.0.0.1:5172" not in page, who
        with app.app_context(), pytest.raises(NotFound):
            services.requeue(as_user(tree.users[who]), ping_id)
    client = app.test_client()
    login(client, tree.world.users["admin"].id)
    assert "rahasia-di-alamat" in client.get("/admin/delivery").get_data(as_text=True)


def test_an_address_python_cannot_split_is_refused_on_its_field_not_a_500(app, client_as):
    client = client_as("admin")
    for url in ("http://[::1", "http://[bukan-alamat]/hook"):
        response = client.post("/admin/webhooks", data=_form(url=url, allowed_host=""))
        page = response.get_data(as_text=True)
        assert response.status_code == 422, url
        assert "diawali http:// atau https://" in page and f'value="{url}"' in page


def test_an_allowed_host_typed_with_a_scheme_or_port_is_refused_on_its_own_field(app, client_as):
    client = client_as("admin")
    for typed in ("127.0.0.1:5143", "http://127.0.0.1", "127.0.0.1/hook"):
        response = client.post("/admin/webhooks", data=_form(allowed_host=typed))
        page = response.get_data(as_text=True)
        assert response.status_code == 422, typed
        assert "Isikan nama host atau alamatnya saja" in page and f'value="{typed}"' in page, typed
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(WebhookEndpoint)) == 0


def test_an_allowed_ipv6_host_in_brackets_is_the_urls_host(app, world):
    with app.app_context():
        endpoint, _ = endpoints.create_endpoint(
            as_user(world.users["admin"].id), "http://[::1]:5143/hook", ["assignment.created"], allowed_host="[::1]"
        )
        assert endpoint.allowed_host == "::1"
