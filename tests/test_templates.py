"""Templates draw; the rules, labels and arithmetic they show live in Python, where a test can reach them."""

import re
from pathlib import Path

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"


def test_no_template_builds_a_dictionary_of_labels():
    found = [
        f"{path.relative_to(TEMPLATES)}: {match.group(0)}"
        for path in sorted(TEMPLATES.rglob("*.html"))
        for match in re.finditer(r"{%-?\s*set\s+\w+\s*=\s*\{", path.read_text(encoding="utf-8"))
    ]
    assert not found, found


def test_the_chart_macros_do_no_arithmetic():
    macros = (TEMPLATES / "reports" / "_charts.html").read_text(encoding="utf-8")
    expressions = re.findall(r"{{(.*?)}}|{%(.*?)%}", macros, flags=re.S)
    arithmetic = [
        e for pair in expressions for e in pair if re.search(r"[*/]|\d\s*[-+]|[-+]\s*\d|\|\s*(round|max|sum)\b", e)
    ]
    assert not arithmetic, arithmetic


def test_the_headings_of_the_tables_are_translated_once_per_page(app):
    from actions.models import CARRY_OVER_LABELS, TASK_LIST_HEADINGS
    from core.formatting import translated
    from forum.models import PARTICIPANT_TABLE_HEADINGS

    with app.test_request_context():
        assert translated(PARTICIPANT_TABLE_HEADINGS) == {
            "name": "Nama",
            "institution": "Instansi",
            "category": "Unsur",
            "role": "Peran",
            "attendance": "Kehadiran",
        }
        assert all(type(label) is str for label in translated(TASK_LIST_HEADINGS).values())
        assert translated(CARRY_OVER_LABELS)["record"] != "Record outcome"
