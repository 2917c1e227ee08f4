"""One rule for every link people type (a forum's online link, evidence links): http and https only, and a link
typed without its scheme is completed rather than refused."""

import pytest

from core.errors import Invalid
from core.weblinks import is_web_link, web_link


@pytest.mark.parametrize(
    ("typed", "kept"),
    [
        ("https://zoom.us/j/123?pwd=abc", "https://zoom.us/j/123?pwd=abc"),
        ("HTTP://Bappeda.Tangerangkota.go.id/berkas", "HTTP://Bappeda.Tangerangkota.go.id/berkas"),
        ("zoom.us/j/123", "https://zoom.us/j/123"),
        ("  meet.google.com/abc-defg-hij  ", "https://meet.google.com/abc-defg-hij"),
        ("zoom.us:443/j/123", "https://zoom.us:443/j/123"),
        ("//drive.google.com/file/d/1", "https://drive.google.com/file/d/1"),
        ("http://intranet/sipd", "http://intranet/sipd"),
    ],
)
def test_web_links_are_kept_and_completed(appctx, typed, kept):
    assert web_link(typed, max_length=500, field="online_link") == kept
    assert is_web_link(kept)


@pytest.mark.parametrize(
    "typed",
    [
        "javascript://example.com/%0aalert(1)",
        "JavaScript:alert(1)",
        "java\tscript://x.org/%0aalert(1)",
        "data:text/html,<script>alert(1)</script>",
        "vbscript:msgbox",
        "ftp://example.org/bukti.pdf",
        "mailto:sekretariat@example.org",
        "file:///etc/passwd",
        "http://",
        "https:///path",
        "tidak ada",
        "menyusul",
        "http://[::1",
        "zoom.us/j/1\x00",
    ],
)
def test_anything_but_a_web_address_is_refused(appctx, typed):
    with pytest.raises(Invalid) as refused:
        web_link(typed, max_length=500, field="links")
    assert refused.value.field == "links"
    assert not is_web_link(typed)


def test_a_link_longer_than_its_column_once_completed_is_refused(appctx):
    assert web_link("a.id/" + "x" * 487, max_length=500, field="online_link").startswith("https://")
    with pytest.raises(Invalid):
        web_link("a.id/" + "x" * 488, max_length=500, field="online_link")
