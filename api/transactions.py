"""The one transaction of a writing request: committed at the boundary, re-run when asked to.

PostgreSQL may give up on a transaction that did nothing wrong: a deadlock (40P01), a
serialization failure (40001) or a lock it waited for too long (55P03, `lock_timeout`). The
transaction then changed nothing, so the whole request can safely run again; the client only
sees the error when every attempt failed. SQLite reports none of these: its writers queue for
the lock up front (BEGIN IMMEDIATE), and "database is locked" after the busy timeout is already
a long wait, answered 503 with Retry-After.
"""

from collections.abc import Callable, Iterable
from functools import wraps
from typing import Any, TypeVar

from flask import Flask, Response, current_app, request
from sqlalchemy.exc import IntegrityError, OperationalError

from api import errors, idempotency
from runtime import db

WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})
T = TypeVar("T")


def commit_writes(app: Flask, blueprint_names: Iterable[str]) -> None:
    """Make each writing view of these blueprints one transaction, see `in_one_transaction`."""
    names = set(blueprint_names)
    for endpoint, view in list(app.view_functions.items()):
        if endpoint.partition(".")[0] in names:
            app.view_functions[endpoint] = in_one_transaction(view)


def in_one_transaction(view: Callable[..., Any]) -> Callable[..., Any]:
    """Run a writing view, keep its idempotent response beside its work, and commit.

    The request pipeline has begun the writing transaction; a refusal raised by the view
    leaves it to be rolled back by the pipeline. A transient database error rolls back and
    runs the view again from the start, in a new transaction, after a random pause.
    """
    @wraps(view)
    def run(*args: Any, **kwargs: Any) -> Any:
        if request.method not in WRITES:
            return view(*args, **kwargs)
        session = db.session()

        def attempt() -> Response:
            try:
                response: Response = current_app.make_response(view(*args, **kwargs))
                idempotency.record_in(session, response)
                session.commit()
                return response
            except IntegrityError:
                session.rollback()
                return errors.problem(409, "conflict", "Conflict",
                                      "a concurrent request changed the same data; retry")
            except OperationalError:
                session.rollback()
                raise

        return db.run_again_if_abandoned(attempt, before_again=db.begin_write)
    return run


def locked_read(read: Callable[[], T]) -> T:
    """Run `read`, the writing transaction's first locking read, which the request pipeline
    makes (its 404 comes before the body's 400 and the view's 422): run again, in a new
    transaction, when the database abandons its lock wait, as `in_one_transaction` runs a view
    again. Only the read is repeated: what the pipeline did before it (the token's principal,
    plain values) holds for the new transaction as it holds for a view run again."""
    session = db.session()

    def attempt() -> T:
        try:
            return read()
        except OperationalError:
            session.rollback()
            raise

    return db.run_again_if_abandoned(attempt, before_again=db.begin_write)
