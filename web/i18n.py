"""Translation and formatting: every string through Flask-Babel, dates and numbers by Babel.

English is the only catalog today; a later issue adds catalogs (web/README.md says how), and
the locale selector below then picks them up from the LANGUAGES setting.
"""

from datetime import date, datetime
from pathlib import Path

from babel import Locale
from flask import Flask, current_app, request
from flask_babel import Babel, format_date, format_datetime, format_decimal, get_locale

from models import as_utc

CATALOGS = Path(__file__).parent / "translations"


def select_locale() -> str:
    languages = current_app.config["LANGUAGES"]
    return request.accept_languages.best_match(languages) or languages[0]


def text_direction() -> str:
    """`rtl` for a right-to-left locale (Arabic), else `ltr`: the layout's <html dir>."""
    locale = get_locale() or Locale.parse(current_app.config["LANGUAGES"][0])
    return "rtl" if locale.character_order == "right-to-left" else "ltr"


def _moment(value: datetime | str) -> datetime:
    """A datetime from a datetime or the ISO 8601 text the API and the audit log show."""
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return as_utc(moment)


def date_filter(value: date | datetime | str | None, format: str = "medium") -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        value = date.fromisoformat(value[:10])
    return format_date(value, format)


def datetime_filter(value: datetime | str | None, format: str = "medium") -> str:
    return "" if value is None else format_datetime(_moment(value), format)


def number_filter(value: int | float | None) -> str:
    return "" if value is None else format_decimal(value)


def init_app(app: Flask) -> None:
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(CATALOGS))
    Babel(app, locale_selector=select_locale)
    # Flask-Babel's own filters (datetimeformat, dateformat, numberformat...) stay available;
    # these take the values as napflow has them (ISO text from the API's read side, None).
    app.jinja_env.filters.update(date=date_filter, datetime=datetime_filter,
                                 number=number_filter)
    app.jinja_env.globals.update(text_direction=text_direction, get_locale=get_locale)
