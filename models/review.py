"""Reviewer assignments on a plan and the decisions reviewers record."""

from datetime import date, datetime

from sqlalchemy import Date, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, utcnow
from models.user import User

DECISIONS = ("approve", "request_changes")


class ReviewerAssignment(Base):
    __tablename__ = "reviewer_assignments"
    # No index on `due`: GET /reviews/overdue wants the undecided reviews of plans in review,
    # most overdue first, and in due order those come after every closed round's (24,000 of
    # them at a million events): with one, PostgreSQL walked them, at 1.6 times the CPU of
    # reading the plans in review (README, Scale).
    __table_args__ = (UniqueConstraint("plan_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    required: Mapped[bool] = mapped_column(default=True)
    assigned_by: Mapped[str] = mapped_column(String(64))
    assigned_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # The day the review is due. Given by the drafter, or set from the workflow's
    # review_due_days when the plan enters review (or on assignment during review).
    due: Mapped[date | None] = mapped_column(Date)
    due_given: Mapped[bool] = mapped_column(default=False)

    user: Mapped[User] = relationship(lazy="joined")

    @property
    def username(self) -> str:
        return self.user.username


class Review(Base):
    __tablename__ = "reviews"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    revision: Mapped[int] = mapped_column(Integer)
    content_version: Mapped[int] = mapped_column(Integer)
    decision: Mapped[str] = mapped_column(String(16))
    comment: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    user: Mapped[User] = relationship(lazy="joined")

    @property
    def reviewer(self) -> str:
        return self.user.username
