"""Named side effects a transition may carry, beyond moving the plan's state."""

from datetime import date, timedelta
from functools import cache
from typing import Any

from sqlalchemy import Update, bindparam, update
from sqlalchemy.orm import Session

from models import Plan, ReviewerAssignment, isoformat, utcnow
from workflow.guards import FiringRequest
from workflow.versions import version_of


# Each effect returns the plan's columns it changes; the firing writes them with the rest of
# the plan row (workflow/plan_write.py).
def _record_submission(session: Session, plan: Plan, request: FiringRequest) -> dict[str, Any]:
    version_of(session, plan, plan.content_version).submitted = True
    changes = {"submission": {"reference": request.data["reference"].strip(),
                              "submitted_at": isoformat(utcnow()),
                              "publication_consent": request.data["publication_consent"]}}
    if plan.committee_from_seq is None:
        changes["committee_from_seq"] = plan.audit_seq + 1  # the event about to be appended
    return changes


def _start_revision(session: Session, plan: Plan, request: FiringRequest) -> dict[str, Any]:
    # Reviews are kept per revision, so the earlier ones simply stop counting.
    return {"revision": plan.revision + 1, "revision_first_version": plan.content_version}


def default_due(plan: Plan, today: date | None = None) -> date | None:
    """The due day of a review asked for today: the workflow's review_due_days from now."""
    from workflow.engine import default_registry  # the engine imports EFFECTS from here

    workflow = default_registry().get(plan.workflow)
    days = workflow.review_due_days if workflow else None
    return None if days is None else (today or utcnow().date()) + timedelta(days=days)


@cache
def _review_due_update() -> Update:
    assignments = ReviewerAssignment.__table__
    return (update(assignments).where(assignments.c.plan_id == bindparam("plan"),
                                      assignments.c.due_given.is_(False))
            .values(due=bindparam("due")))


def _set_review_due(session: Session, plan: Plan, request: FiringRequest) -> dict[str, Any]:
    # Each round of review counts from its start; a due day the drafter gave is kept.
    # One statement for every assignment: the cost of a transition does not grow with reviewers.
    session.connection().execute(_review_due_update(), {"plan": plan.id,
                                                        "due": default_due(plan)})
    return {}


EFFECTS = {"record_submission": _record_submission, "start_revision": _start_revision,
           "set_review_due": _set_review_due}
