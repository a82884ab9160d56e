"""Submission to the Committee: what is stored, and what the Committee sees from then on."""

import re
from datetime import UTC, datetime, timedelta

import pytest

from models import ContentVersion
from workflow import service, users
from workflow.access import can_see
from workflow.errors import Forbidden, NotFound

ISO_UTC = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$")


@pytest.fixture
def committee_sees(session_factory, people, plan_row):
    def sees(plan_id: int) -> bool:
        with session_factory() as session:
            return can_see(users.get_user(session, people["committee"].username),
                           plan_row(plan_id))
    return sees


def test_submission_is_stored_on_the_plan(make_plan, call, db):
    plan_id = make_plan("approved")
    plan = call("submitter", service.fire, plan_id, "submit_to_committee",
                data={"reference": "  NV/2026/17 ", "publication_consent": False})

    assert plan.state == "submitted"
    submission = dict(plan.submission)
    submitted_at = submission.pop("submitted_at")
    assert submission == {"reference": "NV/2026/17", "publication_consent": False}
    assert ISO_UTC.match(submitted_at)
    moment = datetime.strptime(submitted_at, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
    assert abs(datetime.now(UTC) - moment) < timedelta(minutes=1)
    assert plan.committee_from_seq == plan.audit_seq  # the submitting event
    version = db.query(ContentVersion).filter_by(plan_id=plan_id, number=1).one()
    assert version.submitted


# From a new draft to approval: who does what.
TO_APPROVAL = [
    ("drafter", service.assign_reviewer, {"username": "reviewer"}),
    ("drafter", service.fire, {"trigger": "submit_for_review"}),
    ("reviewer", service.record_review, {"decision": "approve"}),
    ("drafter", service.fire, {"trigger": "endorse"}),
    ("approver", service.fire, {"trigger": "approve"}),
]


def test_the_committee_sees_a_plan_from_its_first_submission_on(
        make_plan, call, refused, committee_sees, request_for):
    plan_id = make_plan("draft")
    for who, operation, kwargs in TO_APPROVAL:
        call(who, operation, plan_id, **kwargs)
        assert not committee_sees(plan_id)
    refused(NotFound, "committee", service.fire, plan_id, "acknowledge")

    for who, trigger in [("submitter", "submit_to_committee"), ("committee", "acknowledge"),
                         ("drafter", "revise")]:
        call(who, service.fire, plan_id, trigger, **request_for(trigger))
        assert committee_sees(plan_id)
    # seeing is not acting: the next revision's draft stays the country's to write
    refused(Forbidden, "committee", service.edit_plan, plan_id, title="Committee's title")
    refused(Forbidden, "committee", service.fire, plan_id, "submit_for_review")


def test_a_second_submission_replaces_the_reference(make_plan, call, request_for):
    plan_id = make_plan("acknowledged")
    first = call("drafter", service.fire, plan_id, "revise")
    first_seen = first.committee_from_seq
    for who, operation, kwargs in TO_APPROVAL[1:]:  # the reviewer is still assigned
        call(who, operation, plan_id, **kwargs)
    plan = call("submitter", service.fire, plan_id, "submit_to_committee",
                data={"reference": "NV/2027/3", "publication_consent": True})
    assert plan.submission["reference"] == "NV/2027/3"
    assert plan.submission["publication_consent"] is True
    assert plan.committee_from_seq == first_seen  # still seen from the first submission on
