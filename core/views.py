"""Helpers for views: permission gates and page numbers."""

from functools import wraps

from flask import request
from flask_login import current_user, login_required

from core.permissions import Permission, require


def permission_required(permission: Permission):
    """Log in first, then hold the permission; the check is the same table the services use."""

    def decorator(view):
        @wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            require(current_user, permission)
            return view(*args, **kwargs)

        return wrapped

    return decorator


def page_number() -> int:
    """The ?page= argument, 1 for anything that is not a positive whole number."""
    page = request.args.get("page", 1, type=int)
    return page if page and page > 0 else 1
