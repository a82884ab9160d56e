"""The WSGI entry point: `gunicorn api.wsgi:app` serves napflow as `napflow serve` does."""

from api import create_app

app = create_app()
