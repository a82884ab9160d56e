"""Reviewer assignments on a plan and the decisions reviewers record."""

from datetime import date, datetime

from sqlalchemy import (
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, utcnow
from models.user import User

DECISIONS = ("approve", "request_changes")


class ReviewerAssignment(Base):
    __tablename__ = "reviewer_assignments"
    __table_args__ = (
        UniqueConstraint("plan_id", "user_id"),
        # GET /reviews/overdue reads the open rounds, most overdue first, as a range of this
        # index. On `due` alone it was no use: in due order the open rounds come after every
        # closed round's (24,000 of them at a million events), and PostgreSQL walked those.
        Index("ix_reviewer_assignments_open_due", "round_open", "due", "plan_id", "id"),
    )

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
    # The reviewer owes a decision now: the plan is in a state with reviews open and the
    # reviewer has none on its current revision and content version. Kept exact, in the
    # same transaction, by each operation that can change it (workflow/review_rounds.py)
    # and set by the demo generator: overdue reviews are then a range of the index above,
    # not every plan in review with a decision lookup for each of its reviewers.
    round_open: Mapped[bool] = mapped_column(default=False, server_default=false())

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
