"""Building forums for tests, from the FGD PPT Kespro report."""

from datetime import UTC, datetime

from forum import services
from tests.conftest import as_user

FGD = dict(
    kind="fgd",
    title="FGD Pembahasan PPT Kespro",
    series_id=None,
    starts_at=datetime(2025, 12, 16, 2, 0, tzinfo=UTC),
    ends_at=datetime(2025, 12, 16, 5, 0, tzinfo=UTC),
    venue="Ruang Rapat Bappeda",
    mode="luring",
    online_link=None,
    organiser_opd_id=None,
    host=None,
    chair="Kepala Bidang Sosmasek",
    minute_taker="Notulis",
    agenda="1. Paparan\n2. Diskusi",
    period_start=None,
    period_end=None,
)


def make_forum(world, **overrides):
    """A forum created by the secretariat; call inside an app context."""
    secretariat = as_user(world.users["secretariat"].id)
    values = {**FGD, "organiser_opd_id": world.opds["BAPPEDA"], **overrides}
    return services.create_forum(secretariat, **values)


def participant(world, name="Dewi Lestari", opd="DINKES", **overrides):
    values = dict(
        name=name,
        position=None,
        opd_id=world.opds[opd] if opd else None,
        institution=None,
        category="opd",
        role="peserta",
        attendance="hadir",
        email=None,
        phone=None,
    )
    return {**values, **overrides}
