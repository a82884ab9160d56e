"""Every refusal code of the service layer, and the contract's order when several apply."""

import pytest

from workflow import service
from workflow.errors import (
    Forbidden,
    GuardFailed,
    InvalidTransition,
    NotEditable,
    NotFound,
    PreconditionFailed,
    UnknownTrigger,
    ValidationFailed,
)

MEASURE = {"obligation": "OP3c", "description": "Train border guards", "lead_agency": "Customs"}
STALE = '"0.0"'  # an ETag no plan ever has

# content -> the path its error is keyed by
CONTENT_ERRORS = [
    ({"measures": [{**MEASURE, "description": "  "}]}, "content.measures.0.description"),
    ({"measures": [{**MEASURE, "description": 5}]}, "content.measures.0.description"),
    ({"measures": [MEASURE, {**MEASURE, "obligation": "OP9"}]}, "content.measures.1.obligation"),
    ({"measures": [{"description": "x", "lead_agency": "y"}]}, "content.measures.0.obligation"),
    ({"measures": [{**MEASURE, "domains": ["space"]}]}, "content.measures.0.domains.0"),
    ({"measures": [{**MEASURE, "assistance_needed": "maybe"}]},
     "content.measures.0.assistance_needed"),
    ({"measures": [{**MEASURE, "due": "soon"}]}, "content.measures.0.due"),
    ({"measures": [{**MEASURE, "colour": "red"}]}, "content.measures.0.colour"),
    ({"measures": "many"}, "content.measures"),
    ({"period": {"start": "2027-01-01", "end": "2026-01-01"}}, "content.period.end"),
    ({"period": {"start": "someday", "end": "2026-01-01"}}, "content.period.start"),
    ({"summary": ["not", "text"]}, "content.summary"),
    ({"colour": "red"}, "content.colour"),
    (["not", "an", "object"], "content"),
]


def test_content_errors_are_keyed_by_path(make_plan, refused):
    plan_id = make_plan("draft")
    for content, path in CONTENT_ERRORS:
        err = refused(ValidationFailed, "drafter", service.create_plan, country="THA",
                      title="t", content=content)
        assert list(err.errors) == [path], content
        err = refused(ValidationFailed, "drafter", service.edit_plan, plan_id, content=content)
        assert list(err.errors) == [path], content


def test_create_plan_refuses_a_country_that_is_not_upper_case_iso3(refused):
    for country in ("tha", "XXX", "TH", "THAI", 764, None):
        err = refused(ValidationFailed, "drafter", service.create_plan, country=country,
                      title="t")
        assert list(err.errors) == ["country"], country


def test_create_plan_reports_every_field_at_once(refused):
    err = refused(ValidationFailed, "drafter", service.create_plan, country="tha", title=" ",
                  workflow="nap-9999", content={"measures": [{**MEASURE, "lead_agency": ""}]})
    assert set(err.errors) == {"country", "title", "workflow", "content.measures.0.lead_agency"}


def test_only_a_drafter_of_the_country_creates_plans(refused, call):
    # admin is not a drafter by virtue of being admin
    for role in ("viewer", "approver", "global_auditor", "committee", "admin", "vnm_drafter"):
        refused(Forbidden, role, service.create_plan, country="THA", title="t")
    assert call("vnm_drafter", service.create_plan, country="VNM", title="t").state == "draft"


def test_another_countrys_plan_is_not_found_never_forbidden(make_plan, refused):
    plan_id = make_plan("stakeholder_review")
    for who in ("vnm_drafter", "vnm_reviewer", "vnm_auditor", "admin", "committee"):
        refused(NotFound, who, service.fire, plan_id, "endorse")
        refused(NotFound, who, service.edit_plan, plan_id, title="x")
        refused(NotFound, who, service.assign_reviewer, plan_id, username="reviewer2")
        refused(NotFound, who, service.remove_reviewer, plan_id, "reviewer")
        refused(NotFound, who, service.record_review, plan_id, decision="approve")
    refused(NotFound, "drafter", service.fire, 10**6, "endorse")
    refused(NotFound, "drafter", service.remove_reviewer, plan_id, "reviewer2")  # not assigned


def test_unknown_triggers_include_the_machines_auto_transitions(make_plan, refused):
    plan_id = make_plan("approved")
    for trigger in ("to_submitted", "to_draft", "to_withdrawn", "fly", ""):
        err = refused(UnknownTrigger, "submitter", service.fire, plan_id, trigger)
        assert "submit_to_committee" in err.extra["triggers"]
        assert not [t for t in err.extra["triggers"] if t.startswith("to_")]


def test_only_a_reviewer_of_the_plans_country_can_be_assigned(make_plan, refused, call, make_user):
    make_user("ministry", "reviewer:VNM", "viewer:THA")
    plan_id = make_plan("draft")
    for username in ("viewer", "vnm-reviewer", "ministry", "nobody", "drafter"):
        err = refused(ValidationFailed, "drafter", service.assign_reviewer, plan_id,
                      username=username)
        assert list(err.errors) == ["username"], username
    call("drafter", service.assign_reviewer, plan_id, username="reviewer")
    err = refused(ValidationFailed, "drafter", service.assign_reviewer, plan_id,
                  username="reviewer")
    assert "already" in err.errors["username"][0]


def test_request_fields_are_validated(make_plan, refused):
    plan_id = make_plan("approved")
    for data, path in [({"reference": 17, "publication_consent": True}, "data.reference"),
                       ({"reference": "NV/1", "publication_consent": "yes"},
                        "data.publication_consent"),
                       ({"reference": "NV/1", "publication_consent": True, "colour": 1},
                        "data.colour")]:
        err = refused(ValidationFailed, "submitter", service.fire, plan_id,
                      "submit_to_committee", data=data)
        assert list(err.errors) == [path]
    err = refused(ValidationFailed, "approver", service.fire, plan_id, "withdraw",
                  comment="c", data={"reference": "NV/1"})  # withdraw takes no data
    assert list(err.errors) == ["data.reference"]


def test_values_of_the_wrong_type_are_validation_errors(make_plan, refused):
    plan_id = make_plan("stakeholder_review")
    for who, operation, kwargs, path in [
            ("drafter", service.assign_reviewer, {"username": "reviewer2", "required": "yes"},
             "required"),
            ("drafter", service.assign_reviewer, {"username": 5}, "username"),
            ("drafter", service.fire, {"trigger": "withdraw", "comment": 5}, "comment"),
            ("drafter", service.fire, {"trigger": "withdraw", "comment": "c", "data": [1]},
             "data"),
            ("reviewer", service.record_review, {"decision": "approve", "comment": 5},
             "comment"),
            ("reviewer", service.record_review, {"decision": ["approve"]}, "decision")]:
        err = refused(ValidationFailed, who, operation, plan_id, **kwargs)
        assert list(err.errors) == [path], kwargs


def test_review_fields_are_validated(make_plan, refused):
    plan_id = make_plan("stakeholder_review")
    err = refused(ValidationFailed, "reviewer", service.record_review, plan_id, decision="maybe")
    assert list(err.errors) == ["decision"]
    for comment in (None, "", "  "):
        err = refused(ValidationFailed, "reviewer", service.record_review, plan_id,
                      decision="request_changes", comment=comment)
        assert list(err.errors) == ["comment"]


def test_content_is_edited_only_in_draft(make_plan, refused):
    for state in ("stakeholder_review", "national_approval", "approved", "submitted",
                  "acknowledged", "withdrawn"):
        plan_id = make_plan(state)
        refused(NotEditable, "drafter", service.edit_plan, plan_id,
                content={"measures": [MEASURE]})
        refused(NotEditable, "drafter", service.edit_plan, plan_id, title="New title")


def test_reviewers_are_kept_mid_review_and_fixed_after_it(make_plan, refused, call):
    in_review, in_approval = make_plan("stakeholder_review"), make_plan("national_approval")
    refused(NotEditable, "drafter", service.remove_reviewer, in_review, "reviewer")
    call("drafter", service.assign_reviewer, in_review, username="reviewer2")  # adding is fine
    refused(NotEditable, "drafter", service.assign_reviewer, in_approval, username="reviewer2")
    refused(NotEditable, "drafter", service.remove_reviewer, in_approval, "reviewer")


def test_reviews_are_recorded_only_in_stakeholder_review(make_plan, call, refused):
    draft, in_approval = make_plan("draft"), make_plan("national_approval")
    call("drafter", service.assign_reviewer, draft, username="reviewer")
    for plan_id in (draft, in_approval):
        refused(NotEditable, "reviewer", service.record_review, plan_id, decision="approve")


def test_if_match_must_name_the_current_etag(make_plan, refused, call, plan_row):
    plan_id = make_plan("draft")
    etag = plan_row(plan_id).etag
    for stale in (STALE, f"W/{etag}", etag.strip('"'), f'"{plan_id}.{10**6}"'):
        refused(PreconditionFailed, "drafter", service.edit_plan, plan_id, title="x",
                if_match=stale)
        refused(PreconditionFailed, "drafter", service.fire, plan_id, "withdraw", comment="c",
                if_match=stale)
    call("drafter", service.edit_plan, plan_id, title="One", if_match=f"{STALE}, {etag}")
    call("drafter", service.edit_plan, plan_id, title="Two", if_match="*")
    refused(PreconditionFailed, "drafter", service.edit_plan, plan_id, title="x", if_match=etag)


# (state, who, operation, arguments, the refusal that answers): the first applicable wins.
ORDER = [
    ("draft", "vnm_drafter", "fire", {"trigger": "to_submitted"}, NotFound),
    ("draft", "vnm_drafter", "edit", {"content": "junk", "if_match": STALE}, NotFound),
    ("approved", "committee", "fire", {"trigger": "acknowledge"}, NotFound),
    ("draft", "viewer", "fire", {"trigger": "to_submitted"}, UnknownTrigger),
    ("draft", "viewer", "fire", {"trigger": "submit_to_committee", "data": {"reference": 1}},
     ValidationFailed),
    ("approved", "viewer", "edit", {"content": "junk"}, ValidationFailed),
    ("stakeholder_review", "reviewer2", "review", {"decision": "maybe"}, ValidationFailed),
    ("draft", "viewer", "fire", {"trigger": "endorse", "if_match": STALE}, Forbidden),
    ("approved", "viewer", "edit", {"title": "x", "if_match": STALE}, Forbidden),
    ("national_approval", "reviewer2", "review", {"decision": "approve"}, Forbidden),
    ("draft", "drafter", "fire", {"trigger": "endorse", "if_match": STALE}, InvalidTransition),
    ("approved", "drafter", "edit", {"title": "x", "if_match": STALE}, NotEditable),
    ("draft", "drafter", "fire", {"trigger": "submit_for_review", "if_match": STALE},
     PreconditionFailed),
    ("stakeholder_review", "drafter", "fire", {"trigger": "endorse", "if_match": STALE},
     PreconditionFailed),
    ("draft", "drafter", "fire", {"trigger": "submit_for_review"}, GuardFailed),
]
OPERATIONS = {"fire": service.fire, "edit": service.edit_plan, "review": service.record_review}


@pytest.mark.parametrize("state", sorted({row[0] for row in ORDER}))
def test_order_of_refusals(make_plan, refused, state):
    plan_id = make_plan(state)
    for _, who, operation, arguments, expected in [row for row in ORDER if row[0] == state]:
        kwargs = dict(arguments)
        args = (kwargs.pop("trigger"),) if operation == "fire" else ()
        refused(expected, who, OPERATIONS[operation], plan_id, *args, **kwargs)
