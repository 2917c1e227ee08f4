"""`flask seed demo`: the demo's three governments, their accounts and the three real meetings."""

import click
from flask import Blueprint

from demo import data

bp = Blueprint("seed", __name__, cli_group="seed")


@bp.cli.command("demo")
@click.option("--if-empty", is_flag=True, help="Only when the database has no accounts yet.")
def demo(if_empty):
    """Load the demo data; running it again adds only what is missing."""
    if if_empty and data.has_accounts():
        click.echo("The database has accounts already; demo data not loaded.")
    else:
        created = data.load()
        click.echo(f"Demo data: {created} new records." if created else "Demo data already loaded.")
    click.echo(f"Demo accounts (password: {data.DEMO_PASSWORD}):")
    for email, _name, role, government, opd in data.ACCOUNTS:
        where = " / ".join(part for part in (data.GOVERNMENT_LABELS[government], opd) if part)
        click.echo(f"  {email:<34} {role:<12} {where}")
