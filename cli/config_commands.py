"""`napflow config show`: the effective settings, where each came from, secrets masked."""

from typing import Any

import click
from flask import Flask, current_app
from flask.cli import with_appcontext
from sqlalchemy.engine import make_url

from config import FILE_VARIABLE, SETTINGS, Setting, shown

HIDDEN = "***"  # as SQLAlchemy masks a URL's password


@click.group("config")
def config_group() -> None:
    """Inspect napflow's configuration (NAPFLOW_* variables and NAPFLOW_CONFIG_FILE)."""


@config_group.command("show")
@with_appcontext
def config_show() -> None:
    """Print every setting's effective value and its source (env, file, default); secrets
    (the secret key, passwords in the database URL) are masked."""
    from app import serving_refusal

    app = current_app
    settings = app.extensions["napflow.settings"]
    rows = [(setting.variable, _value(app, setting), _source(app, setting, settings))
            for setting in SETTINGS]
    width = max(len(name) for name, _, _ in rows)
    for name, value, source in rows:
        click.echo(f"{name:<{width}}  {value}  ({source})")
    click.echo(f"{FILE_VARIABLE:<{width}}  {settings.file or '(none)'}")
    refusal = serving_refusal(app)
    click.echo(f"serve: {'refuses: ' + refusal if refusal else 'would start'}")


def _source(app: Flask, setting: Setting, settings: Any) -> str:
    if app.config[setting.key] != settings.values[setting.key] and setting.key != "SECRET_KEY":
        return "set by the code that made the app"  # a test's, never the command line's
    return settings.sources[setting.name]


def _value(app: Flask, setting: Setting) -> str:
    value = app.config[setting.key]
    if setting.key == "DATABASE_URL":
        return masked_url(app.extensions["napflow.db"].url) + (
            "" if value else " (an SQLite file in the instance folder)")
    if setting.key == "SECRET_KEY":
        if app.extensions["napflow.secret_key_made"]:
            return f"{HIDDEN} (kept in {app.instance_path}/secret_key)"
        return f"{HIDDEN} ({len(value)} characters)"
    if setting.secret:
        return HIDDEN if value else "(not set)"
    return shown(value)


def masked_url(url: str) -> str:
    """The URL with its password, in the user part or in a query parameter, masked."""
    parsed = make_url(url)
    text = parsed.set(query={}).render_as_string(hide_password=True)
    pairs = [(name, HIDDEN if "password" in name.lower() else value)
             for name, values in parsed.query.items()
             for value in (values if isinstance(values, tuple) else (values,))]
    return text + ("?" + "&".join(f"{name}={value}" for name, value in pairs) if pairs else "")
