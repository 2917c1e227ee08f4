import io
from datetime import timedelta

import pytest
from werkzeug.datastructures import FileStorage

from actions import decrees
from actions.models import DecreeStage
from core.errors import Invalid, InvalidTransition
from tests.actions.helpers import TODAY, make_action
from tests.conftest import as_user

DETAILS = dict(
    subject="Pembentukan Tim Penyusun PPT Kespro",
    number="800/Kep.12/2026",
    signed_on=TODAY,
    signer="Wali Kota Tangerang",
    valid_from=TODAY,
    valid_until=TODAY + timedelta(days=365),
    lead_opd_id=None,
)


def _decree_action(world):
    return make_action(world, kind="decree", lead="BAPPEDA", support=("DINKES",), title="SK Tim PPT Kespro")


def test_a_decree_action_carries_a_proposed_decree_led_by_its_lead(appctx, world):
    action = _decree_action(world)
    decree = decrees.get_decree(as_user(world.users["viewer"].id), action.id)
    assert decree.stage == DecreeStage.PROPOSED
    assert decree.lead_opd.code == "BAPPEDA"
    assert decree.subject == "SK Tim PPT Kespro"


def test_signing_needs_number_date_signer_and_the_scan(appctx, world):
    action = _decree_action(world)
    secretariat = as_user(world.users["secretariat"].id)
    with pytest.raises(InvalidTransition):
        decrees.set_decree_stage(secretariat, action.id, "signed")  # one stage at a time
    decrees.set_decree_stage(secretariat, action.id, "drafted")
    with pytest.raises(Invalid, match="nomor.*tanggal penandatanganan.*penanda tangan.*pindaian dokumen"):
        decrees.set_decree_stage(secretariat, action.id, "signed")
    decrees.update_decree(secretariat, action.id, **DETAILS)
    with pytest.raises(Invalid, match="pindaian dokumen"):
        decrees.set_decree_stage(secretariat, action.id, "signed")
    scan = FileStorage(io.BytesIO(b"%PDF-1.4\n"), filename="sk.pdf")
    decrees.update_decree(secretariat, action.id, document=scan, **DETAILS)
    decree = decrees.set_decree_stage(secretariat, action.id, "signed")
    assert decree.stage == DecreeStage.SIGNED
    with pytest.raises(Invalid):  # a signed decree cannot lose what signing needed
        decrees.update_decree(secretariat, action.id, **{**DETAILS, "number": ""})


def test_members_and_validity(appctx, world, clock):
    action = _decree_action(world)
    secretariat = as_user(world.users["secretariat"].id)
    with pytest.raises(Invalid):
        decrees.update_decree(secretariat, action.id, **{**DETAILS, "valid_until": TODAY - timedelta(days=1)})
    decrees.update_decree(secretariat, action.id, **{**DETAILS, "valid_until": TODAY + timedelta(days=30)})
    member = decrees.add_decree_member(
        secretariat,
        action.id,
        name="Kepala Bappeda",
        opd_id=world.opds["BAPPEDA"],
        position="Kepala Badan",
        team_role="penanggung_jawab",
    )
    decree = decrees.get_decree(secretariat, action.id)
    assert [m.team_role for m in decree.members] == ["penanggung_jawab"]
    assert decree.days_valid(TODAY) == 30 and not decree.is_expired(TODAY)
    assert decree.is_expired(TODAY + timedelta(days=31))
    decrees.remove_decree_member(secretariat, action.id, member.id)
    assert decrees.get_decree(secretariat, action.id).members == []
    assert [d.subject for d in decrees.list_decrees(secretariat)] == [DETAILS["subject"]]


def test_a_task_has_no_decree(appctx, world):
    from core.errors import NotFound

    action = make_action(world)
    with pytest.raises(NotFound):
        decrees.get_decree(as_user(world.users["secretariat"].id), action.id)
