"""The reminder jobs' entry point: `python -m jobs plan|send|worker|status|sink …`, the commands of
`flask reminders …` in a leaner process. The app is built without the JSON API (the emails link to the pages, never
to the API), and the commands run without the flask command, which loads every installed package's plugin
commands before its own (Flask-Limiter's imports rich where rich is installed)."""

from flask.cli import load_dotenv

from app import create_app


def main(args: list[str] | None = None) -> None:
    """Run one `reminders` command in the jobs' app, reading .env and .flaskenv as the flask command does."""
    from notifications.cli import bp

    load_dotenv()
    app = create_app(api=False)
    with app.app_context():
        bp.cli.main(args, prog_name="python -m jobs")


if __name__ == "__main__":
    main()
