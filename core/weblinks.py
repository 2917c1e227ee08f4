"""Links that people type and others click: a forum's online link, evidence links. One rule for all of them."""

import re
import unicodedata
from urllib.parse import urlsplit

from flask_babel import lazy_gettext as _l

from core.errors import Invalid

WEB_SCHEMES = ("http", "https")
# "javascript:", "mailto:", "https:": a scheme is letters before a colon. "zoom.us:443/j/1" has a dot there, so
# it is a host with a port, typed without its scheme.
SCHEME = re.compile(r"^[a-z][a-z0-9+\-]*:", re.IGNORECASE)


def web_link(text: str, *, max_length: int, field: str) -> str:
    """The link to store: http or https only, with https:// put before a link typed without a scheme
    ("zoom.us/j/123"); anything else is refused as Invalid on `field`."""
    link = text.strip()
    completed = False
    if link.startswith("//"):
        link, completed = "https:" + link, True
    elif not SCHEME.match(link):
        link, completed = "https://" + link, True
    if not _is_web_address(link, need_dot=completed):
        if not completed and not link.lower().startswith(tuple(f"{s}:" for s in WEB_SCHEMES)):
            raise Invalid(_l("A link must start with http:// or https://."), field=field)
        raise Invalid(_l("%(link)s is not a web address.", link=text.strip()[:100]), field=field)
    if len(link) > max_length:
        raise Invalid(_l("A link may be %(n)d characters long at most.", n=max_length), field=field)
    return link


def is_web_link(url: str | None) -> bool:
    """Whether a stored link may be shown as one (links saved before they were checked may not)."""
    return bool(url) and SCHEME.match(url) is not None and _is_web_address(url, need_dot=False)


def _is_web_address(link: str, *, need_dot: bool) -> bool:
    # Browsers drop tabs and newlines inside a link ("java\tscript:"), so none may be there to drop.
    if any(char.isspace() or unicodedata.category(char).startswith("C") for char in link):
        return False
    try:
        parts = urlsplit(link)
        host = parts.hostname
    except ValueError:  # "http://[::1": an unclosed IPv6 address
        return False
    if parts.scheme.lower() not in WEB_SCHEMES or not host:
        return False
    # Without a scheme, a word with no dot ("menyusul", "tidak ada") is a note, not an address.
    return "." in host or not need_dot


def init_app(app) -> None:
    """Templates ask `url is web_link` before they make a link of a stored one."""
    app.jinja_env.tests["web_link"] = is_web_link
