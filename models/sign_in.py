"""Failed sign-ins per username tried, so that guessing a password is slowed on every server."""

from datetime import datetime

from sqlalchemy import DateTime, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base

# Longest username a sign-in form accepts; every user's is shorter (64), so no real name is
# ever cut.
TRIED_NAME_LENGTH = 128


class SignInAttempts(Base):
    """Sign-ins tried for one (normalized) username since the window began, not yet followed
    by a success. Keyed by the name as typed, known or not: an unknown name is counted like a
    known one, so the answers tell nobody which names exist."""

    __tablename__ = "sign_in_attempts"

    username: Mapped[str] = mapped_column(String(TRIED_NAME_LENGTH), primary_key=True)
    attempts: Mapped[int]
    window_start: Mapped[datetime] = mapped_column(DateTime(timezone=True))
