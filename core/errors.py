"""Domain errors raised by services; one handler in app.py maps them to 403, 404, 409 and 422 pages."""

from flask_babel import lazy_gettext as _l


class DomainError(Exception):
    """A rule of the domain said no. The message is shown to the user, already translated."""

    status_code = 400

    def __init__(self, message: str = ""):
        super().__init__(message)
        self.message = message


class NotAllowed(DomainError):
    """The acting user may not do this."""

    status_code = 403


class NotFound(DomainError):
    """The thing asked for does not exist (or the user may not know it does)."""

    status_code = 404


class InvalidTransition(DomainError):
    """A status change that the table of transitions forbids."""

    status_code = 409


class Conflict(InvalidTransition):
    """Another request changed the same row first (optimistic locking): this one was rolled back, nothing saved."""

    def __init__(self, message: str = ""):
        super().__init__(
            message
            or _l("Someone changed this task at the same moment; nothing was saved. Reload the page and try again.")
        )
        # The usual race of two requests on one task, worded for a page; the API words it for a client.
        self.same_moment = not message


class Invalid(DomainError):
    """Input that passed the form but breaks a rule only the service can check."""

    status_code = 422

    def __init__(self, message: str = "", field: str | None = None):
        super().__init__(message)
        self.field = field


class InvalidItems(Invalid):
    """Some items of a batch broke a rule, and none was saved: `problems` maps each bad item's position to what
    is wrong with it, for the page to show beside it."""

    def __init__(self, message: str, problems: dict[int, str]):
        super().__init__(message)
        self.problems = problems
