"""A national action plan and its immutable content versions."""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, utcnow

GENESIS_HASH = "0" * 64


class Plan(Base):
    __tablename__ = "plans"
    __table_args__ = (
        # GET /plans?sort=updated pages on (updated_at, id).
        Index("ix_plans_updated_at_id", "updated_at", "id"),
        # GET /status counts plans by country and state, the Committee's those it may see:
        # read from this index alone, not from the plan rows (4x faster at 65,000 plans).
        Index("ix_plans_country_workflow_state", "country", "workflow", "state",
              "committee_from_seq"),
        # GET /me/tasks reads the plans in a state oldest first, of one country (a national
        # role) or of all (the Committee): an index range scan that stops at the page's end.
        Index("ix_plans_workflow_state_since", "workflow", "state", "state_since", "id"),
        Index("ix_plans_country_workflow_state_since", "country", "workflow", "state",
              "state_since", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    country: Mapped[str] = mapped_column(String(3), index=True)
    title: Mapped[str] = mapped_column(String(300))
    workflow: Mapped[str] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(64), index=True)
    revision: Mapped[int] = mapped_column(Integer, default=1)
    content_version: Mapped[int] = mapped_column(Integer, default=1)
    # First content version of the current revision: four eyes looks at authors from here on.
    revision_first_version: Mapped[int] = mapped_column(Integer, default=1)
    # Bumped on every change of the row; the ETag and the optimistic check both read it.
    row_version: Mapped[int] = mapped_column(Integer, nullable=False)
    # When the plan entered its state: the time of its latest event that changed the state
    # (workflow/audit.append_event sets it), so tasks are ordered by an indexed column.
    state_since: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # The plan's audit chain head, so cutting off the newest events is detected.
    audit_seq: Mapped[int] = mapped_column(Integer, default=0)
    audit_head: Mapped[str] = mapped_column(String(64), default=GENESIS_HASH)
    submission: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # seq of the event that first submitted the plan to the Committee: what it may see from.
    committee_from_seq: Mapped[int | None] = mapped_column(Integer)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )

    versions: Mapped[list["ContentVersion"]] = relationship(
        back_populates="plan", order_by="ContentVersion.number", cascade="all, delete-orphan"
    )

    __mapper_args__ = {"version_id_col": row_version}

    @property
    def etag(self) -> str:
        return f'"{self.id}.{self.row_version}"'


class ContentVersion(Base):
    __tablename__ = "content_versions"
    __table_args__ = (UniqueConstraint("plan_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    revision: Mapped[int] = mapped_column(Integer)
    content: Mapped[dict[str, Any]] = mapped_column(JSON)
    author: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # Set when this version went to the Committee: the Committee may read it from then on.
    submitted: Mapped[bool] = mapped_column(default=False)

    plan: Mapped[Plan] = relationship(back_populates="versions")
