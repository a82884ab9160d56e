"""Errors on pages are pages: the layout with a readable message, never a stack trace.

The API registered its handlers first (problem+json, at the app level, for every error);
each is wrapped here so that it still answers the API's requests and a page answers the
pages'. web/ never imports api/: it wraps whatever handlers it finds.
"""

import logging
from collections.abc import Callable

from flask import Flask, render_template, request
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import HTTPException

from runtime.logs import current_request_id
from web.security import is_page
from workflow.errors import NapflowError

log = logging.getLogger(__name__)

Handler = Callable[[BaseException], object]

# What each status tells the user, and what they can do about it.
MESSAGES = {
    400: (_l("Sorry, there is a problem with this request"),
          _l("The form may have expired or been sent from somewhere else. Go back, reload "
             "the page and try again.")),
    403: (_l("You cannot do this"),
          _l("Your roles do not allow this action on this plan.")),
    404: (_l("Page not found"),
          _l("There is no such page, or it is not one you can see. If you typed the web "
             "address, check it is correct.")),
    405: (_l("Sorry, there is a problem with this request"),
          _l("This page cannot be used that way. Go back and use its links and buttons.")),
    409: (_l("Someone else changed this first"),
          _l("Reload the page to see the latest version, then try again.")),
    429: (_l("Too many requests"),
          _l("Wait a few minutes, then try again.")),
    503: (_l("Sorry, the service is busy"),
          _l("Try again in a moment.")),
    500: (_l("Sorry, there is a problem with the service"),
          _l("Try again later. What you were doing has not been saved.")),
}


def status_of(error: BaseException) -> int:
    if isinstance(error, HTTPException):
        return error.code or 500
    if isinstance(error, NapflowError):
        return error.status
    if isinstance(error, OperationalError):
        return 503  # the database is busy or unreachable
    if isinstance(error, StaleDataError):
        return 409  # the row's version moved between our read and our write
    return 500


def render_error_page(error: BaseException):
    status = status_of(error)
    if status >= 500 and not isinstance(error, OperationalError):
        log.error("page %s %s failed", request.method, request.path, exc_info=error)
    title, advice = MESSAGES.get(status) or MESSAGES[500 if status >= 500 else 400]
    response = render_template("errors/error.html", title=title, advice=advice,
                               status=status, request_id=current_request_id())
    headers = {}
    if isinstance(error, HTTPException):  # Allow on a 405, Retry-After on a 429...
        headers = {name: value for name, value in error.get_headers()
                   if name.lower() != "content-type"}
    if status == 503:
        headers["Retry-After"] = "1"
    return response, status, headers


def _pages_first(api_handler: Handler | None) -> Handler:
    def handle(error: BaseException):
        if is_page(request.path) or api_handler is None:
            return render_error_page(error)
        return api_handler(error)
    return handle


def init_app(app: Flask) -> None:
    for handlers in app.error_handler_spec[None].values():
        for cls, handler in list(handlers.items()):
            handlers[cls] = _pages_first(handler)
    for cls in (HTTPException, Exception):
        if cls not in app.error_handler_spec[None][None]:
            app.register_error_handler(cls, _pages_first(None))
