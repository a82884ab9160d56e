"""Assembles the HTTP API: blueprints, and the request pipeline every API call goes through.

The pipeline answers refusals in the contract's order: 401 (who is asking), 404 (may they see
the plan), 400 (is the body a JSON object), then the view's own 422/403/409/412/422 checks.
One transaction per request, committed at the boundary (api/transactions.py) only when the
answer is a success, and rolled back here otherwise.
"""

from typing import Any

from flask import Flask, Response, g, request

from api import audit, auth, errors, general, health, idempotency, plans, reviews, transactions
from api.transactions import WRITES
from runtime import db
from workflow.access import load_plan
from workflow.errors import BadRequest, NotFound, ValidationFailed

PREFIX = "/api/v1/"
NUL = "\x00"


def init_app(app: Flask) -> None:
    api = errors.ProblemApi(app, spec_kwargs={
        "security": [{"bearer": []}],
        "info": {"description": "Carries UNSCR 1540 national action plans through review, "
                                "national approval and submission to the 1540 Committee."},
    })
    app.extensions["napflow.api"] = api
    api.spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer"})
    blueprints = (general.blp, plans.blp, reviews.blp, audit.blp)
    for blueprint in blueprints:
        api.register_blueprint(blueprint)
    transactions.commit_writes(app, (blueprint.name for blueprint in blueprints))
    # Outside /api/v1, so the request pipeline (tokens, transactions) never runs for a probe.
    api.register_blueprint(health.blp)
    errors.init_app(app)
    app.before_request(_before)
    app.after_request(_after)


def _before() -> Response | None:
    if not request.path.startswith(PREFIX):
        return None
    for flag in ("user", "plan", "idempotency_key", "idempotency_replayed"):
        g.pop(flag, None)  # per request, even when requests share an app context
    # A write begins its one transaction now, before the token is read in it: no read
    # transaction to end first. Its plan is read here locked, once (the operation finds it
    # locked in this transaction): on SQLite BEGIN IMMEDIATE holds the whole database, on
    # PostgreSQL the row is locked (SELECT ... FOR UPDATE), in a read run again when
    # PostgreSQL abandons its lock wait (transactions.locked_read). A POST with an
    # Idempotency-Key first claims the key in a transaction of its own (below), which on
    # SQLite could not begin while this request held the write lock: its operation locks.
    keyed = request.method == "POST" and idempotency.HEADER in request.headers
    writing = (request.method in WRITES and not keyed
               and request.routing_exception is None)
    # A request with no bearer token at all is refused from its headers, before the
    # transaction: an anonymous client must not queue for (or hold) SQLite's write lock.
    token = auth.bearer_token()
    if writing:
        db.begin_write()
    user = auth.authenticate(token)
    if request.routing_exception is not None:
        return None  # no such route or method: Flask answers 404 or 405 (with Allow)
    plan_id = (request.view_args or {}).get("plan_id")
    if plan_id is not None:
        # Kept for the request: the session's identity map holds it only while referenced,
        # and the view's own load_plan then finds it without a second query.
        if writing:
            g.plan = transactions.locked_read(
                lambda: load_plan(db.session(), user, plan_id, lock=True))
        else:
            g.plan = load_plan(db.session(), user, plan_id)
    if any(NUL in str(value) for value in (request.view_args or {}).values()):
        raise NotFound("no such resource")
    body: Any = None
    if request.method in ("POST", "PUT", "PATCH"):
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            raise BadRequest("the body must be a JSON object (Content-Type: application/json)")
    with_nul = _nul_fields(body) + [name for name, value in request.args.items(multi=True)
                                    if NUL in name + value]
    if with_nul:
        raise ValidationFailed({name: ["Must not contain NUL characters."] for name in with_nul})
    if request.method == "POST":
        replay = idempotency.claim(user)
        if replay is not None:
            return replay
    if keyed:
        db.begin_write()
    return None


def _nul_fields(value: Any, path: str = "") -> list[str]:
    """Paths in a JSON body whose string or key holds NUL, which PostgreSQL text cannot store."""
    if isinstance(value, str):
        return [path] if NUL in value else []
    if isinstance(value, dict):
        items = value.items()
    elif isinstance(value, list):
        items = enumerate(value)
    else:
        return []
    found = []
    for key, item in items:
        where = f"{path}.{key}" if path else str(key)
        found += ([where] if NUL in str(key) else []) + _nul_fields(item, where)
    return found


def _after(response: Response) -> Response:
    if (request.method not in WRITES or not request.path.startswith(PREFIX)
            or g.get("idempotency_replayed")):
        return response
    if response.status_code >= 400:  # a success was committed by its view
        session = g.get("db")
        if session is not None:
            session.rollback()
        idempotency.record_refusal(response)
    return response
