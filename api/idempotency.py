"""Idempotency-Key on POST: a repeat returns the first response and changes nothing."""

import hashlib
import logging
from datetime import timedelta

from flask import Response, current_app, g, request
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from models import IdempotencyRecord, User, as_utc, canonical_json, utcnow
from models.db import write_session
from runtime import db, metrics
from workflow.errors import IdempotencyKeyInUse, IdempotencyKeyReused, ValidationFailed

HEADER = "Idempotency-Key"
REPLAYED_HEADERS = ("Content-Type", "Location", "ETag")
log = logging.getLogger(__name__)


def _fingerprint() -> str:
    body = request.get_json(silent=True)
    return hashlib.sha256(canonical_json(
        {"method": request.method, "path": request.path, "body": body}).encode()).hexdigest()


def claim(user: User) -> Response | None:
    """Claim the request's key, or answer from its first use. None when there is no key.

    The claim is committed on its own before the work begins, so a concurrent request with
    the same key sees it and gets 409 instead of doing the work a second time.
    """
    key = request.headers.get(HEADER)
    if key is None:
        return None
    if not key.strip() or len(key) > 255 or "\x00" in key:
        raise ValidationFailed({HEADER: ["Must be 1 to 255 characters, none of them NUL."]})
    fingerprint, now = _fingerprint(), utcnow()
    ttl = timedelta(seconds=current_app.config["IDEMPOTENCY_TTL_SECONDS"])
    stale = timedelta(seconds=current_app.config["IDEMPOTENCY_STALE_SECONDS"])
    try:
        with write_session(db.database().sessions) as session:
            record = session.scalars(select(IdempotencyRecord).where(
                IdempotencyRecord.user_id == user.id, IdempotencyRecord.key == key)
            ).one_or_none()
            if record is not None and as_utc(record.created_at) + ttl < now:
                session.delete(record)
                session.flush()
                record = None
            if record is None:
                session.add(IdempotencyRecord(user_id=user.id, key=key, method=request.method,
                                              path=request.path, body_hash=fingerprint,
                                              created_at=now))
                g.idempotency_key = key
                return None
            if record.body_hash != fingerprint:
                raise IdempotencyKeyReused(
                    "this Idempotency-Key was already used with another request")
            if record.status_code is None:
                if as_utc(record.created_at) + stale >= now:
                    raise IdempotencyKeyInUse(
                        "a request with this Idempotency-Key is still running")
                record.created_at = now  # its first request died: this one takes over
                g.idempotency_key = key
                return None
            return _replay(record)
    except IntegrityError:
        # Another request inserted the same key between our look and our insert.
        raise IdempotencyKeyInUse("a request with this Idempotency-Key is still running") \
            from None


def _replay(record: IdempotencyRecord) -> Response:
    g.idempotency_replayed = True
    metrics.count_replay("api")
    response = Response(record.response_body, status=record.status_code)
    for name, value in (record.response_headers or {}).items():
        response.headers[name] = value
    response.headers["Idempotent-Replayed"] = "true"
    return response


def _store(session: Session, user_id: int, key: str, response: Response) -> None:
    record = session.scalars(select(IdempotencyRecord).where(
        IdempotencyRecord.user_id == user_id, IdempotencyRecord.key == key)).one()
    record.status_code = response.status_code
    record.response_body = response.get_data(as_text=True)
    record.response_headers = {name: response.headers[name] for name in REPLAYED_HEADERS
                               if name in response.headers}


def record_in(session: Session, response: Response) -> None:
    """Keep a successful response in the request's own transaction, beside its work."""
    key = g.get("idempotency_key")
    if key is not None:
        _store(session, g.user.id, key, response)


def record_refusal(response: Response) -> None:
    """Keep a 4xx response (its own transaction: the work was rolled back); free the key on 5xx
    so that the client can retry."""
    key = g.get("idempotency_key")
    if key is None:
        return
    try:
        with write_session(db.database().sessions) as session:
            if response.status_code >= 500:
                session.execute(delete(IdempotencyRecord).where(
                    IdempotencyRecord.user_id == g.user.id, IdempotencyRecord.key == key))
            else:
                _store(session, g.user.id, key, response)
    except OperationalError as err:
        # The database is busy or gone (the reason for a 503, often): the answer stands, and
        # the key stays claimed until IDEMPOTENCY_STALE_SECONDS let a retry take it over.
        log.warning("could not record the answer to Idempotency-Key %r: %s", key, err)
