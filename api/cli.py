"""`flask api token …`: personal access tokens for scripts, made and revoked from the command line with the same
service as the token page (accounts/tokens.py)."""

import click
from flask import Blueprint

from accounts import services as accounts
from accounts import tokens
from accounts.models import TokenScope, User
from core.errors import Invalid
from core.permissions import SYSTEM

bp = Blueprint("api_cli", __name__, cli_group="api")
bp.cli.help = "The JSON API (/api/v1/): personal access tokens for scripts."

DEFAULT_DAYS = 90


class Refused(click.ClickException):
    """A refusal the caller could fix (an unknown or inactive user, a bad name): said on stderr, exit status 2 like
    a bad option, so a script can tell it from a failure of Kawal itself (1)."""

    exit_code = 2


@bp.cli.group("token")
def token():
    """Make or revoke a user's personal access tokens."""


def _active_user(email: str) -> User:
    user = accounts.user_by_email(email)
    if user is None:
        raise Refused(f"No user with the email {email}.")
    if not user.active:
        raise Refused(f"The account {user.email} is inactive.")
    return user


@token.command("create")
@click.option("--email", required=True, help="The token's user: it may do what this user may do, no more.")
@click.option("--scope", type=click.Choice([scope.value for scope in TokenScope]), required=True)
@click.option(
    "--days",
    type=click.IntRange(1, tokens.MAX_DAYS),
    default=DEFAULT_DAYS,
    show_default=True,
    help="How many days it works.",
)
@click.option("--no-expiry", is_flag=True, help="Works until revoked (instead of --days).")
@click.option("--name", default="Command line", show_default=True, help="What it is for, shown on the token page.")
def create(email, scope, days, no_expiry, name):
    """Make a token and print its secret, alone on stdout (it is shown this once): TOKEN=$(flask api token create
    --email ops@example.org --scope read)."""
    user = _active_user(email)
    try:
        _token, secret = tokens.create_token(
            user, name=name, scope=scope, days=None if no_expiry else days, actor=SYSTEM
        )
    except Invalid as error:
        raise Refused(str(error.message)) from None
    click.echo(secret)


@token.command("revoke")
@click.option("--email", required=True)
def revoke(email):
    """Revoke every working token of a user (a script's machine was lost); their sessions stay."""
    user = accounts.user_by_email(email)
    if user is None:
        raise Refused(f"No user with the email {email}.")
    revoked = tokens.revoke_every_token(SYSTEM, user)
    click.echo(f"Revoked {revoked} token(s) of {user.email}.")
