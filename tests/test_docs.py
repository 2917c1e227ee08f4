"""The README and docs/ point only inside this repository, at files and tests that exist.

A promise in the README names the test that keeps it (`tests/…/test_x.py::test_name`); renaming or deleting that
test without updating the README fails here.
"""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
# What a fresh clone does not hold until Kawal runs; a path under these is a description, not a reference.
MADE_AT_RUN_TIME = ("instance/", ".venv/")
LINK = re.compile(r"\]\(([^)\s]+)\)")
CODE = re.compile(r"`([^`\s]+)`")


def _heading_anchors(document: Path) -> set[str]:
    """GitHub's anchors for a Markdown file's headings."""
    anchors = set()
    for line in document.read_text().splitlines():
        if line.startswith("#"):
            title = line.lstrip("#").strip().lower()
            anchors.add(re.sub(r"[^\w\- ]", "", title).replace(" ", "-"))
    return anchors


def _references(document: Path) -> list[tuple[str, str]]:
    """(kind, target) for each Markdown link and each code span that names a path in the repository."""
    text = document.read_text()
    found = [("link", target) for target in LINK.findall(text) if not re.match(r"[a-z]+:", target)]
    for span in CODE.findall(text):
        path = span.split("::")[0].split(":")[0].rstrip(",.")
        first = path.split("/")[0]
        described = path.startswith(MADE_AT_RUN_TIME) or any(mark in span for mark in ("…", "*", "<", "{"))
        if "/" in path and first and (ROOT / first).exists() and not described:
            found.append(("code", span))
    return found


CASES = [(document, kind, target) for document in DOCUMENTS for kind, target in _references(document)]


def test_the_documents_name_paths_at_all():
    assert len(CASES) > 40  # the README names dozens of tests and modules: the extraction is not silently empty


@pytest.mark.parametrize(("document", "kind", "target"), CASES, ids=[f"{d.name}:{t}" for d, _, t in CASES])
def test_every_reference_resolves_inside_the_clone(document, kind, target):
    if kind == "link":
        path, _, anchor = target.partition("#")
        resolved = (document.parent / path).resolve() if path else document
        assert resolved.is_relative_to(ROOT), f"{target} points outside the repository"
        assert resolved.exists(), f"{target} does not exist"
        if anchor and resolved.suffix == ".md":
            assert anchor in _heading_anchors(resolved), f"{target}: no such heading"
        return
    path, _, test_name = target.partition("::")
    path, _, name = path.partition(":")  # `module.py:NAME` names a definition in it
    assert (ROOT / path).exists(), f"{path} does not exist"
    source = (ROOT / path).read_text() if (ROOT / path).is_file() else ""
    if test_name:
        assert re.search(rf"^(async )?def {re.escape(test_name)}\(", source, re.M), f"{target}: no such test"
    if name:
        definition = rf"^(?:(?:async )?def {re.escape(name)}\(|class {re.escape(name)}\b|{re.escape(name)}\s*[:=])"
        assert re.search(definition, source, re.M), f"{target}: {path} defines no {name}"


def test_no_document_points_outside_the_clone():
    for document in DOCUMENTS:
        assert "../" not in document.read_text(), f"{document.name} refers to a path outside the repository"
