"""Words a page says many times, looked up once a request.

Flask-Babel finds the request's catalog anew on every call, a fraction of a millisecond
each: on a page of hundreds of rows (a global auditor's status, fifty audit events) that
cost more than the rows' data (bench/pages.py). The locale is the request's throughout, so
what is translated or formatted once serves the whole page. The functions keep Flask-Babel's
names, so `pybabel extract` finds their messages as it finds Flask-Babel's.
"""

from collections.abc import Callable
from typing import Any

import flask_babel
from flask import g


def once(function: Callable[..., Any], *args: Any) -> Any:
    """function(*args), computed once a request."""
    memo = g.setdefault("napflow_words", {})
    key = (function, args)
    if key not in memo:
        memo[key] = function(*args)
    return memo[key]


def _translations():
    return once(flask_babel.get_translations)


def gettext(string: str, **variables: Any) -> str:
    """As Flask-Babel's gettext, with the catalog found once a request."""
    found = _translations().ugettext(string)
    return found % variables if variables else found


def ngettext(singular: str, plural: str, num: int, **variables: Any) -> str:
    """As Flask-Babel's ngettext (`num` among the variables), the catalog found once."""
    variables.setdefault("num", num)
    return _translations().ungettext(singular, plural, num) % variables
