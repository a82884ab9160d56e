"""Reading a plan's immutable content versions."""

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import ContentVersion, Plan
from workflow.access import MAX_ID
from workflow.errors import NotFound


def version_of(session: Session, plan: Plan, number: int) -> ContentVersion:
    if not 0 < number <= MAX_ID:
        raise NotFound(f"plan {plan.id} has no content version {number}")
    version = session.scalars(select(ContentVersion).where(
        ContentVersion.plan_id == plan.id, ContentVersion.number == number)).one_or_none()
    if version is None:
        raise NotFound(f"plan {plan.id} has no content version {number}")
    return version


def current_content(session: Session, plan: Plan) -> dict[str, Any]:
    return version_of(session, plan, plan.content_version).content
