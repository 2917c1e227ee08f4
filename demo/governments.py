"""The demo's three governments, and how the demo names them and their OPDs."""

import sqlalchemy as sa

from accounts import governments
from accounts import services as accounts
from accounts.models import Government, GovernmentKind, Opd
from core.extensions import db

KOTA, BANTEN, SERANG = "kota", "banten", "serang"

# key: code, name as printed, kind, parent key, letterhead address. Kota Tangerang is the first government (made
# from KAWAL_PEMDA_NAME by the migration); the demo only puts it under its province.
GOVERNMENTS = {
    BANTEN: (
        "BANTEN",
        "Pemerintah Provinsi Banten",
        GovernmentKind.PROVINSI,
        None,
        # ASSUMED: the letterhead's address, the province's seat of government.
        "Kawasan Pusat Pemerintahan Provinsi Banten (KP3B), Jl. Syech Nawawi Al-Bantani, Serang [Data demo]",
    ),
    SERANG: (
        "KAB-SERANG",
        "Pemerintah Kabupaten Serang",
        GovernmentKind.KABUPATEN,
        BANTEN,
        "Jl. Veteran No. 1, Serang [Data demo]",  # ASSUMED: the letterhead's address
    ),
}

# What each government's documents print (accounts.governments.document_names makes the rest from the name):
# the secretariat's numbering format and the head of Bappeda who signs "Mengetahui". ASSUMED, every one: the
# reports name no numbers and no heads.
DOCUMENTS = {
    KOTA: dict(
        numbering_format="000.1.5/{seq:03}/BA-Bappeda/{roman_month}/{year}",
        signer_name="Kepala Bappeda Kota Tangerang [Data demo]",
    ),
    BANTEN: dict(
        numbering_format="000.1.5/{seq:03}/Bappeda-Prov/{year}",
        place_name="Serang",
        signer_name="Kepala Bappeda Provinsi Banten [Data demo]",
    ),
    SERANG: dict(numbering_format="{seq}/BA/Bappeda/{roman_month}/{year}"),
}


def government_id(key: str) -> int | None:
    """The id of a demo government by its key (kota, banten, serang)."""
    if key == KOTA:
        return governments.default_government_id()
    return db.session.scalar(sa.select(Government.id).where(Government.code == GOVERNMENTS[key][0]))


def opd(code: str, government: str = KOTA) -> Opd | None:
    """A demo OPD by its code in a demo government."""
    return accounts.opd_by_code(code, government_id(government))
