"""Fixtures for the security tests: every caller of the matrix, and plans made ready so that
the request under test can be refused only for who is asking."""

from datetime import timedelta

import pytest

from models import utcnow
from models.db import write_session
from tests.conftest import Person
from workflow import service, users

# The broken-token users hold every grant there is: only their token can keep them out.
EVERY_GRANT = ["drafter:THA", "reviewer:THA", "approver:THA", "submitter:THA", "viewer:THA",
               "auditor", "committee", "admin"]


@pytest.fixture(autouse=True)
def _push_request_context():
    """Overrides pytest-flask's, as tests/api does: one request context per request, so that
    each request reads the database afresh (and a revocation is seen by the next one)."""


@pytest.fixture
def more_people(session_factory):
    """The cast beyond `people`: revoked and expired tokens of users holding every grant, a
    well-formed but unknown token, a user without any grant, and admins who are also viewers
    (in Thailand, and in Viet Nam)."""
    with write_session(session_factory) as session:
        _, revoked = users.add_user(session, "test", "revoked-all", EVERY_GRANT)
        users.revoke_tokens(session, "test", "revoked-all")
        user, expired = users.add_user(session, "test", "expired-all", EVERY_GRANT,
                                       expires="1m")
        for token in user.tokens:
            token.expires_at = utcnow() - timedelta(seconds=1)
        _, grantless = users.add_user(session, "test", "grantless", [])
        _, admin_viewer = users.add_user(session, "test", "admin-viewer", ["admin", "viewer:THA"])
        _, vnm_admin_viewer = users.add_user(session, "test", "vnm-admin-viewer",
                                             ["admin", "viewer:VNM"])
    return {"revoked": Person("revoked-all", revoked),
            "expired": Person("expired-all", expired),
            "unknown": Person("nobody", "nap_" + "A" * 43),
            "grantless": Person("grantless", grantless),
            "admin_viewer": Person("admin-viewer", admin_viewer),
            "vnm_admin_viewer": Person("vnm-admin-viewer", vnm_admin_viewer)}


@pytest.fixture
def ready_plan(make_plan, session_factory, people):
    """ready_plan(state): a Thai plan in `state` on which every request of the matrix can
    succeed for its role. Beyond make_plan's walk, a draft has its required reviewer
    (`reviewer`) assigned, so it can be sent for review; in stakeholder review that reviewer
    has approved, so it can be endorsed; a withdrawn plan had its reviewer too."""
    def make(state: str) -> int:
        plan_id = make_plan("draft" if state == "withdrawn" else state)
        with write_session(session_factory) as session:
            def as_(key):
                return users.get_user(session, people[key].username)

            if state in ("draft", "withdrawn"):
                service.assign_reviewer(session, as_("drafter"), plan_id,
                                        username=people["reviewer"].username)
            if state == "stakeholder_review":
                service.record_review(session, as_("reviewer"), plan_id, decision="approve")
            if state == "withdrawn":
                service.fire(session, as_("drafter"), plan_id, "withdraw", comment="superseded")
        return plan_id
    return make
