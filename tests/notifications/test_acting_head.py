"""A Plt. head end to end (issue 14, point 5): the admin names the head of Dinkes acting head of DP3AP2KB through
the OPD form; the reminder preview then shows one line for that person, one email greets both posts, its links
acknowledge both OPDs' tasks, and "My tasks" and the evidence downloads follow the OPDs the head acts for."""

import io
import re

import sqlalchemy as sa

from accounts.models import Opd
from actions.models import Assignment, Status
from core.audit import AuditEvent
from core.extensions import db
from notifications import dispatcher, planner
from tests.actions.helpers import make_action
from tests.conftest import login

PDF = b"%PDF-1.4\n% bukti\n"
DP3AP2KB_NAME = "Dinas Pemberdayaan Perempuan dan Perlindungan Anak"


def _signed_in(app, user_id):
    client = app.test_client()
    login(client, user_id)
    return client


def _opd_form(world, head_id):
    return {"code": "DP3AP2KB", "name": DP3AP2KB_NAME, "kind": "dinas", "parent_id": "", "email": "", "active": "y"} | {
        "head_id": head_id
    }


def _name_plt_head(app, world):
    """The admin names the Dinkes head as head of DP3AP2KB through the OPD form."""
    admin = _signed_in(app, world.users["admin"].id)
    url = f"/admin/opds/{world.opds['DP3AP2KB']}"
    form = admin.get(url).get_data(as_text=True)
    heads = re.search(r'<select[^>]*name="head_id".*?</select>', form, re.S).group(0)
    assert (
        f'<option value="{world.users["opd_head"].id}">Test opd_head (Plt., Kepala Dinas Kesehatan)</option>' in heads
    )
    assert f'value="{world.users["opd_staff"].id}"' not in heads
    assert admin.post(url, data=_opd_form(world, world.users["opd_head"].id)).status_code == 302


def test_a_plt_head_set_in_the_admin_gets_one_line_one_email_and_both_opds_tasks(mail_app, world, smtp):
    _name_plt_head(mail_app, world)
    with mail_app.app_context():
        assert db.session.get(Opd, world.opds["DP3AP2KB"]).head_id == world.users["opd_head"].id
        event = db.session.scalars(
            sa.select(AuditEvent)
            .where(AuditEvent.entity_type == "opd", AuditEvent.entity_id == world.opds["DP3AP2KB"])
            .order_by(AuditEvent.id)
        ).all()[-1]
        assert event.changes["head_id"] == [world.users["other_head"].id, world.users["opd_head"].id]
        make_action(world, lead="DINKES", support=(), due_in=3, title="Layanan keswa di Puskesmas")
        make_action(world, lead="DP3AP2KB", support=(), due_in=3, title="Rumah aman korban kekerasan")
        dispatcher.dispatch()  # the new-task emails
        ids = dict(db.session.execute(sa.select(Assignment.opd_id, Assignment.id)).tuples().all())
        dinkes_task, plt_task = ids[world.opds["DINKES"]], ids[world.opds["DP3AP2KB"]]
    smtp.messages.clear()

    # The preview: one line for the person, naming both OPDs, the acting post marked.
    preview = _signed_in(mail_app, world.users["secretariat"].id).get("/admin/reminders/preview")
    page = preview.get_data(as_text=True)
    rows = re.findall(r"<tr>\s*<td data-label=\"OPD\">(.*?)</td>\s*<td data-label=\"Penerima\">(.*?)</td>", page, re.S)
    assert rows == [("DINKES, DP3AP2KB (Plt.)", "opd.head@example.org")]

    # "My tasks": both OPDs' tasks, each with its OPD, counted together.
    head = _signed_in(mail_app, world.users["opd_head"].id)
    tasks = head.get("/tasks").get_data(as_text=True)
    assert "Layanan keswa di Puskesmas" in tasks and "Rumah aman korban kekerasan" in tasks
    assert re.search(r'id="task-opds">DINKES · DP3AP2KB<', tasks)
    assert f"OPD: DP3AP2KB (Plt.) · {DP3AP2KB_NAME}" in tasks
    assert "2 belum dikonfirmasi" in tasks and "2 masih berjalan" in tasks

    # One email greeting both posts; its one-click links acknowledge both tasks.
    with mail_app.app_context():
        assert (planner.plan().messages, dispatcher.dispatch().sent) == (1, 1)
    [mail] = smtp.messages
    text = mail.get_body(("plain",)).get_content()
    assert text.startswith(f"Yth. Kepala Dinas Kesehatan / Plt. Kepala {DP3AP2KB_NAME},")
    assert f"Yth. Kepala Dinas Kesehatan / Plt. Kepala {DP3AP2KB_NAME}," in mail.get_body(("html",)).get_content()
    client = mail_app.test_client()
    for path in re.findall(r"http://kawal\.test(/a/\S+)", text):
        assert client.post(path, data={"pic_name": "Rina"}).status_code == 200
    with mail_app.app_context():
        assert {db.session.get(Assignment, i).status for i in (dinkes_task, plt_task)} == {Status.ACKNOWLEDGED}

    # Evidence of DP3AP2KB's task: the Plt. head reports and downloads it; Dinkes' staff may not.
    report = head.post(
        f"/assignments/{plt_task}/progress",
        data={"percent": "40", "note": "Bukti", "files": [(io.BytesIO(PDF), "laporan.pdf")]},
        content_type="multipart/form-data",
    )
    assert report.status_code == 302
    url = re.search(r'href="(/evidence/\d+)"', head.get(f"/assignments/{plt_task}").get_data(as_text=True)).group(1)
    download = head.get(url)
    assert (download.status_code, download.data) == (200, PDF)
    assert _signed_in(mail_app, world.users["other_head"].id).get(url).status_code == 200  # DP3AP2KB's own user
    assert _signed_in(mail_app, world.users["opd_staff"].id).get(url).status_code == 403


def test_another_governments_head_cannot_be_chosen(app, tree, client):
    world = tree.world
    login(client, world.users["admin"].id)
    url = f"/admin/opds/{world.opds['DP3AP2KB']}"
    form = client.get(url).get_data(as_text=True)
    heads = re.search(r'<select[^>]*name="head_id".*?</select>', form, re.S).group(0)
    assert f'value="{tree.users["kab_head"]}"' not in heads and "Test other_head" in heads
    response = client.post(url, data=_opd_form(world, tree.users["kab_head"]))
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert DP3AP2KB_NAME in page  # the typed form is kept
    with app.app_context():
        assert db.session.get(Opd, world.opds["DP3AP2KB"]).head_id == world.users["other_head"].id


def test_a_plt_head_is_greeted_as_plt_on_a_new_task_and_a_decision_of_the_acting_opd(mail_app, world, smtp):
    from actions import services as actions
    from tests.conftest import as_user

    _name_plt_head(mail_app, world)
    with mail_app.app_context():
        action_id = make_action(world, lead="DP3AP2KB", support=(), title="Rumah aman korban kekerasan").id
        dispatcher.dispatch()
        actions.cancel_action(as_user(world.users["secretariat"].id), action_id, "Tidak relevan lagi.")
        make_action(world, support=(), title="Layanan keswa")  # of Dinkes, the head's own post
        dispatcher.dispatch()
    greetings = [m.get_body(("plain",)).get_content().splitlines()[0] for m in smtp.messages]
    assert greetings == [
        f"Yth. Plt. Kepala {DP3AP2KB_NAME},",
        f"Yth. Plt. Kepala {DP3AP2KB_NAME},",
        "Yth. Kepala Dinas Kesehatan,",
    ]
    html = smtp.messages[1].get_body(("html",)).get_content()
    assert f"Yth. Plt. Kepala {DP3AP2KB_NAME}," in html


def test_a_plt_head_is_offered_the_progress_form_of_the_acting_opds_task(mail_app, world, smtp):
    """The service takes a Plt. head's report (acts_for), so the page and the API's `allowed` offer it too: both ask
    `may_report`, which asked the user's own OPD only."""
    _name_plt_head(mail_app, world)
    with mail_app.app_context():
        make_action(world, lead="DP3AP2KB", support=(), due_in=3, title="Rumah aman korban kekerasan")
        task = db.session.scalar(sa.select(Assignment.id))
    head = _signed_in(mail_app, world.users["opd_head"].id)
    assert head.post(f"/assignments/{task}/acknowledge", data={"pic_name": "Rina"}).status_code == 302
    page = head.get(f"/assignments/{task}").get_data(as_text=True)
    assert f'action="/assignments/{task}/progress"' in page
    staff = _signed_in(mail_app, world.users["opd_staff"].id).get(f"/assignments/{task}").get_data(as_text=True)
    assert f'action="/assignments/{task}/progress"' not in staff
