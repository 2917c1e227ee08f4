"""The WSGI entry point: `gunicorn wsgi:app`, and where the flask CLI finds Kawal."""

from app import create_app

app = create_app()
