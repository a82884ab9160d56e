"""Operations on users, grants and tokens; each writes its event to the system audit chain."""

import hmac
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

from sqlalchemy import Select, bindparam, select
from sqlalchemy.orm import Session

from models import (
    COUNTRY_ROLES,
    GLOBAL_ROLES,
    ROLES,
    ApiToken,
    Grant,
    GrantHolder,
    User,
    as_utc,
    hash_token,
    isoformat,
    token_usable,
    utcnow,
)
from workflow.audit import append_event
from workflow.countries import is_iso3
from workflow.errors import NotFound, Unauthenticated, ValidationFailed
from workflow.passwords import Hashing, check_new_password

USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")
DURATION = re.compile(r"^(\d+)([mhdw])$")
_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_grant(text: str) -> tuple[str, str | None]:
    """`role` or `role:ISO3`, checked against the contract's roles and the ISO list."""
    role, _, country = text.partition(":")
    country = country or None
    if role not in ROLES:
        raise ValidationFailed({"grant": [f"{text!r}: unknown role; roles: {', '.join(ROLES)}"]})
    if role in GLOBAL_ROLES and country:
        raise ValidationFailed({"grant": [f"{text!r}: {role} carries no country"]})
    if role in COUNTRY_ROLES and not country:
        raise ValidationFailed({"grant": [f"{text!r}: {role} needs a country (role:ISO3)"]})
    if country is not None and not is_iso3(country):
        raise ValidationFailed({"grant": [f"{text!r}: {country!r} is not an upper-case "
                                          "ISO 3166-1 alpha-3 code"]})
    return role, country


def parse_duration(text: str) -> timedelta:
    match = DURATION.match(text)
    if not match or int(match.group(1)) == 0:
        raise ValidationFailed({"expires": [f"{text!r}: use a count and a unit, as 90d, 12h, "
                                            "30m or 2w"]})
    return timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})


def get_user(session: Session, username: str) -> User:
    user = session.scalars(select(User).where(User.username == username)).one_or_none()
    if user is None:
        raise NotFound(f"no user {username!r}")
    return user


def add_user(session: Session, actor: str, username: str, grants: list[str],
             expires: str | None = None) -> tuple[User, str]:
    """Create a user with its grants; returns the user and its first token (shown once)."""
    if not USERNAME.match(username):
        raise ValidationFailed({"username": ["2-64 characters: lower-case letters, digits, "
                                             "'.', '_' or '-'"]})
    if session.scalars(select(User.id).where(User.username == username)).first():
        raise ValidationFailed({"username": [f"{username!r} exists already"]})
    parsed = list(dict.fromkeys(parse_grant(g) for g in grants))
    user = User(username=username, grants=[Grant(role=r, country=c) for r, c in parsed])
    session.add(user)
    session.flush()
    append_event(session, plan=None, actor=actor, action="user_add",
                 data={"username": username, "grants": user.grant_strings()})
    return user, issue_token(session, actor, user, expires)


def grant(session: Session, actor: str, username: str, text: str) -> User:
    user = get_user(session, username)
    role, country = parse_grant(text)
    if not any(g.role == role and g.country == country for g in user.grants):
        user.grants.append(Grant(role=role, country=country))
        session.flush()
        append_event(session, plan=None, actor=actor, action="grant",
                     data={"username": username, "grant": text})
    return user


def revoke(session: Session, actor: str, username: str, text: str) -> User:
    user = get_user(session, username)
    role, country = parse_grant(text)
    found = [g for g in user.grants if g.role == role and g.country == country]
    if not found:
        raise NotFound(f"{username!r} does not hold {text!r}")
    user.grants.remove(found[0])
    session.flush()
    append_event(session, plan=None, actor=actor, action="revoke",
                 data={"username": username, "grant": text})
    return user


def issue_token(session: Session, actor: str, user: User, expires: str | None = None) -> str:
    """A new random token for `user`; only its hash is stored, so it is shown this once."""
    secret = ApiToken.new_secret()
    expires_at = utcnow() + parse_duration(expires) if expires else None
    token = ApiToken(user=user, token_hash=hash_token(secret), expires_at=expires_at)
    session.add(token)
    session.flush()
    append_event(session, plan=None, actor=actor, action="token_issue",
                 data={"username": user.username, "token_id": token.id,
                       "expires_at": isoformat(expires_at) if expires_at else None})
    return secret


def revoke_tokens(session: Session, actor: str, username: str) -> int:
    user = get_user(session, username)
    now, count = utcnow(), 0
    for token in user.tokens:
        if token.revoked_at is None:
            token.revoked_at, count = now, count + 1
    append_event(session, plan=None, actor=actor, action="token_revoke",
                 data={"username": username, "tokens": count})
    session.flush()
    return count


def set_password(session: Session, actor: str, username: str, password: str,
                 hashing: Hashing) -> User:
    """Give `username` a password for the pages (or a new one): every page session signed in
    with the old one ends, as it would for a stolen password."""
    check_new_password(password)
    user = get_user(session, username)
    user.password_hash = hashing.hash(password)
    user.session_version += 1
    session.flush()
    append_event(session, plan=None, actor=actor, action="password_set",
                 data={"username": username})
    return user


@dataclass(frozen=True)
class HeldGrant:
    role: str
    country: str | None


@dataclass(frozen=True)
class Principal(GrantHolder):
    """Who a request acts as: the token's user and grants as plain values, read in one Core
    query (building them as ORM objects cost about a fifth of a transition). It stands in for
    a `User` wherever a caller is read: `id`, `username`, `grants`, `holds`..."""

    id: int
    username: str
    grants: tuple[HeldGrant, ...]


@cache
def _token_rows() -> Select:
    """The token, its user and each of the user's grants (none: one row of NULLs), by hash.
    Built once: building it (and its cache key) per request cost as much as running it."""
    tokens, people, grants = ApiToken.__table__, User.__table__, Grant.__table__
    return (select(tokens.c.token_hash, tokens.c.expires_at, tokens.c.revoked_at, people.c.id,
                   people.c.username, grants.c.role, grants.c.country)
            .join(people, tokens.c.user_id == people.c.id)
            .outerjoin(grants, grants.c.user_id == people.c.id)
            .where(tokens.c.token_hash == bindparam("digest")).order_by(grants.c.id))


def authenticate(session: Session, secret: str, now: datetime | None = None) -> Principal:
    """Who owns `secret`, if the token is known, unrevoked and unexpired."""
    digest = hash_token(secret)
    rows = session.connection().execute(_token_rows(), {"digest": digest}).all()
    # The lookup is by hash (no secret is compared byte by byte); compare again in constant
    # time so a database collation quirk can never turn a near miss into a match.
    if not rows or not hmac.compare_digest(rows[0].token_hash, digest):
        raise Unauthenticated("unknown token")
    first = rows[0]
    if not token_usable(first.expires_at, first.revoked_at, as_utc(now) if now else utcnow()):
        raise Unauthenticated("token expired or revoked")
    return Principal(first.id, first.username,
                     tuple(HeldGrant(row.role, row.country) for row in rows if row.role))
