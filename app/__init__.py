"""The napflow Flask application: `create_app` builds it, nothing is built at import time."""

import os
from typing import Any

from flask import Flask

from config import Config, instance_secret_key


def create_app(test_config: dict[str, Any] | type | None = None) -> Flask:
    app = Flask(__name__, instance_relative_config=True)
    app.config.from_object(Config)
    if isinstance(test_config, dict):
        app.config.from_mapping(test_config)
    elif test_config is not None:
        app.config.from_object(test_config)
    os.makedirs(app.instance_path, exist_ok=True)
    if not app.config["SECRET_KEY"]:
        app.config["SECRET_KEY"] = instance_secret_key(app.instance_path)

    import web
    from api import rest
    from cli import commands as cli
    from runtime import db, metrics

    db.init_app(app)
    metrics.init_app(app)  # before the API and pages: it times their whole request
    rest.init_app(app)
    web.init_app(app)  # after the API: the pages' error handlers wrap the API's
    cli.init_app(app)
    return app
