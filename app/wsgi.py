"""The WSGI entry point: `gunicorn app.wsgi:app` serves napflow as `napflow serve` does."""

from app import create_app

app = create_app()
