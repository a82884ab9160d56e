"""Fixtures for fuzzing the API from its own OpenAPI document with schemathesis."""

import pytest

from tests.fuzz.steering import SEEDED_STATES

FUZZER_ROLES = ("drafter", "reviewer", "approver", "submitter", "viewer")


@pytest.fixture(autouse=True)
def _push_request_context():
    """Overrides pytest-flask's, as tests/api does: each request gets its own app context."""


@pytest.fixture
def fuzzer(make_user):
    """One user holding every national role for Thailand, so that most operations can succeed."""
    return make_user("fuzzer", *(f"{role}:THA" for role in FUZZER_ROLES))


@pytest.fixture
def fuzz_app(app, people, fuzzer, make_plan):
    """The app on this test's database, with the cast, the fuzzer and a plan in each state."""
    for state in SEEDED_STATES:
        make_plan(state=state)
    return app
