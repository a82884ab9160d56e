"""The HTTP API: flask-smorest blueprints under /api/v1 (filled in by the API work)."""

from flask import Flask


def init_app(app: Flask) -> None:
    pass
