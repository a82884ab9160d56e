"""Signing in and out on the pages: attempts counted per name, the password checked, sessions.

A sign-in is counted before its password is looked at, in a transaction of its own that is
committed first: however many guesses arrive at once, on however many servers, only the
first `max_failures` of a window are ever checked. The password is checked outside any write
lock (Argon2 is slow on purpose), and the success is recorded in a second transaction.
"""

import unicodedata
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

from sqlalchemy import Select, bindparam, case, delete, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from models import TRIED_NAME_LENGTH, Grant, SignInAttempts, User, as_utc, utcnow
from workflow.audit import append_event
from workflow.errors import NapflowError
from workflow.passwords import Hashing
from workflow.users import HeldGrant, Principal

Transaction = Callable[[], AbstractContextManager[Session]]


class SignInFailed(NapflowError):
    """The name or the password is wrong: one refusal for both, so it tells nobody which
    names exist."""

    status, code, title = 401, "sign_in_failed", "Sign-in failed"


class TooManySignIns(NapflowError):
    status, code, title = 429, "too_many_sign_ins", "Too many sign-ins"

    def __init__(self, retry_after: timedelta):
        seconds = max(1, int(retry_after.total_seconds() + 0.999))
        super().__init__(f"too many failed sign-ins for this name; retry in {seconds} s",
                         retry_after=seconds)
        self.retry_after = seconds


@dataclass(frozen=True)
class Throttle:
    max_failures: int
    window: timedelta


@dataclass(frozen=True)
class SignedIn:
    """Who signed in, and the session version their page session carries."""

    principal: Principal
    session_version: int


def normalize(username: str) -> str:
    """The name as counted and looked up: usernames are lower-case (workflow/users.py), so
    'Tha-Drafter ' and 'tha-drafter' are one name, tried and throttled together."""
    return unicodedata.normalize("NFKC", username).strip().casefold()[:TRIED_NAME_LENGTH]


def sign_in(transaction: Transaction, username: str, password: str, hashing: Hashing,
            throttle: Throttle, now: datetime | None = None) -> SignedIn:
    """Check `password` for `username` and record the sign-in; each `transaction()` is one
    committed writing transaction."""
    name, now = normalize(username), as_utc(now) if now else utcnow()
    with transaction() as session:
        count_attempt(session, name, throttle, now)
        row = session.execute(select(User.id, User.password_hash)
                              .where(User.username == name)).first()
    stored = row.password_hash if row else None
    # A decoy hash is checked when there is no user or no password: the same work either way.
    if not hashing.verify(stored, password) or stored is None:
        raise SignInFailed()
    rehashed = hashing.hash(password) if hashing.needs_rehash(stored) else None
    with transaction() as session:
        return _record_sign_in(session, row.id, name, stored, rehashed)


def count_attempt(session: Session, name: str, throttle: Throttle, now: datetime) -> int:
    """Count one more attempt for `name` (a window older than `throttle.window` starts
    again at 1); refuse it when the window already holds `max_failures`."""
    table = SignInAttempts.__table__
    expired = table.c.window_start <= now - throttle.window
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    # One statement, so two servers counting the same name at once both count.
    upsert = dialect.insert(table).values(username=name, attempts=1, window_start=now)
    upsert = upsert.on_conflict_do_update(index_elements=[table.c.username], set_={
        "attempts": case((expired, 1), else_=table.c.attempts + 1),
        "window_start": case((expired, now), else_=table.c.window_start),
    }).returning(table.c.attempts, table.c.window_start)
    attempts, window_start = session.execute(upsert).one()
    if attempts > throttle.max_failures:
        raise TooManySignIns(as_utc(window_start) + throttle.window - now)
    return attempts


def _record_sign_in(session: Session, user_id: int, name: str, checked: str,
                    rehashed: str | None) -> SignedIn:
    user = session.scalars(select(User).where(User.id == user_id).with_for_update()).one()
    if user.password_hash != checked:
        raise SignInFailed()  # the password was changed while this one was being checked
    if rehashed is not None:  # hashed with weaker parameters than the configured ones
        user.password_hash = rehashed
    session.execute(delete(SignInAttempts).where(SignInAttempts.username == name))
    append_event(session, plan=None, actor=user.username, action="sign_in",
                 data={"username": user.username})
    session.flush()
    principal = Principal(user.id, user.username,
                          tuple(HeldGrant(g.role, g.country) for g in user.grants))
    return SignedIn(principal, user.session_version)


def sign_out(session: Session, principal: Principal) -> None:
    """End every page session of the user, in every browser: their session version moves on."""
    session.execute(update(User).where(User.id == principal.id)
                    .values(session_version=User.session_version + 1))
    append_event(session, plan=None, actor=principal.username, action="sign_out",
                 data={"username": principal.username})


@cache
def _session_rows() -> Select:
    """The user (if the session version still holds) and each grant (none: one row of NULLs)."""
    people, grants = User.__table__, Grant.__table__
    return (select(people.c.id, people.c.username, people.c.session_version, grants.c.role,
                   grants.c.country)
            .outerjoin(grants, grants.c.user_id == people.c.id)
            .where(people.c.id == bindparam("user_id"),
                   people.c.session_version == bindparam("version"))
            .order_by(grants.c.id))


def session_principal(session: Session, user_id: int, version: int) -> SignedIn | None:
    """Who a page session belongs to, or None when the user signed out (or is gone) since."""
    rows = session.connection().execute(_session_rows(),
                                        {"user_id": user_id, "version": version}).all()
    if not rows:
        return None
    first = rows[0]
    return SignedIn(Principal(first.id, first.username,
                              tuple(HeldGrant(r.role, r.country) for r in rows if r.role)),
                    first.session_version)
