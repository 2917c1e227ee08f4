"""One digest per person per day: a head of two OPDs (Plt.) gets one email covering both, each task once."""

import json
import re
from datetime import date

import jinja2
import sqlalchemy as sa

from accounts.models import Opd
from actions import services as actions
from actions.models import Assignment, Status
from core import data_version
from core.extensions import db
from notifications import content, dispatcher, planner
from notifications.models import MailStatus, OutboxItem
from tests.actions.helpers import make_action
from tests.conftest import as_user, login
from tests.notifications.helpers import at, digests, items_of

PLT = "Dinas Pemberdayaan Perempuan dan Perlindungan Anak (Plt.)"


def _heads(world, opd: str, user: str) -> None:
    """Make `user` the head of `opd` (a Plt. when it is not their own OPD), on the row: the OPD form's way is
    tested in test_acting_head.py."""
    db.session.execute(sa.update(Opd).where(Opd.id == world.opds[opd]).values(head_id=world.users[user].id))
    db.session.commit()


def _inbox(world, opd: str, email: str) -> None:
    db.session.execute(sa.update(Opd).where(Opd.id == world.opds[opd]).values(email=email))
    db.session.commit()


def _two_tasks(world):
    """The DINKES head is also Plt. head of DP3AP2KB; one task each, due Friday 19 December."""
    _heads(world, "DP3AP2KB", "opd_head")
    make_action(world, lead="DINKES", support=(), due_in=3, title="Layanan keswa di Puskesmas")
    make_action(world, lead="DP3AP2KB", support=(), due_in=3, title="Rumah aman korban kekerasan")
    dispatcher.dispatch()  # the new-task emails


def _digest_mails(smtp):
    return [m for m in smtp.messages if m["Subject"].startswith("[Kawal] DINKES") or "DP3AP2KB:" in m["Subject"]]


def test_a_plt_head_of_two_opds_gets_one_email_listing_both_and_each_link_acknowledges(mail_app, world, smtp):
    with mail_app.app_context():
        _inbox(world, "DP3AP2KB", "dp3ap2kb@example.org")
        _two_tasks(world)
        smtp.messages.clear()
        first = planner.plan()
        assert (first.messages, first.items) == (1, 2)
        again = planner.plan()
        assert (again.messages, again.items) == (0, 0)  # a second run adds nothing
        [digest] = digests()
        assert digest.opd_id == world.opds["DINKES"]  # filed under the head's own OPD
        assert dispatcher.dispatch().sent == 1
    [mail] = smtp.messages
    assert mail["To"] == "opd.head@example.org" and mail["Cc"] == "dp3ap2kb@example.org"  # each OPD's inbox copied
    assert mail["Subject"] == "[Kawal] DINKES, DP3AP2KB: 2 jatuh tempo minggu ini"
    text = mail.get_body(("plain",)).get_content()
    assert "Layanan keswa di Puskesmas" in text and "Rumah aman korban kekerasan" in text
    assert f"OPD: {PLT}" in text and re.search(r"OPD: Dinas Kesehatan\s*$", text, re.M)
    # One one-click link per task, and the Plt.'s works: it acknowledges the other OPD's task as its head.
    acknowledge = re.findall(r"http://kawal\.test(/a/\S+)", text)
    assert len(acknowledge) == 2
    client = mail_app.test_client()
    assert all(client.get(path).status_code == 200 for path in acknowledge)
    for path in acknowledge:
        assert client.post(path, data={"pic_name": "Rina"}).status_code == 200
    with mail_app.app_context():
        statuses = db.session.scalars(sa.select(Assignment.status)).all()
    assert statuses == [Status.ACKNOWLEDGED, Status.ACKNOWLEDGED]


def test_a_task_due_soon_and_unacknowledged_is_said_once_in_its_most_urgent_group(mail_app, world, smtp, client):
    with mail_app.app_context():
        make_action(world, support=(), due_in=9, title="Sarana visum")  # due 25 December
        dispatcher.dispatch()
        smtp.messages.clear()
        at(mail_app, 2025, 12, 18, 8, 0)  # two working days unacknowledged, and 7 days left
        assert planner.plan().items == 2
        [digest] = digests()
        assert sorted(item.reason for item in items_of(digest)) == ["due_soon", "unacknowledged"]
        dispatcher.dispatch()
        [assignment_id] = db.session.scalars(sa.select(Assignment.id)).all()
    [mail] = smtp.messages
    assert mail["Subject"] == "[Kawal] DINKES: 1 jatuh tempo minggu ini"
    text = mail.get_body(("plain",)).get_content()
    assert text.count("Sarana visum") == 1
    assert "== Segera jatuh tempo ==" in text and "== Belum dikonfirmasi ==" not in text
    assert "Juga: belum dikonfirmasi" in text
    assert mail.get_body(("html",)).get_content().count("Sarana visum") == 1
    login(client, world.users["secretariat"].id)
    log = client.get("/admin/delivery?kind=digest").get_data(as_text=True)
    assert log.count(f">#{assignment_id}</a>") == 1  # the delivery log lists the task once for this email


def test_planning_and_sending_a_digest_leave_the_data_version(mail_app, world, smtp):
    # Mail is written to tables no cached page reads (core.data_version): a run of reminders must not empty every
    # worker's caches and change every list's ETag once for each email.
    with mail_app.app_context():
        make_action(world, support=(), due_in=9, title="Sarana visum")
        dispatcher.dispatch()
        at(mail_app, 2025, 12, 18, 8, 0)
        before = data_version.current()
        assert planner.plan().items == 2
        assert dispatcher.dispatch().sent == 1
        assert data_version.current() == before


def test_a_missed_day_catches_up_in_one_email_for_both_opds(mail_app, world, smtp):
    with mail_app.app_context():
        _two_tasks(world)
        smtp.messages.clear()
        planner.plan()  # Tuesday's digest is planned, then the sender is down until Friday, the due day
        at(mail_app, 2025, 12, 19, 8, 0)
        planner.plan()
        tuesday, friday = digests()
        assert (tuesday.status, tuesday.cancel_reason) == (MailStatus.CANCELLED, "superseded")
        # Of each task: Tuesday's "3 days left", Friday's "due today" and "not yet acknowledged".
        assert len(items_of(friday)) == 6 and friday.local_date == date(2025, 12, 19)
        assert dispatcher.dispatch().sent == 1
    [mail] = _digest_mails(smtp)
    text = mail.get_body(("plain",)).get_content()
    assert text.count("Layanan keswa di Puskesmas") == text.count("Rumah aman korban kekerasan") == 1


def test_a_head_changed_before_sending_gets_the_task_and_nothing_is_said_twice(mail_app, world, smtp):
    with mail_app.app_context():
        _two_tasks(world)
        smtp.messages.clear()
        planner.plan()
        [digest] = digests()
        assert len(items_of(digest)) == 2
        _heads(world, "DP3AP2KB", "other_head")  # the definitive head is installed before 07.30's email goes
        assert dispatcher.dispatch().sent == 1
        # DP3AP2KB's task went back to the planner, which puts it in its new head's digest of today.
        assert len(items_of(digest)) == 1
        assert planner.plan().items == 1
        assert dispatcher.dispatch().sent == 1
        assert planner.plan().items == 0
        planned = db.session.execute(
            sa.select(OutboxItem.subject_key, OutboxItem.occasion).where(OutboxItem.reason != "new_task")
        ).all()
        assert len(planned) == len(set(planned)) == 2
    plt, definitive = smtp.messages
    assert plt["To"] == "opd.head@example.org" and definitive["To"] == "other.head@example.org"
    texts = [m.get_body(("plain",)).get_content() for m in (plt, definitive)]
    assert "Layanan keswa di Puskesmas" in texts[0] and "Rumah aman korban kekerasan" not in texts[0]
    assert "Rumah aman korban kekerasan" in texts[1] and "Layanan keswa di Puskesmas" not in texts[1]


def test_a_task_moved_before_its_mail_goes_is_told_once_to_its_new_opd(mail_app, world, smtp):
    with mail_app.app_context():
        assignment = make_action(world, lead="DINKES", support=(), title="Rumah aman").assignments[0]
        secretariat = as_user(world.users["secretariat"].id)
        actions.reassign(secretariat, assignment.id, world.opds["DP3AP2KB"], "Kewenangan DP3AP2KB")
        result = dispatcher.dispatch()
        # DINKES's "new task" has nothing left to say, and nor has its notice of the move: it never heard of the task
        assert (result.sent, result.cancelled) == (1, 2)
    [mail] = smtp.messages
    assert mail["To"] == "other.head@example.org" and "Rumah aman" in mail["Subject"]


def test_a_head_of_opds_of_two_governments_gets_each_government_s_digest_in_its_own_log(app, tree, clock):
    from notifications import services as notifications
    from tests.notifications.test_governments import _task

    with app.app_context():
        head = tree.users["kab_head"]  # Serang's Dinkes head, also Plt. head of the kota's Dinkes
        db.session.execute(sa.update(Opd).where(Opd.id == tree.opds["kota:DINKES"]).values(head_id=head))
        db.session.commit()
        _task(tree, "kab", "kab:DINKES", title="Tugas Serang")
        _task(tree, "kota", "kota:DINKES", title="Tugas Tangerang")
        assert planner.plan().messages == 2
        rows = digests()
        assert sorted((row.government_id, row.opd_id, row.recipient_user_id) for row in rows) == sorted(
            [(tree.govs["kab"], tree.opds["kab:DINKES"], head), (tree.govs["kota"], tree.opds["kota:DINKES"], head)]
        )
        kota_log = notifications.delivery_log(
            as_user(tree.world.users["secretariat"].id), notifications.DeliveryFilters()
        )
        assert [m.opd_id for m in kota_log.items if m.kind == "digest"] == [tree.opds["kota:DINKES"]]


def test_a_digest_planned_per_opd_before_the_upgrade_is_superseded_by_its_head_s(mail_app, world, smtp):
    from notifications import outbox
    from notifications.models import MailKind, OutboxMessage

    with mail_app.app_context():
        assignment_id = make_action(world, support=(), due_in=3, title="Sarana visum").assignments[0].id
        dispatcher.dispatch()
        smtp.messages.clear()
        old = outbox.new_row(  # yesterday's, in the old shape, still waiting with its item
            f"digest:{world.opds['DINKES']}:2025-12-15",
            MailKind.DIGEST,
            "opd.head@example.org",
            now=at(mail_app, 2025, 12, 15, 8, 0),
            local_date=date(2025, 12, 15),
            opd_id=world.opds["DINKES"],
            government_id=db.session.get(Opd, world.opds["DINKES"]).government_id,
            recipient_user_id=world.users["opd_head"].id,
        )
        db.session.add(OutboxMessage(**old))
        db.session.flush()
        legacy = db.session.scalar(sa.select(OutboxMessage).where(OutboxMessage.dedup_key == old["dedup_key"]))
        db.session.add(
            OutboxItem(
                message_id=legacy.id,
                subject_key=f"assignment:{assignment_id}",
                occasion="unack:legacy:1",
                reason="unacknowledged",
                assignment_id=assignment_id,
                state={},
            )
        )
        db.session.commit()
        at(mail_app, 2025, 12, 16, 9, 0)
        planner.plan()
        legacy, today = digests()
        assert (legacy.status, legacy.cancel_reason) == (MailStatus.CANCELLED, "superseded")
        assert len(items_of(today)) == 2  # its item came along
        assert dispatcher.dispatch().sent == 1
    [mail] = smtp.messages
    assert mail.get_body(("plain",)).get_content().count("Sarana visum") == 1


def test_an_english_reading_plt_head_reads_acting_head_in_english(mail_app, world, smtp):
    from accounts import services as accounts

    with mail_app.app_context():
        accounts.set_locale(as_user(world.users["opd_head"].id), "en")
        _two_tasks(world)
        smtp.messages.clear()
        planner.plan()
        dispatcher.dispatch()
    [mail] = smtp.messages
    text = mail.get_body(("plain",)).get_content()
    assert "OPD: Dinas Pemberdayaan Perempuan dan Perlindungan Anak (acting head)" in text
    assert "(Plt.)" not in text and "(Plt.)" not in mail.get_body(("html",)).get_content()


def test_an_inbox_that_is_a_head_s_own_address_shares_the_head_s_one_digest(mail_app, world, smtp):
    with mail_app.app_context():
        _inbox(world, "BAPPEDA", "opd.head@example.org")  # no head of its own: its inbox is the DINKES head's
        make_action(world, lead="DINKES", support=(), due_in=3, title="Layanan keswa di Puskesmas")
        make_action(world, lead="BAPPEDA", support=(), due_in=3, title="Data perencanaan korban")
        dispatcher.dispatch()  # the new-task emails
        smtp.messages.clear()
        assert planner.plan().messages == 1
        [digest] = digests()
        assert len(items_of(digest)) == 2
        assert digest.opd_id == world.opds["DINKES"]  # filed under the OPD its reader heads
        assert dispatcher.dispatch().sent == 1
        assert planner.plan().items == 0  # nothing went back to the planner
    [mail] = smtp.messages
    assert mail["To"] == "opd.head@example.org" and mail["Cc"] is None
    assert mail["Subject"] == "[Kawal] DINKES, BAPPEDA: 2 jatuh tempo minggu ini"
    text = mail.get_body(("plain",)).get_content()
    assert "Layanan keswa di Puskesmas" in text and "Data perencanaan korban" in text
    # Its head is nobody's: no "(Plt.)", and the one-click link only for the task of the OPD the reader heads.
    assert "OPD: Badan Perencanaan Pembangunan Daerah\r\n" in text and "(Plt.)" not in text
    assert len(re.findall(r"http://kawal\.test(/a/\S+)", text)) == 1


def test_a_task_a_digest_left_out_does_not_list_that_digest_among_its_emails(mail_app, world, smtp, client):
    with mail_app.app_context():
        quiet_id = make_action(world, lead="DINKES", support=(), due_in=30, title="Layanan keswa di Puskesmas")
        quiet_id = quiet_id.assignments[0].id
        make_action(world, lead="DINKES", support=(), due_in=3, title="Rumah aman korban kekerasan")
        dispatcher.dispatch()  # the new-task emails
        at(mail_app, 2025, 12, 18, 8, 0)  # Thursday: the first task's "not yet acknowledged", the second's "due soon"
        planner.plan()
        [digest] = digests()
        assert quiet_id in {item.assignment_id for item in items_of(digest)}
        actions.acknowledge(as_user(world.users["opd_head"].id), quiet_id)  # before 07.30's email goes
        assert dispatcher.dispatch().sent == 1
    [mail] = [m for m in smtp.messages if m["Subject"].startswith("[Kawal] DINKES:")]
    assert "Layanan keswa di Puskesmas" not in mail.get_body(("plain",)).get_content()
    login(client, world.users["secretariat"].id)
    page = client.get(f"/assignments/{quiet_id}").get_data(as_text=True)
    emails = page.split('id="reminders"')[1].split("</section>")[0]
    assert "Tugas baru" in emails and "Pengingat harian" not in emails


def test_a_plt_head_s_tasks_link_lists_the_tasks_of_both_opds_the_digest_covers(mail_app, world, smtp, client):
    with mail_app.app_context():
        _two_tasks(world)
        smtp.messages.clear()
        planner.plan()
        dispatcher.dispatch()
    [mail] = smtp.messages
    [tasks_url] = set(re.findall(r"http://kawal\.test(/tasks)\b", mail.get_body(("plain",)).get_content()))
    login(client, world.users["opd_head"].id)
    page = client.get(tasks_url).get_data(as_text=True)
    titles = re.findall(r'<h2><a href="/assignments/\d+">([^<]+)</a></h2>', page)
    assert sorted(titles) == ["Layanan keswa di Puskesmas", "Rumah aman korban kekerasan"]
    # Each task names its OPD, the user acting for two.
    assert (
        len(re.findall(r'<p class="task-opd">OPD: DP3AP2KB \(Plt\.\) · ', page)) == 1 and "2 belum dikonfirmasi" in page
    )
    # Those who are not heading another OPD see their own OPD's alone: its staff, and the other OPD's own user.
    for user, title in [("opd_staff", "Layanan keswa di Puskesmas"), ("other_head", "Rumah aman korban kekerasan")]:
        login(client, world.users[user].id)
        page = client.get("/tasks").get_data(as_text=True)
        assert re.findall(r'<h2><a href="/assignments/\d+">([^<]+)</a></h2>', page) == [title]
        assert "(Plt.)" not in page


def test_what_send_time_finds_of_a_claims_items_is_written_in_one_statement(mail_app, world, smtp):
    """Two heads' digests in one claim: their items' states at send time go to the database together (one UPDATE
    of outbox_items for the claim, not one per email), and each item keeps its own. One connection: with several,
    the two rows may be claimed by two senders, each writing its own."""
    mail_app.config["MAIL_CONNECTIONS"] = 1
    with mail_app.app_context():
        make_action(world, lead="DINKES", support=(), due_in=3, title="Layanan keswa di Puskesmas")
        make_action(world, lead="DP3AP2KB", support=(), due_in=3, title="Rumah aman korban kekerasan")
        dispatcher.dispatch()  # the new-task emails
        smtp.messages.clear()
        assert planner.plan().messages == 2
        statements = []

        def note(_connection, _cursor, statement, *_):
            statements.append(statement)

        sa.event.listen(db.engine, "before_cursor_execute", note)
        try:
            assert dispatcher.dispatch().sent == 2
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", note)
        assert len([s for s in statements if s.lstrip().upper().startswith("UPDATE OUTBOX_ITEMS")]) == 1
        states = {item.state["title"] for digest in digests() for item in items_of(digest)}
    assert states == {"Layanan keswa di Puskesmas", "Rumah aman korban kekerasan"}
    assert len(smtp.messages) == 2


def test_an_items_view_is_read_by_attribute_without_an_error_and_kept_as_a_dict():
    """Jinja reads `item.title` as an attribute first: the view answers it at once (a plain dict raises, and
    Jinja then tries the key), a key it lacks is still Jinja's undefined, and the state kept is the same dict."""
    view = content.View(title="Sarana visum", days_late=0)
    assert view.title == "Sarana visum" and view.days_late == 0
    assert not hasattr(view, "forum")
    rendered = jinja2.Environment().from_string("{{ item.title }}|{% if item.forum %}x{% endif %}|{{ item.forum }}")
    assert rendered.render(item=view) == "Sarana visum||"
    assert json.dumps(view) == json.dumps({"title": "Sarana visum", "days_late": 0})


def test_a_digest_calls_its_catalogue_directly_not_through_jinjas_alias(mail_app, world, smtp):
    """The templates a digest is made of call `gettext` (the email's catalogue, mailer.translators) and not `_`,
    which is Jinja's alias that looks `gettext` up and calls it: two calls for each of a digest's hundred words."""
    aliased = []
    alias = mail_app.jinja_env.globals["_"]

    def counting(*args, **kwargs):
        aliased.append(args[1] if len(args) > 1 else args)
        return alias(*args, **kwargs)

    counting.jinja_pass_arg = alias.jinja_pass_arg  # still given the context, as Jinja's alias is
    mail_app.jinja_env.globals["_"] = counting
    with mail_app.app_context():
        _two_tasks(world)
        smtp.messages.clear()
        aliased.clear()  # the new-task emails' own templates are not the digest's
        planner.plan()
        assert dispatcher.dispatch().sent == 1
    [mail] = smtp.messages
    assert "Rumah aman korban kekerasan" in mail.get_body(("plain",)).get_content()
    assert aliased == []


def test_a_digest_translates_its_items_fixed_words_once_and_says_their_days_for_both_parts(
    mail_app, world, smtp, monkeypatch
):
    """The item card's fixed words ("Due") are translated once per part, not once per item, and an item's day
    count is said once in content (`_add_words`) for both parts, not by an ngettext in each template."""
    from notifications import mailer

    asked = []
    make_translators = mailer.translators

    def counting(translations):
        made = make_translators(translations)

        def counted(name):
            def call(context, string, *args, **kwargs):
                asked.append(string)
                return made[name](context, string, *args, **kwargs)

            call.jinja_pass_arg = made[name].jinja_pass_arg
            return call

        return {name: counted(name) for name in made}

    monkeypatch.setattr(mailer, "translators", counting)
    with mail_app.app_context():
        for title in ("Layanan keswa di Puskesmas", "Sarana visum", "Sosialisasi PPT Kespro"):
            make_action(world, lead="DINKES", support=(), due_in=3, title=title)
        dispatcher.dispatch()  # the new-task emails
        smtp.messages.clear()
        asked.clear()
        planner.plan()
        assert dispatcher.dispatch().sent == 1
    [mail] = smtp.messages
    text, html = mail.get_body(("plain",)).get_content(), mail.get_body(("html",)).get_content()
    assert text.count("Tenggat: ") == 3 and html.count("Tenggat: ") == 3
    assert html.count("3 hari lagi") == 3
    assert asked.count("Due") == 2  # once for the HTML card, once for the text part
    assert "%(num)d day left" not in asked


def test_a_digests_links_come_from_patterns_built_once_a_run_and_read_back_as_the_heads(
    mail_app, world, smtp, monkeypatch
):
    """Each item's page and its one-click acknowledgement are put into a URL pattern built once per run
    (Book.url), not built by the URL map for each item; the links so made are the URL map's own."""
    from notifications import links as link_tokens

    built = []
    build = content.absolute_url

    def counting(endpoint, **values):
        built.append(endpoint)
        return build(endpoint, **values)

    monkeypatch.setattr(content, "absolute_url", counting)
    with mail_app.app_context():
        for title in ("Layanan keswa di Puskesmas", "Sarana visum", "Sosialisasi PPT Kespro"):
            make_action(world, lead="DINKES", support=(), due_in=3, title=title)
        smtp.messages.clear()
        planner.plan()
        built.clear()
        assert dispatcher.dispatch().sent == 4  # the three new-task emails and the digest
    [digest] = [m for m in smtp.messages if m["Subject"].startswith("[Kawal] DINKES:")]
    links = re.findall(r"http://kawal\.test/a/\S+", digest.get_body(("plain",)).get_content())
    assert len(links) == 3
    assert built.count("notifications.acknowledge_link") == 1  # the pattern, once for the whole run
    assert built.count("actions.assignment_view") == 1
    with mail_app.app_context():
        read = [link_tokens.read_acknowledge_token(link.rsplit("/", 1)[1], max_age_days=7) for link in links]
        assert [link_tokens.acknowledge_url(*found) for found in read] == links  # as the URL map builds them
    assert {found.user_id for found in read} == {world.users["opd_head"].id}


def test_an_items_state_keeps_its_values_as_text_and_its_dates_in_iso_form_without_the_emails_words():
    """The state kept at send time, as `_snapshot` made it before it took `str` of every value (the bench's 47,628
    states were the same, checked by their digest)."""
    view = content.View(
        title="Sarana visum",
        forum=None,
        opd="DINKES",
        due_date=date(2025, 12, 19),
        days_late=0,
        days_left=3,
        status="assigned",
        status_label="Ditugaskan",
        url="http://kawal.test/assignments/1",
    )
    assert content._snapshot(view) == {
        "title": "Sarana visum",
        "forum": None,
        "opd": "DINKES",
        "due_date": "2025-12-19",
        "days_late": "0",
        "days_left": "3",
        "status": "assigned",
    }
