"""Markdown for minutes, rendered safely: raw HTML is escaped by the parser and the output sanitised again."""

from functools import cache

from markupsafe import Markup

_ALLOWED_TAGS = {
    "p",
    "br",
    "strong",
    "em",
    "ul",
    "ol",
    "li",
    "blockquote",
    "code",
    "pre",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "a",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
}


@cache
def _parser():
    """The parser, made on the first render: the reminder jobs never render Markdown, and need not load it.
    commonmark with html=False turns any <script> into text; nh3 is the second wall should a rule ever change."""
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark", {"html": False, "linkify": False, "breaks": True}).enable("table")


def render(text: str | None) -> Markup:
    """Markdown text as sanitised HTML."""
    import nh3

    if not text:
        return Markup("")
    html = _parser().render(text)
    clean = nh3.clean(
        html,
        tags=_ALLOWED_TAGS,
        attributes={"a": {"href", "title"}},
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    )
    return Markup(clean)


def init_app(app) -> None:
    """Register the `markdown` Jinja filter."""
    app.jinja_env.filters["markdown"] = render
