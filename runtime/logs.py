"""Logs on stderr (one JSON object a line, or text), one line per request, and request ids."""

import logging
import re
import sys
import time
import uuid

from flask import Flask, Response, g, has_request_context, request
from pythonjsonlogger.json import JsonFormatter

HEADER = "X-Request-ID"
# An id a client or a proxy gave is kept only if it is short and plain: it is echoed in a
# header and written into logs, where a newline or a megabyte would do harm.
SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9._:/+=@-]{1,128}")
requests_log = logging.getLogger("napflow.request")

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"


def init_app(app: Flask) -> None:
    """The request hooks; registered before the API's and the pages' own, so that the id
    exists for every refusal and the line is written after their last word on the status."""
    app.before_request(_start)
    app.after_request(_finish)
    if not app.testing:  # the tests' records go to pytest (caplog), not to stderr
        configure(app.config["LOG_LEVEL"], app.config["LOG_FORMAT"])


def formatter(fmt: str) -> logging.Formatter:
    if fmt == "json":
        return JsonFormatter(["levelname", "name", "message"], timestamp="time",
                             rename_fields={"levelname": "level", "name": "logger"})
    return logging.Formatter(TEXT_FORMAT, defaults={"request_id": "-"})


class RequestIdFilter(logging.Filter):
    """Puts the request id on every record made while a request is handled (a retry warning,
    an unexpected error), so that its lines can be found with the request's own."""

    def filter(self, record: logging.LogRecord) -> bool:
        request_id = current_request_id()
        if request_id is not None and not hasattr(record, "request_id"):
            record.request_id = request_id
        return True


def configure(level: str, fmt: str) -> None:
    """One handler on the root logger, writing to stderr; made again (not added twice) when
    another app is created in the same process."""
    root = logging.getLogger()
    for handler in [h for h in root.handlers if isinstance(h, NapflowHandler)]:
        root.removeHandler(handler)
    handler = NapflowHandler(sys.stderr)
    handler.setFormatter(formatter(fmt))
    handler.addFilter(RequestIdFilter())
    root.addHandler(handler)
    root.setLevel(level.upper())
    # transitions logs each callback it runs at INFO (two lines per transition): chatter, not
    # events (the audit log holds the transitions), which cost as much as the request's line.
    logging.getLogger("transitions").setLevel(max(logging.WARNING, root.level))


class NapflowHandler(logging.StreamHandler):
    """The handler `configure` installs (a class of its own, so it can find it again)."""


def current_request_id() -> str | None:
    return g.get("request_id") if has_request_context() else None


def _start() -> None:
    g.request_started = time.perf_counter()
    given = request.headers.get(HEADER, "")
    g.request_id = given if SANE_REQUEST_ID.fullmatch(given) else str(uuid.uuid4())


def _finish(response: Response) -> Response:
    request_id = g.get("request_id")
    if request_id is None:  # a hook before ours answered: not a request napflow handled
        return response
    response.headers[HEADER] = request_id
    duration_ms = round((time.perf_counter() - g.request_started) * 1000, 1)
    route = request.url_rule.rule if request.url_rule is not None else None
    requests_log.info(
        "%s %s %s %.1f ms", request.method, route or request.path, response.status_code,
        duration_ms, extra={
            "method": request.method, "route": route, "path": request.path,
            "status": response.status_code, "duration_ms": duration_ms, "user": _username(),
            "request_id": request_id, "remote_addr": request.remote_addr})
    return response


def _username() -> str | None:
    """Who made the request, if napflow knows: the API's token owner, or the page's signed-in
    user (only if the page loaded it: looking it up here would cost a query)."""
    for who in (g.get("user"), g.get("_login_user")):
        name = getattr(who, "username", None)
        if name is not None:
            return name
    return None


def gunicorn_logger_class(fmt: str) -> type:
    """A gunicorn logger class whose own lines (workers booting, exiting, timing out) are in
    napflow's format, so that stderr under `napflow serve` is one format throughout."""
    from gunicorn.glogging import Logger

    class Logs(Logger):
        def setup(self, cfg) -> None:
            super().setup(cfg)
            for handler in self.error_log.handlers:
                handler.setFormatter(formatter(fmt))
                handler.addFilter(RequestIdFilter())

    return Logs
