"""Users, their grants (role, optional country) and their API tokens (stored hashed)."""

import hashlib
import secrets
from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, as_utc, utcnow

ROLES = ("drafter", "reviewer", "approver", "submitter", "viewer", "committee", "auditor", "admin")
# Roles that always need a country, and roles that never take one; the auditor may do either.
COUNTRY_ROLES = frozenset({"drafter", "reviewer", "approver", "submitter", "viewer"})
GLOBAL_ROLES = frozenset({"committee", "admin"})


class GrantHolder:
    """What a holder of grants may do; `grants` has each grant's `role` and `country`.

    Shared by the User model and the plain principal a request authenticates as
    (workflow/users.py), which is read from the same rows without building ORM objects.
    """

    def holds(self, role: str, country: str | None = None) -> bool:
        """True when the user holds `role` for `country` (a global grant covers every country)."""
        return any(g.role == role and (g.country is None or g.country == country)
                   for g in self.grants)

    def holds_exactly(self, role: str, country: str) -> bool:
        """`role` for exactly `country`: a global auditor is nobody's drafter."""
        return any(g.role == role and g.country == country for g in self.grants)

    def countries_for(self, role: str) -> set[str | None]:
        return {g.country for g in self.grants if g.role == role}

    def grant_strings(self) -> list[str]:
        return [grant_label(g.role, g.country) for g in self.grants]


def grant_label(role: str, country: str | None) -> str:
    return role if country is None else f"{role}:{country}"


class User(GrantHolder, Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # An Argon2id hash (PHC string, parameters included) for signing in on the pages; None:
    # the user has only API tokens.
    password_hash: Mapped[str | None] = mapped_column(String(255))
    # Part of every page session's login id: raising it (sign-out, a new password) ends every
    # session the user has, in every browser and on every server.
    session_version: Mapped[int] = mapped_column(default=1, server_default="1")

    grants: Mapped[list["Grant"]] = relationship(
        back_populates="user", cascade="all, delete-orphan", order_by="Grant.id", lazy="selectin"
    )
    tokens: Mapped[list["ApiToken"]] = relationship(
        back_populates="user", cascade="all, delete-orphan", order_by="ApiToken.id"
    )


class Grant(Base):
    __tablename__ = "grants"
    __table_args__ = (UniqueConstraint("user_id", "role", "country"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(16))
    country: Mapped[str | None] = mapped_column(String(3))

    user: Mapped[User] = relationship(back_populates="grants")

    @property
    def label(self) -> str:
        return grant_label(self.role, self.country)


def hash_token(token: str) -> str:
    # Tokens are 256-bit random values, so a fast unsalted hash is enough to make a stolen
    # table useless while keeping lookups indexable.
    return hashlib.sha256(token.encode()).hexdigest()


class ApiToken(Base):
    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    user: Mapped[User] = relationship(back_populates="tokens")

    @staticmethod
    def new_secret() -> str:
        return "nap_" + secrets.token_urlsafe(32)

    def usable(self, now: datetime) -> bool:
        return token_usable(self.expires_at, self.revoked_at, now)


def token_usable(expires_at: datetime | None, revoked_at: datetime | None,
                 now: datetime) -> bool:
    """Neither revoked nor expired at `now`."""
    return revoked_at is None and (expires_at is None or as_utc(expires_at) > now)
