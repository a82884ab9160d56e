"""Named side effects a transition may carry, beyond moving the plan's state."""

from sqlalchemy.orm import Session

from models import Plan, isoformat, utcnow
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


EFFECTS = {"record_submission": _record_submission, "start_revision": _start_revision}
