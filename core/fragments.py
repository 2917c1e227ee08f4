"""Rendered pieces of pages, kept so that an unchanged piece is not rendered again."""

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable

from flask_wtf.csrf import generate_csrf
from markupsafe import Markup


class FragmentCache:
    """Pieces of HTML kept by everything they are made from: the key holds the piece's inputs (a row as a frozen
    dataclass, the day, the locale, the address prefix), never an id alone, so a row that changed in any way is a
    new key and never an outdated piece. The least recently used go first past `size`; one per app, shared by the
    worker's threads."""

    def __init__(self, size: int = 2048):
        self.size = size
        self._kept: OrderedDict[Hashable, Markup] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable, render: Callable[[], Markup]) -> Markup:
        """The piece kept under `key`, or `render()` kept there now."""
        with self._lock:
            piece = self._kept.get(key)
            if piece is not None:
                self._kept.move_to_end(key)
                return piece
        piece = Markup(render())
        with self._lock:
            self._kept[key] = piece
            if len(self._kept) > self.size:
                self._kept.popitem(last=False)
        return piece

    def __len__(self) -> int:
        return len(self._kept)


def without_csrf_token(html: str) -> tuple[str, ...]:
    """A piece to keep: its parts around this session's CSRF token, which is the reader's own and never kept. Split,
    not marked with a placeholder text, so that nothing the piece shows (a name holding that text) can take the
    token."""
    return tuple(html.split(generate_csrf()))


def with_csrf_token(kept: tuple[str, ...]) -> Markup:
    """A kept piece with this session's CSRF token in every form."""
    return Markup(generate_csrf().join(kept))
