"""Users, grants and tokens: validated, stored hashed, refused when stale, and audited."""

import hashlib
from datetime import timedelta

import pytest

from models import ApiToken, AuditEvent, utcnow
from models.db import write_session
from workflow import service, users
from workflow.audit import verify_chain
from workflow.errors import Forbidden, NotFound, Unauthenticated, ValidationFailed

BAD_GRANTS = ["pilot", "pilot:THA", "Drafter:THA", "", "drafter", "reviewer", "drafter:",
              "committee:THA", "admin:THA", "drafter:tha", "drafter:Tha", "drafter:XXX",
              "drafter:TH", "drafter:THAI", "drafter:764", "auditor:xyz"]
GOOD_GRANTS = ["drafter:THA", "reviewer:VNM", "viewer:FRA", "auditor", "auditor:KEN",
               "committee", "admin", "submitter:BRA", "approver:NZL"]


@pytest.fixture
def admin_does(session_factory):
    """admin_does(users.grant, "drafter", "viewer:VNM"): one committed change by the admin."""
    def run(operation, *args, **kwargs):
        with write_session(session_factory) as session:
            return operation(session, "admin", *args, **kwargs)
    return run


def system_events(db):
    db.rollback()  # a fresh snapshot
    return db.query(AuditEvent).filter(AuditEvent.plan_id.is_(None)).order_by(AuditEvent.id).all()


def test_grants_are_validated(admin_does, unchanged, make_user):
    make_user("someone", "viewer:THA")
    for text in BAD_GRANTS:
        with unchanged(), pytest.raises(ValidationFailed) as info:
            admin_does(users.add_user, "newcomer", ["viewer:THA", text])
        assert list(info.value.errors) == ["grant"], text
        with unchanged(), pytest.raises(ValidationFailed):
            admin_does(users.grant, "someone", text)
    user, _ = admin_does(users.add_user, "newcomer", GOOD_GRANTS)
    assert user.grant_strings() == GOOD_GRANTS


def test_usernames_are_validated(admin_does, unchanged, people):
    for name in ("", "a", "Upper", "has space", "x" * 65, "-dash-first", "drafter"):
        with unchanged(), pytest.raises(ValidationFailed) as info:
            admin_does(users.add_user, name, ["viewer:THA"])
        assert list(info.value.errors) == ["username"], name


def test_a_revoked_grant_takes_effect(admin_does, call, refused, unchanged, people):
    admin_does(users.revoke, "drafter", "drafter:THA")
    refused(Forbidden, "drafter", service.create_plan, country="THA", title="t")
    with unchanged(), pytest.raises(NotFound):
        admin_does(users.revoke, "drafter", "drafter:THA")
    admin_does(users.grant, "drafter", "drafter:THA")
    assert call("drafter", service.create_plan, country="THA", title="t").state == "draft"


def test_tokens_are_stored_only_as_their_hash(make_user, all_rows, db, session_factory):
    person = make_user("ministry", "reviewer:THA")
    with write_session(session_factory) as session:
        second = users.issue_token(session, "admin", users.get_user(session, "ministry"))
    stored = db.query(ApiToken).join(ApiToken.user).filter_by(username="ministry").all()
    assert [t.token_hash for t in stored] == [
        hashlib.sha256(secret.encode()).hexdigest() for secret in (person.token, second)]
    everything = repr(all_rows())
    for secret in (person.token, second):
        assert secret.removeprefix("nap_") not in everything  # in no table, not even the log


def test_a_token_authenticates_its_user(make_user, db):
    person = make_user("ministry", "reviewer:THA")
    assert users.authenticate(db, person.token).username == "ministry"
    for wrong in ("", person.token[:-1], person.token + "x", person.token.upper()):
        with pytest.raises(Unauthenticated) as info:
            users.authenticate(db, wrong)
        assert (info.value.status, info.value.code) == (401, "unauthenticated")


def test_an_expired_token_is_refused(make_user, db, admin_does, unchanged):
    person = make_user("visitor", "viewer:THA", expires="1h")
    assert users.authenticate(db, person.token).username == "visitor"
    assert users.authenticate(db, person.token, now=utcnow() + timedelta(minutes=59))
    for later in (timedelta(hours=1, seconds=1), timedelta(days=400)):
        with pytest.raises(Unauthenticated):
            users.authenticate(db, person.token, now=utcnow() + later)
    for expires in ("0d", "90", "1y", "d", "-1d", "1.5h"):
        with unchanged(), pytest.raises(ValidationFailed) as info:
            admin_does(users.add_user, "visitor2", ["viewer:THA"], expires)
        assert list(info.value.errors) == ["expires"], expires


def test_a_revoked_token_is_refused(make_user, admin_does, session_factory):
    person = make_user("leaver", "viewer:THA")
    assert admin_does(users.revoke_tokens, "leaver") == 1
    with session_factory() as session, pytest.raises(Unauthenticated):
        users.authenticate(session, person.token)
    with write_session(session_factory) as session:
        fresh = users.issue_token(session, "admin", users.get_user(session, "leaver"))
    with session_factory() as session:
        assert users.authenticate(session, fresh).username == "leaver"
        with pytest.raises(Unauthenticated):
            users.authenticate(session, person.token)


def test_every_user_grant_and_token_change_extends_the_system_chain(
        make_user, admin_does, db, session_factory):
    start = len(system_events(db))
    make_user("official", "viewer:THA")  # the user, then its first token
    admin_does(users.grant, "official", "viewer:VNM")
    admin_does(users.grant, "official", "viewer:VNM")  # held already: no change, no event
    admin_does(users.revoke, "official", "viewer:THA")
    with write_session(session_factory) as session:
        users.issue_token(session, "admin", users.get_user(session, "official"), "30d")
    admin_does(users.revoke_tokens, "official")

    events = system_events(db)
    assert [(e.action, e.data["username"]) for e in events[start:]] == [
        ("user_add", "official"), ("token_issue", "official"), ("grant", "official"),
        ("revoke", "official"), ("token_issue", "official"), ("token_revoke", "official")]
    assert [e.seq for e in events] == list(range(1, len(events) + 1))
    assert all(e.plan_id is None for e in events)
    assert events[-1].data["tokens"] == 2
    report = verify_chain(db, None)
    assert (report.valid, report.events, report.head) == (True, len(events), events[-1].hash)
