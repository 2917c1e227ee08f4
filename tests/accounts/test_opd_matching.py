"""The one OPD matcher: institutions as people write them, with or without their government, on the tree of
tests/conftest.py (Provinsi Banten, Kabupaten Serang, Kota Tangerang; each with BAPPEDA and DINKES)."""

import pytest

from accounts import services as accounts
from accounts.opd_matching import OpdMatcher, government_spellings, short_forms
from tests.conftest import SYSTEM

# (text, the OPD it names: "gov:CODE") — with no government named, the OPD of the own government (the kota here).
SPELLINGS = [
    ("DINKES", "kota:DINKES"),
    ("dinkes", "kota:DINKES"),
    ("Dinas Kesehatan", "kota:DINKES"),
    ("DINAS  KESEHATAN.", "kota:DINKES"),
    ("DINKES – Dinas Kesehatan", "kota:DINKES"),
    ("Bappeda Provinsi Banten", "prov:BAPPEDA"),
    ("Bappeda Prov. Banten", "prov:BAPPEDA"),
    ("BAPPEDA · BANTEN", "prov:BAPPEDA"),
    ("Bappeda Pemerintah Provinsi Banten", "prov:BAPPEDA"),
    ("Dinas Kesehatan Provinsi Banten", "prov:DINKES"),
    ("Dinas Kesehatan Kabupaten Serang", "kab:DINKES"),
    ("Dinas Kesehatan (Kab. Serang)", "kab:DINKES"),
    ("Dinas Kesehatan, Kab Serang", "kab:DINKES"),
    ("DINKES · Kab. Serang", "kab:DINKES"),
    ("DINKES/KAB-SERANG", "kab:DINKES"),
    ("Dinkes Pemkab Serang", "kab:DINKES"),
    ("Kab. Serang - Dinkes", "kab:DINKES"),
    ("Bappeda Kab. Serang", "kab:BAPPEDA"),
    ("DINKES – Dinas Kesehatan · Kab. Serang", "kab:DINKES"),
    ("Dinkes Kota Tangerang", "kota:DINKES"),
    ("Bappeda Kota Tangerang", "kota:BAPPEDA"),
    ("Badan Perencanaan Pembangunan Daerah Kota Tangerang", "kota:BAPPEDA"),
    ("pkm cibodas", "kota:PKM-CIBODAS"),
    ("UPTD Puskesmas Cibodas", "kota:PKM-CIBODAS"),
]


@pytest.fixture
def matcher(appctx, tree):
    return OpdMatcher(accounts.active_opds())


@pytest.mark.parametrize(("text", "expected"), SPELLINGS)
def test_an_institution_is_read_in_every_usual_spelling(matcher, tree, text, expected):
    match = matcher.read(text).pick(own=tree.govs["kota"])
    assert match.opd is not None and match.opd.id == tree.opds[expected], text


def test_a_code_several_governments_share_is_ambiguous_without_an_own_government(matcher, tree):
    match = matcher.read("Dinkes").pick()
    assert match.opd is None
    assert {opd.id for opd in match.several} == {tree.opds[f"{g}:DINKES"] for g in ("prov", "kab", "kota")}


def test_with_no_government_named_a_unique_opd_among_the_candidates_is_found(matcher, tree):
    within = frozenset({tree.govs["kab"]})
    assert matcher.read("Dinas Kesehatan").pick(within).opd.id == tree.opds["kab:DINKES"]
    # the own government's OPD only when it is among the candidates
    assert matcher.read("Dinkes").pick(within, own=tree.govs["kota"]).opd.id == tree.opds["kab:DINKES"]


def test_a_government_named_that_has_no_such_opd_names_none(matcher, tree):
    reading = matcher.read("Disdukcapil Kab. Serang")  # only the kota has one
    assert reading.opds == () and reading.government_id == tree.govs["kab"]
    assert reading.pick(own=tree.govs["kab"]).opd is None


def test_a_government_outside_this_kawal_or_an_unknown_institution_names_none(matcher):
    for text in ("Dinkes Kabupaten Lebak", "Bappeda Provinsi Jawa Barat", "Kementerian Keuangan", "Dinas", ""):
        assert matcher.read(text).opds == (), text


def test_an_opd_outside_the_candidates_is_reported_as_outside(matcher, tree):
    match = matcher.read("Dinkes Kota Tangerang").pick(frozenset({tree.govs["kab"]}))
    assert match.opd is None and [opd.id for opd in match.outside] == [tree.opds["kota:DINKES"]]


def test_a_government_column_narrows_the_text_to_that_government(matcher, tree):
    assert matcher.read("DINKES", "Kab. Serang").opds[0].id == tree.opds["kab:DINKES"]
    assert matcher.read("Dinkes Kab. Serang", "KAB-SERANG").pick().opd.id == tree.opds["kab:DINKES"]
    assert matcher.read("DINKES", "Pemerintah Provinsi Jawa Barat").opds == ()
    assert matcher.read("Dinkes Kota Tangerang", "Kab. Serang").opds == ()  # they disagree: neither is taken


def test_a_code_and_the_name_of_another_opd_name_neither(matcher):
    assert matcher.read("DINKES – Badan Perencanaan Pembangunan Daerah").opds == ()


def test_an_opd_whose_name_holds_a_government_is_found_by_its_whole_name(appctx, tree):
    accounts.create_opd(SYSTEM, government_id=tree.govs["kab"], code="RSUD", name="RSUD Kabupaten Serang", kind="uptd")
    matcher = OpdMatcher(accounts.active_opds())
    assert matcher.read("RSUD Kabupaten Serang").pick().opd.code == "RSUD"


def test_a_short_form_is_read_unless_two_names_share_it_or_it_is_a_code(appctx, tree):
    for code, name in (("DKB", "Dinas Kebudayaan"), ("DKBR", "Dinas Kebersihan"), ("SOSIAL", "Dinas Sosial")):
        accounts.create_opd(SYSTEM, government_id=tree.govs["kab"], code=code, name=name, kind="dinas")
    accounts.create_opd(SYSTEM, government_id=tree.govs["kab"], code="DKS", name="Dinas Kesenian", kind="dinas")
    matcher = OpdMatcher(accounts.active_opds())
    assert matcher.read("Dinsos Kab. Serang").pick().opd.code == "SOSIAL"  # "Dinas Sosial", cut short
    assert matcher.read("Dinkeb Kab. Serang").opds == ()  # Kebudayaan or Kebersihan: neither is guessed
    # "dinkes" is the code DINKES: the short form of "Dinas Kesenian" never shadows it
    assert {opd.code for opd in matcher.read("Dinkes Kab. Serang").opds} == {"DINKES"}


def test_hostile_text_reads_as_no_opd(matcher):
    for text in ("\x00\t\x00", "x" * 60000, "dinkes " * 5000, "· – / ( )", "Kab. Serang"):
        assert matcher.read(text).opds == (), text[:20]


def test_short_forms_and_government_spellings_are_made_by_rule(appctx, tree):
    assert short_forms("Dinas Kesehatan") == {"dinkes"}
    assert short_forms("Rumah Sakit Umum Daerah") == {"rsud"}
    assert short_forms("Inspektorat") == set()
    from accounts import governments

    spellings = government_spellings(governments.node(tree.govs["kab"]))
    assert {"kabserang", "kabupatenserang", "pemerintahkabupatenserang", "pemkabserang"} <= spellings


def test_an_opd_whose_name_ends_with_its_government_is_read_without_it_or_with_another_spelling(appctx, tree):
    # as the demo's province and kabupaten name their OPDs; "Dinas Sosial" alone must not be the kota's only
    for key, name in (("kab", "Dinas Sosial Kabupaten Serang"), ("prov", "Dinas Sosial Provinsi Banten")):
        accounts.create_opd(SYSTEM, government_id=tree.govs[key], code="DINSOS", name=name, kind="dinas")
    accounts.create_opd(SYSTEM, government_id=tree.govs["kota"], code="DINSOS", name="Dinas Sosial", kind="dinas")
    matcher = OpdMatcher(accounts.active_opds())
    assert matcher.read("Dinas Sosial (Kab. Serang)").pick().opd.government_id == tree.govs["kab"]
    assert matcher.read("Dinas Sosial Pemprov Banten").pick().opd.government_id == tree.govs["prov"]
    assert matcher.read("Dinas Sosial").pick(own=tree.govs["prov"]).opd.government_id == tree.govs["prov"]
    assert len(matcher.read("Dinas Sosial").pick().several) == 3
