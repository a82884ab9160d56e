"""The napflow Flask application: `create_app` builds it, nothing is built at import time."""

import os
from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from config import Config, instance_secret_key, load_settings, production_refusal


def create_app(test_config: dict[str, Any] | type | None = None) -> Flask:
    """The app, with its settings read now (a bad one raises config.ConfigError)."""
    app = Flask(__name__, instance_relative_config=True)
    app.config.from_object(Config)
    settings = load_settings()
    app.config.update(settings.values)
    app.extensions["napflow.settings"] = settings
    if isinstance(test_config, dict):
        app.config.from_mapping(test_config)
    elif test_config is not None:
        app.config.from_object(test_config)
    os.makedirs(app.instance_path, exist_ok=True)
    app.extensions["napflow.secret_key_made"] = not app.config["SECRET_KEY"]
    if not app.config["SECRET_KEY"]:
        app.config["SECRET_KEY"] = instance_secret_key(app.instance_path)
    _trust_proxies(app, app.config["PROXY_HOPS"])

    import web
    from api import rest
    from cli import commands as cli
    from runtime import db, logs

    logs.init_app(app)  # first: every later hook and error handler sees the request id
    db.init_app(app)
    rest.init_app(app)
    web.init_app(app)  # after the API: the pages' error handlers wrap the API's
    cli.init_app(app)
    return app


def _trust_proxies(app: Flask, hops: int) -> None:
    """Behind `hops` reverse proxies, take the client's address, scheme (so HTTPS is seen and
    the session cookie is Secure) and host from the X-Forwarded-* headers they add. With no
    proxy (0) those headers are the client's own words, and none is believed."""
    if hops:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)


def serving_refusal(app: Flask) -> str | None:
    """Why this app must not serve (production with an unsafe setting), in one line."""
    return production_refusal(app.config, app.extensions["napflow.secret_key_made"])
