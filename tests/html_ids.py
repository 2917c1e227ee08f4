"""What an HTML page gets wrong about its ids: an id used twice, and a <label for> that names no element or an
element that is no form control. Screen readers announce a field by its label; a label pointing at the wrong
element (or at nothing) leaves the field unnamed, and a second element with the same id steals the label."""

from collections import Counter
from html.parser import HTMLParser

# The elements a <label for> may name (HTML's "labelable elements"), and input types that are not labelable.
LABELABLE = {"button", "input", "meter", "output", "progress", "select", "textarea"}
UNLABELABLE_INPUTS = {"hidden"}


class _Ids(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.ids: Counter = Counter()
        self.tags: dict[str, str] = {}  # id -> the first element's tag (with its input type)
        self.label_for: list[str] = []
        self.references: list[tuple[str, str]] = []  # (attribute, id) of aria-describedby / aria-labelledby

    def handle_starttag(self, tag, attrs):
        a = {k: (v or "") for k, v in attrs}
        if a.get("id"):
            self.ids[a["id"]] += 1
            kind = f"input[type={a.get('type', 'text').lower()}]" if tag == "input" else tag
            self.tags.setdefault(a["id"], kind)
        if tag == "label" and "for" in a:
            self.label_for.append(a["for"])
        for attribute in ("aria-describedby", "aria-labelledby", "aria-controls"):
            self.references.extend((attribute, ref) for ref in a.get(attribute, "").split())

    handle_startendtag = handle_starttag


def id_problems(html: str) -> list[str]:
    """Each problem of the page's ids, as a sentence; an empty list for a page without any."""
    parser = _Ids()
    parser.feed(html)
    parser.close()
    problems = [f'id="{name}" is used {n} times' for name, n in parser.ids.items() if n > 1]
    for target in parser.label_for:
        tag = parser.tags.get(target)
        if tag is None:
            problems.append(f'<label for="{target}"> names no element')
        elif tag.split("[")[0] not in LABELABLE or tag.removeprefix("input[type=").rstrip("]") in UNLABELABLE_INPUTS:
            problems.append(f'<label for="{target}"> names a <{tag}>, which is no form control')
    problems += [
        f'{attribute}="{ref}" names no element' for attribute, ref in parser.references if ref not in parser.ids
    ]
    return problems
