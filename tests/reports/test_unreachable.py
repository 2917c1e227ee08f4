"""The OPD pages and the dashboard say which OPDs Kawal cannot email, until someone fixes it, and never another
government's (issue 14, point 3). In `world`, BAPPEDA, DISDUKCAPIL and PKM-CIBODAS have no head and no inbox."""

import re

import sqlalchemy as sa

from accounts import services as accounts
from core import clock
from core.extensions import db
from core.permissions import SYSTEM, Role
from notifications import outbox
from notifications.models import MailKind, MailStatus, OutboxMessage
from tests.actions.helpers import make_action
from tests.conftest import PASSWORD, login


def _give_disdukcapil_a_head(world):
    accounts.create_user(
        SYSTEM,
        password=PASSWORD,
        email="kadis.disdukcapil@example.org",
        name="Kepala Disdukcapil",
        role=Role.OPD_HEAD,
        opd_id=world.opds["DISDUKCAPIL"],
    )


def _alert(page: str) -> str:
    start = page.index('id="unreachable-alert"')
    return page[start : page.index("</section>", start)]


def test_both_opd_pages_warn_until_a_head_is_set(app, world, client_as):
    disdukcapil, dinkes = world.opds["DISDUKCAPIL"], world.opds["DINKES"]
    admin, secretariat = client_as("admin"), client_as("secretariat")
    edit = admin.get(f"/admin/opds/{disdukcapil}").get_data(as_text=True)
    assert 'id="silent-opd"' in edit and "Kawal tidak dapat mengirim email kepada OPD ini." in edit
    assert 'id="silent-opd"' not in admin.get(f"/admin/opds/{dinkes}").get_data(as_text=True)
    report = admin.get(f"/reports/opds/{disdukcapil}").get_data(as_text=True)
    assert f'<a href="/admin/opds/{disdukcapil}">Tetapkan kepala atau email resminya</a>' in report
    report = secretariat.get(f"/reports/opds/{disdukcapil}").get_data(as_text=True)
    assert 'id="silent-opd"' in report and "Administrator pemerintahnya dapat menetapkan" in report
    assert f'href="/admin/opds/{disdukcapil}"' not in report  # the secretariat may not edit OPDs
    assert 'id="silent-opd"' not in secretariat.get(f"/reports/opds/{dinkes}").get_data(as_text=True)
    with app.app_context():
        _give_disdukcapil_a_head(world)
    assert 'id="silent-opd"' not in admin.get(f"/admin/opds/{disdukcapil}").get_data(as_text=True)
    assert 'id="silent-opd"' not in secretariat.get(f"/reports/opds/{disdukcapil}").get_data(as_text=True)


def test_the_dashboard_lists_the_opds_kawal_cannot_reach_with_their_open_tasks(app, world, client_as):
    with app.app_context():
        make_action(world, lead="DINKES", support=("DISDUKCAPIL",))
        make_action(world, lead="DISDUKCAPIL", support=())
    page = client_as("secretariat").get("/dashboard").get_data(as_text=True)
    alert = _alert(page)
    listed = {
        code for code in ("BAPPEDA", "DISDUKCAPIL", "PKM-CIBODAS", "DINKES", "DP3AP2KB") if f">{code}</a>" in alert
    }
    assert listed == {"BAPPEDA", "DISDUKCAPIL", "PKM-CIBODAS"}
    line = alert[alert.index(f'id="unreachable-{world.opds["DISDUKCAPIL"]}"') :].split("</li>")[0]
    assert "tanpa kepala aktif dan tanpa email resmi" in line and "2 tugas terbuka" in line
    assert "dapat diperbaiki oleh administrator pemerintahnya" in line and "/admin/opds/" not in line
    admin_line = _alert(client_as("admin").get("/dashboard").get_data(as_text=True))
    assert f'<a href="/admin/opds/{world.opds["DISDUKCAPIL"]}">Tetapkan kepala atau email</a>' in admin_line
    assert 'id="unreachable-alert"' not in client_as("viewer").get("/dashboard").get_data(as_text=True)

    with app.app_context():
        _give_disdukcapil_a_head(world)
    alert = _alert(client_as("secretariat").get("/dashboard").get_data(as_text=True))
    assert f'id="unreachable-{world.opds["DISDUKCAPIL"]}"' not in alert and ">BAPPEDA</a>" in alert


def test_the_dashboard_shows_no_opd_outside_the_users_reach(app, tree):
    """Kab. Serang and Kota Tangerang are siblings under Provinsi Banten; each Bappeda has no head."""

    def alert_for(user_id):
        client = app.test_client()
        login(client, user_id)
        return _alert(client.get("/dashboard").get_data(as_text=True))

    kab_bappeda, kota_bappeda = tree.opds["kab:BAPPEDA"], tree.opds["kota:BAPPEDA"]
    prov_bappeda = tree.opds["prov:BAPPEDA"]
    kab = alert_for(tree.users["kab_secretariat"])
    assert f'id="unreachable-{kab_bappeda}"' in kab
    assert f'id="unreachable-{kota_bappeda}"' not in kab and f'id="unreachable-{prov_bappeda}"' not in kab
    kota = alert_for(tree.world.users["secretariat"].id)
    assert f'id="unreachable-{kota_bappeda}"' in kota and f'id="unreachable-{kab_bappeda}"' not in kota
    prov = alert_for(tree.users["prov_secretariat"])  # a province sees below it
    assert all(f'id="unreachable-{opd}"' in prov for opd in (prov_bappeda, kab_bappeda, kota_bappeda))
    client = app.test_client()
    login(client, tree.users["kab_secretariat"])
    assert client.get(f"/reports/opds/{kota_bappeda}").status_code == 404  # nor its page


def test_the_dashboards_government_filter_narrows_the_refused_addresses_too(app, tree):
    """A province's secretariat filtering its dashboard to Kab. Serang sees Kab. Serang's refused copies only: the
    unreachable OPDs above them were narrowed already, the refused addresses were not."""
    with app.app_context():
        now = clock.now()
        for government, address in (("kab", "dinkes@serangkab.go.id"), ("kota", "dinkes@tangerangkota.go.id")):
            refusal = [{"address": address, "code": 550, "reply": "mailbox full"}]
            row = outbox.new_row(
                f"copy-{government}", MailKind.DIGEST, "head@example.org", now=now, local_date=now.date()
            )
            row |= {
                "status": MailStatus.SENT,
                "sent_at": now,
                "refused": refusal,
                "government_id": tree.govs[government],
            }
            db.session.execute(sa.insert(OutboxMessage), [row])
        db.session.commit()
    client = app.test_client()
    login(client, tree.users["prov_secretariat"])
    everything = _alert(client.get("/dashboard").get_data(as_text=True))
    assert "dinkes@serangkab.go.id" in everything and "dinkes@tangerangkota.go.id" in everything
    kab = _alert(client.get(f"/dashboard?government={tree.govs['kab']}").get_data(as_text=True))
    assert "dinkes@serangkab.go.id" in kab and "dinkes@tangerangkota.go.id" not in kab


def test_the_dashboard_asks_the_outbox_once_and_shows_a_new_refusal_at_once(app, world, client_as):
    """The outbox's writes leave the data version, so the dashboard reads its refusals on every load: one
    statement when nothing was refused lately, and a refusal written since the last load is listed on the next."""
    secretariat = client_as("secretariat")
    secretariat.get("/dashboard")  # the kept figures filled
    with app.app_context():
        engine = db.engine
    outbox_reads = []

    def note(_conn, _cursor, statement, *_):
        if re.search(r"\bFROM outbox\b", statement):
            outbox_reads.append(statement)

    sa.event.listen(engine, "before_cursor_execute", note)
    try:
        alert = _alert(secretariat.get("/dashboard").get_data(as_text=True))
        assert len(outbox_reads) == 1
        assert "dinkes@tangerangkota.go.id" not in alert
        with app.app_context():
            now = clock.now()
            refusal = [{"address": "dinkes@tangerangkota.go.id", "code": 550, "reply": "mailbox full"}]
            row = outbox.new_row("copy", MailKind.DIGEST, "head@example.org", now=now, local_date=now.date())
            row |= {"status": MailStatus.SENT, "sent_at": now, "refused": refusal}
            db.session.execute(sa.insert(OutboxMessage), [row])
            db.session.commit()
        alert = _alert(secretariat.get("/dashboard").get_data(as_text=True))
        assert "dinkes@tangerangkota.go.id" in alert and "mailbox full" in alert
    finally:
        sa.event.remove(engine, "before_cursor_execute", note)
