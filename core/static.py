"""Static files that browsers keep: every URL to one carries a hash of its content (?v=…), and a response to such
a URL may be cached for a year. A changed file gets a new URL; an old URL, or one without ?v=, is revalidated."""

import functools
import hashlib
import os
import stat
from pathlib import Path

from flask import request
from werkzeug.security import safe_join

IMMUTABLE = "public, max-age=31536000, immutable"
_hashes: dict[tuple[str, float], str] = {}


def content_version(folder: str, filename: str) -> str:
    """The first 12 hex digits of the file's SHA-256, remembered per modification time; '' if there is no file.
    Every page links two static files: one stat a link, the path joined once per worker."""
    path = _joined(folder, filename)
    try:
        found = os.stat(path) if path is not None else None
    except OSError:
        return ""
    if found is None or not stat.S_ISREG(found.st_mode):
        return ""
    key = (path, found.st_mtime)
    if key not in _hashes:
        _hashes[key] = hashlib.sha256(Path(path).read_bytes()).hexdigest()[:12]
    return _hashes[key]


@functools.lru_cache(maxsize=1024)
def _joined(folder: str, filename: str) -> str | None:
    return safe_join(folder, filename)


def init_app(app) -> None:
    @app.url_defaults
    def add_version(endpoint, values):
        if endpoint == "static" and "filename" in values and "v" not in values:
            version = content_version(app.static_folder, values["filename"])
            if version:
                values["v"] = version

    @app.after_request
    def cache_headers(response):
        if request.endpoint == "static" and response.status_code in (200, 304):
            version = request.args.get("v")
            if version and version == content_version(app.static_folder, request.view_args["filename"]):
                response.headers["Cache-Control"] = IMMUTABLE
            else:
                response.headers["Cache-Control"] = "no-cache"  # keep, but ask first (ETag)
        return response
