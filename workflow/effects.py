"""Named side effects a transition may carry, beyond moving the plan's state."""

from datetime import date, timedelta

from sqlalchemy import update
from sqlalchemy.orm import Session

from models import Plan, ReviewerAssignment, isoformat, utcnow
from workflow.guards import FiringRequest
from workflow.versions import version_of


def _record_submission(session: Session, plan: Plan, request: FiringRequest) -> None:
    plan.submission = {"reference": request.data["reference"].strip(),
                       "submitted_at": isoformat(utcnow()),
                       "publication_consent": request.data["publication_consent"]}
    version_of(session, plan, plan.content_version).submitted = True
    if plan.committee_from_seq is None:
        plan.committee_from_seq = plan.audit_seq + 1  # the event about to be appended


def _start_revision(session: Session, plan: Plan, request: FiringRequest) -> None:
    # Reviews are kept per revision, so the earlier ones simply stop counting.
    plan.revision += 1
    plan.revision_first_version = plan.content_version


def default_due(plan: Plan, today: date | None = None) -> date | None:
    """The due day of a review asked for today: the workflow's review_due_days from now."""
    from workflow.engine import default_registry  # the engine imports EFFECTS from here

    workflow = default_registry().get(plan.workflow)
    days = workflow.review_due_days if workflow else None
    return None if days is None else (today or utcnow().date()) + timedelta(days=days)


def _set_review_due(session: Session, plan: Plan, request: FiringRequest) -> None:
    # Each round of review counts from its start; a due day the drafter gave is kept.
    due = default_due(plan)
    # One statement for every assignment: the cost of a transition does not grow with reviewers.
    # It reads nothing of the plan, so the plan's pending change is not flushed ahead of it:
    # the plan row is then written once, with its new state and audit head together.
    with session.no_autoflush:
        session.execute(update(ReviewerAssignment).where(
            ReviewerAssignment.plan_id == plan.id, ReviewerAssignment.due_given.is_(False))
            .values(due=due).execution_options(synchronize_session=False))


EFFECTS = {"record_submission": _record_submission, "start_revision": _start_revision,
           "set_review_due": _set_review_due}
