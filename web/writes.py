"""A page action's writing transaction, run again whole when PostgreSQL abandons it, and
done once for a form sent twice.

web/transaction.writing() is one attempt; an action given to `write` is re-run in a new
transaction after a deadlock, a serialization failure or a lock timeout (runtime/db.py):
that attempt changed nothing, so the user gets the normal answer and the work is done
once, as for the API's requests (api/transactions.py).

A form that changes something carries a one-time key (`form_key`, made when the form is
shown). `write_once` records the key in the transaction of the change, with the page the
change is seen on; the same form sent again (a double click with JavaScript off, Back and
send again, two servers answering the two sends) finds the key and is sent to that page,
changing nothing. The key is kept only if the change is: a refused form, shown again with
its errors and the same key, can be corrected and sent.
"""

import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Generic, TypeVar

from flask import abort, current_app, flash, redirect, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from wtforms import HiddenField

from models import FORM_KEY_LENGTH, FormKey, utcnow
from runtime import db
from web.transaction import writing

T = TypeVar("T")
FIELD = "form_key"
KEY = re.compile(rf"[A-Za-z0-9_-]{{1,{FORM_KEY_LENGTH}}}")
ALREADY_DONE = _l("This form was already sent, and what it asked for was done then. It was "
                  "not done a second time: this is the result.")


def write(action: Callable[[Session], T]) -> T:
    """`action(session)` in one writing transaction, committed when it returns; a refusal
    it raises rolls everything back and reaches the caller. Read what the page needs from
    the result inside `action`: after a re-run only the last attempt's objects are real."""
    def attempt() -> T:
        with writing() as session:
            return action(session)
    return db.run_again_if_abandoned(attempt)


def new_key() -> str:
    """A form's one-time key: random, so no two forms shown share one."""
    return secrets.token_urlsafe(24)


def form_key_field() -> HiddenField:
    """The hidden field of a form that changes something: a new key each time it is shown,
    the sent one when it is shown again with its errors."""
    return HiddenField(default=new_key)


@dataclass(frozen=True)
class Written(Generic[T]):
    target: str  # the page where what the form made is seen
    result: T | None  # what the action returned; None when repeated
    repeated: bool = False  # the form's key was used before: nothing was done this time


class _Repeated(Exception):
    def __init__(self, target: str):
        super().__init__(target)
        self.target = target


def _recorded(session: Session, key: str) -> FormKey | None:
    return session.scalars(select(FormKey).where(
        FormKey.user_id == current_user.id, FormKey.key == key)).one_or_none()


def write_once(key: str | None, action: Callable[[Session], T],
               where: Callable[[T], str]) -> Written[T]:
    """`action(session)`, the form's work, in one writing
    transaction (as `write`) that also records `key` with `where(result)`, the page that
    shows the result; or, when `key` was recorded before, nothing but that page. A form
    without a key (a page from before keys) is done as `write` does it; a key no page
    makes is a bad request."""
    if not key:
        result = write(action)
        return Written(where(result), result)
    if not KEY.fullmatch(key):
        abort(400)

    def once(session: Session) -> Written[T]:
        found = _recorded(session, key)
        if found is not None:
            raise _Repeated(found.target)
        # Older keys of this user go: a form is not sent again days later.
        ttl = timedelta(seconds=current_app.config["IDEMPOTENCY_TTL_SECONDS"])
        session.execute(delete(FormKey).where(FormKey.user_id == current_user.id,
                                              FormKey.created_at < utcnow() - ttl))
        # Inserted before the work: on PostgreSQL a second send racing this one waits here
        # for this transaction, then fails on the unique key without doing the work.
        record = FormKey(user_id=current_user.id, key=key, path=request.path[:500],
                         target="")
        session.add(record)
        session.flush()
        result = action(session)
        record.target = where(result)
        return Written(record.target, result)

    try:
        return write(once)
    except _Repeated as repeated:
        return Written(repeated.target, None, repeated=True)
    except IntegrityError:
        # The same form, sent at the same time, committed first (its key is now visible).
        session = db.session()
        session.rollback()
        found = _recorded(session, key)
        if found is None:
            raise
        return Written(found.target, None, repeated=True)


def sent_before():
    """When the form being posted was sent before (its key is recorded), the answer to give
    it: that first send's result, with a note. Asked before the form is checked, since what
    the first send did can make the second invalid (a reviewer assigned is no longer one to
    choose). None otherwise; `write_once` checks again in its transaction, for two sends
    that race."""
    key = request.form.get(FIELD)
    if not key or not KEY.fullmatch(key):
        return None
    found = _recorded(db.session(), key)
    return answer_repeat(Written(found.target, None, repeated=True)) if found else None


def answer_repeat(written: Written):
    """The answer to a form sent again: its first result, with a note saying so."""
    flash(ALREADY_DONE, "important")
    return redirect(written.target)
