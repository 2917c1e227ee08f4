"""FragmentCache: a kept piece is given again for the same inputs, rendered anew for changed ones, and the least
recently used go first past the size."""

from markupsafe import Markup

from core.fragments import FragmentCache


def test_a_piece_is_rendered_once_for_the_same_key_and_again_for_another():
    rendered = []

    def render(text):
        def go():
            rendered.append(text)
            return f"<li>{text}</li>"

        return go

    cache = FragmentCache(size=10)
    assert cache.get(("card", 1, "id"), render("a")) == Markup("<li>a</li>")
    assert cache.get(("card", 1, "id"), render("never")) == Markup("<li>a</li>")
    assert cache.get(("card", 1, "en"), render("b")) == Markup("<li>b</li>")
    assert rendered == ["a", "b"]


def test_the_least_recently_used_piece_goes_first():
    cache = FragmentCache(size=2)
    cache.get("one", lambda: "1")
    cache.get("two", lambda: "2")
    cache.get("one", lambda: "never")  # used again: "two" is now the oldest
    cache.get("three", lambda: "3")
    assert len(cache) == 2
    assert cache.get("one", lambda: "again") == "1"
    assert cache.get("two", lambda: "2 again") == "2 again"
