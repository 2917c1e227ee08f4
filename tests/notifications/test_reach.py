"""Which OPDs Kawal cannot reach: nobody to write to, or an address the mail server refuses."""

import re

import pytest
import sqlalchemy as sa

from accounts import reach as accounts_reach
from accounts.models import Opd, User
from core import clock
from core.extensions import db
from notifications import outbox, reach
from notifications.models import MailError, MailKind, MailStatus, OutboxMessage
from tests.reports.test_cache import versioned  # noqa: F401 (a fixture)


def _codes(found):
    return [(u.opd.code, u.why.value) for u in found]


def test_an_opd_without_an_active_head_or_an_inbox_is_unreachable(app, world):
    with app.app_context():
        assert _codes(reach.unreachable()) == [
            ("BAPPEDA", "no_recipient"),
            ("DISDUKCAPIL", "no_recipient"),
            ("PKM-CIBODAS", "no_recipient"),
        ]
        db.session.get(Opd, world.opds["BAPPEDA"]).email = "bappeda@tangerangkota.go.id"
        db.session.get(User, world.users["opd_head"].id).active = False  # DINKES's head leaves, it has no inbox
        db.session.commit()
        assert [o.code for o in accounts_reach.unreachable()] == ["DINKES", "DISDUKCAPIL", "PKM-CIBODAS"]
        assert accounts_reach.recipient(db.session.get(Opd, world.opds["BAPPEDA"])) == (
            "bappeda@tangerangkota.go.id",
            None,
        )


def _attempt(key, recipient, status, **values):
    now = clock.now()
    row = outbox.new_row(key, MailKind.DIGEST, recipient, now=now, local_date=now.date()) | {"status": status} | values
    db.session.execute(sa.insert(OutboxMessage), [row])
    db.session.commit()


def test_a_refused_address_is_unreachable_until_mail_to_it_is_delivered(app, world):
    head = world.users["opd_head"].email
    with app.app_context():
        _attempt("a", head, MailStatus.DEAD, error_code=MailError.RECIPIENTS_REFUSED, last_error="550 no such user")
        assert ("DINKES", "refused") in _codes(reach.unreachable())
        _attempt("b", head, MailStatus.SENT)
        assert ("DINKES", "refused") not in _codes(reach.unreachable())
        # A copy refused while the head got the mail: the inbox is refused, the head is not.
        opd = db.session.get(Opd, world.opds["DP3AP2KB"])
        opd.email = "dp3a@tangerangkota.go.id"
        db.session.get(User, world.users["other_head"].id).active = False
        db.session.commit()
        refusal = [{"address": "dp3a@tangerangkota.go.id", "code": 550, "reply": "mailbox full"}]
        _attempt("c", "someone@example.org", MailStatus.SENT, refused=refusal)
        found = [u for u in reach.unreachable() if u.opd.code == "DP3AP2KB"]
        assert [(u.why.value, u.address, u.reply) for u in found] == [
            ("refused", "dp3a@tangerangkota.go.id", "mailbox full")
        ]


def test_a_refusal_is_remembered_for_a_month_and_a_recipient_only_put_off_is_not_refused(app, world, clock):
    from datetime import timedelta

    head = world.users["opd_head"].email
    with app.app_context():
        _attempt("a", head, MailStatus.DEAD, error_code=MailError.RECIPIENTS_REFUSED, last_error="550 no such user")
        assert ("DINKES", "refused") in _codes(reach.unreachable())
        clock.set(clock.now() + timedelta(days=reach.REFUSAL_MEMORY_DAYS + 1))
        assert ("DINKES", "refused") not in _codes(reach.unreachable())  # older than any digest since
        put_off = [{"address": head, "code": 452, "reply": "mailbox full"}]
        _attempt("b", "dinkes@example.org", MailStatus.SENT, refused=put_off)
        assert ("DINKES", "refused") not in _codes(reach.unreachable())


@pytest.mark.usefixtures("versioned")
def test_who_hears_for_each_opd_is_kept_until_a_write_and_the_refusals_are_read_each_time(app, world):
    head = world.users["opd_head"].email
    with app.app_context():
        assert ("DINKES", "no_recipient") not in _codes(reach.unreachable())
        statements = []
        sa.event.listen(db.engine, "before_cursor_execute", _note := lambda *args: statements.append(args[2]))
        reach.unreachable()
        sa.event.remove(db.engine, "before_cursor_execute", _note)
        # The data version and the outbox's refusals: the OPDs and their heads were kept, and with no refusal in
        # the outbox no address was asked after.
        assert [re.search(r"\bFROM (\w+)", statement).group(1) for statement in statements] == [
            "data_version",
            "outbox",
        ]
        assert "recipient IN" not in statements[1]
        # A refusal writes only the outbox, which leaves the data version: it shows all the same.
        _attempt("a", head, MailStatus.DEAD, error_code=MailError.RECIPIENTS_REFUSED, last_error="550 no such user")
        assert ("DINKES", "refused") in _codes(reach.unreachable())
        db.session.get(User, world.users["opd_head"].id).active = False  # a write: shown at once
        db.session.commit()
        assert ("DINKES", "no_recipient") in _codes(reach.unreachable())


@pytest.mark.usefixtures("versioned")
def test_a_government_never_gets_another_governments_opds_from_the_kept_recipients(app, tree):
    with app.app_context():
        kept = {gid: reach.unreachable([gid]) for gid in tree.govs.values()}
        for gid, found in kept.items():
            assert found and {u.opd.government_id for u in found} == {gid}
            assert reach.unreachable([gid]) == found
        everyone = reach.unreachable()
        assert sorted(everyone, key=lambda u: u.opd.id) == sorted(sum(kept.values(), []), key=lambda u: u.opd.id)
