"""Command-line management of accounts."""

import click
from flask import Blueprint

from accounts import services
from accounts.models import User
from core.errors import Invalid, NotFound
from core.permissions import SYSTEM, Role

bp = Blueprint("users", __name__, cli_group="users")


@bp.cli.command("create")
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.option("--role", type=click.Choice([r.value for r in Role]), default=Role.ADMIN.value, show_default=True)
@click.option("--opd", "opd_code", help="OPD code, for opd_head and opd_staff")
@click.option("--position", default="")
@click.password_option()
def create(email, name, role, opd_code, position, password):
    """Create an account, e.g. the first administrator."""
    opd_id = None
    if opd_code:
        opd = services.opd_by_code(opd_code)
        if opd is None:
            raise click.ClickException(f"No OPD with code {opd_code}.")
        opd_id = opd.id
    try:
        user: User = services.create_user(
            SYSTEM, password=password, email=email, name=name, role=role, opd_id=opd_id, position=position
        )
    except (Invalid, NotFound) as error:
        raise click.ClickException(str(error.message)) from None
    click.echo(f"Created {user.email} ({user.role}).")
