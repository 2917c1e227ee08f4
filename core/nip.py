"""The NIP (Nomor Induk Pegawai) printed under a civil servant's signature: one rule for every signer."""

import re

from flask_babel import lazy_gettext as _l

from core.errors import Invalid

NIP_DIGITS = 18


def check_nip(nip: str | None, field: str) -> str | None:
    """18 digits, spaced as a secretariat writes them ("19700101 199503 1 001"); letters or a wrong count would
    print a NIP no one has. Empty is no NIP."""
    if nip is not None and not (re.fullmatch(r"[\d ]+", nip) and len(nip.replace(" ", "")) == NIP_DIGITS):
        raise Invalid(_l("A NIP is %(n)d digits, e.g. 19700101 199503 1 001.", n=NIP_DIGITS), field=field)
    return nip
