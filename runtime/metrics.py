"""Prometheus metrics: what each worker did, counted in its process and summed at GET /metrics.

Under gunicorn every worker is its own process. `napflow serve` gives the server a fresh
directory in PROMETHEUS_MULTIPROC_DIR (cli/server.py); prometheus_client then keeps each
worker's values in files there, and a scrape, whichever worker answers it, sums them all.
Only counters and histograms are used: they sum across processes without a
`multiprocess_mode`, and a worker that exits keeps what it counted.
"""

import hmac
import ipaddress
import json
import os
import time
from dataclasses import dataclass
from functools import cache
from typing import Any

from flask import Flask, Response, current_app, g, request
from sqlalchemy import event
from sqlalchemy.orm import Session

from config import networks
from workflow.errors import Forbidden, NotFound, Unauthenticated
from workflow.service import FIRED

MULTIPROC_DIR = "PROMETHEUS_MULTIPROC_DIR"
PROBLEM_JSON = "application/problem+json"
# Methods as labels: any other token a client sends is counted as "other", so that no client
# can make new time series by inventing methods (nor, below, paths: unmatched is one route).
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
UNMATCHED = "<unmatched>"
# Latency buckets (seconds): from a cached read to a write that queued for a lock.
BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


@dataclass(frozen=True)
class Instruments:
    registry: Any
    requests: Any
    latency: Any
    transitions: Any
    refusals: Any
    replays: Any
    retries: Any


@cache
def instruments() -> Instruments:
    """This process's metrics, made on first use.

    prometheus_client decides once, when first imported, whether values live in memory or in
    files of PROMETHEUS_MULTIPROC_DIR. `napflow serve` builds the app in its master process
    before it sets that directory, so nothing may import the client at app creation: a
    worker imports it here, on its first request, with the directory set.
    """
    from prometheus_client import CollectorRegistry, Counter, Histogram

    registry = CollectorRegistry(auto_describe=True)
    return Instruments(
        registry=registry,
        requests=Counter("napflow_http_requests", "HTTP requests answered, by route template "
                         "and status", ["method", "route", "status"], registry=registry),
        latency=Histogram("napflow_http_request_duration_seconds", "Time to answer a request, "
                          "by route template", ["method", "route"], buckets=BUCKETS,
                          registry=registry),
        transitions=Counter("napflow_transitions", "Transitions committed, by workflow and "
                            "trigger", ["workflow", "trigger"], registry=registry),
        refusals=Counter("napflow_refusals", "Requests refused (4xx), by surface (api, page) "
                         "and problem code", ["surface", "code"], registry=registry),
        replays=Counter("napflow_idempotent_replays", "Repeated requests answered from their "
                        "first answer without doing the work again (api: Idempotency-Key; "
                        "page: a form's one-time key)", ["surface"], registry=registry),
        retries=Counter("napflow_database_retries", "Transactions run again after the "
                        "database abandoned them, by SQLSTATE", ["sqlstate"],
                        registry=registry),
    )


# -- what the rest of napflow reports ----------------------------------------------------------
def count_refusal(surface: str, code: str) -> None:
    instruments().refusals.labels(surface, code).inc()


def count_replay(surface: str) -> None:
    instruments().replays.labels(surface).inc()


def count_retry(sqlstate: str) -> None:
    instruments().retries.labels(sqlstate).inc()


def _count_fired(session: Session) -> None:
    # after_commit: only what the database kept is counted; a rolled-back attempt (a refusal,
    # or one PostgreSQL abandoned and that runs again) dropped its notes in _forget_fired.
    fired = session.info.pop(FIRED, None)
    for workflow, trigger in fired or ():
        instruments().transitions.labels(workflow, trigger).inc()


def _forget_fired(session: Session, *_args: object) -> None:
    session.info.pop(FIRED, None)


# -- the request hooks ---------------------------------------------------------------------------
def init_app(app: Flask) -> None:
    """Count every request of the app, and answer GET /metrics (see `metrics_view`)."""
    app.before_request(_start_clock)
    # Registered before the API's and the pages' hooks: Flask runs after_request functions
    # in reverse, so this one sees each response last, as the client will.
    app.after_request(_count_request)
    app.add_url_rule("/metrics", "metrics", metrics_view, methods=["GET"])
    allowed_networks(app.config["METRICS_ALLOW"])  # a mistyped network stops the app now
    # On every Session of the process, once: the API's, the pages' and the command line's
    # transactions all fire transitions, through whichever session factory they were given.
    for name, listener in (("after_commit", _count_fired), ("after_rollback", _forget_fired),
                           ("after_soft_rollback", _forget_fired)):
        if not event.contains(Session, name, listener):
            event.listen(Session, name, listener)


def _start_clock() -> None:
    g.metrics_started = time.perf_counter()


def _count_request(response: Response) -> Response:
    started = g.pop("metrics_started", None)
    method = request.method if request.method in METHODS else "other"
    route = request.url_rule.rule if request.url_rule is not None else UNMATCHED
    kit = instruments()
    kit.requests.labels(method, route, str(response.status_code)).inc()
    if started is not None:
        kit.latency.labels(method, route).observe(time.perf_counter() - started)
    if response.mimetype == PROBLEM_JSON and 400 <= response.status_code < 500:
        # Every API refusal is rendered as problem+json (api/errors.py): its `code` is the
        # label, wherever in the pipeline the refusal came from.
        try:
            code = json.loads(response.get_data()).get("code", "error")
        except (ValueError, AttributeError):
            code = "error"
        count_refusal("api", str(code))
    return response


# -- GET /metrics --------------------------------------------------------------------------------
def allowed_networks(setting: str | None) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    """NAPFLOW_METRICS_ALLOW as networks. load_settings has checked the variable; a value
    given to create_app directly is checked here, and a wrong one stops the app, named."""
    if not setting:
        return []
    try:
        return [ipaddress.ip_network(part, strict=False)
                for part in networks(setting).split(", ")]
    except ValueError as err:
        raise RuntimeError(f"NAPFLOW_METRICS_ALLOW {err}") from None


def _check_scraper() -> None:
    config = current_app.config
    token, allow = config["METRICS_TOKEN"], config["METRICS_ALLOW"]
    if not token and not allow:
        raise NotFound("no such resource")  # off: as if there were no such endpoint
    if allow:
        try:
            address = ipaddress.ip_address(request.remote_addr or "")
        except ValueError:
            address = None
        if address is None or not any(address in net for net in allowed_networks(allow)):
            raise Forbidden("metrics are not served to this client's network")
    if token:
        scheme, _, given = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(),
                                                                 token.encode()):
            raise Unauthenticated("a bearer token for /metrics is required")


def metrics_view() -> Response:
    """The Prometheus text format: this process's metrics, or under gunicorn every
    worker's, summed from their files."""
    _check_scraper()
    from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

    if os.environ.get(MULTIPROC_DIR):
        from prometheus_client.multiprocess import MultiProcessCollector

        registry = CollectorRegistry()
        MultiProcessCollector(registry)
    else:
        registry = instruments().registry
    return Response(generate_latest(registry), mimetype=None,
                    headers={"Content-Type": CONTENT_TYPE_LATEST,
                             "Cache-Control": "no-store"})
