"""Helpers the API tests share: problem+json assertions and a plan's observable state."""

PROBLEM_JSON = "application/problem+json"

# What a caller sends with each trigger so that only the condition under test can refuse it.
REQUEST = {
    "request_changes": {"comment": "please add customs measures"},
    "return": {"comment": "the period is too short"},
    "withdraw": {"comment": "superseded"},
    "submit_to_committee": {"data": {"reference": "NV/2026/17", "publication_consent": True}},
}

MEASURE = {"obligation": "OP3c", "description": "Train border guards",
           "lead_agency": "Customs Department"}


def assert_problem(response, status: int, code: str) -> dict:
    """The response is an RFC 9457 problem with napflow's `code`; returns its body."""
    assert response.status_code == status, (response.status_code, response.get_data(True))
    assert response.mimetype == PROBLEM_JSON
    body = response.get_json(force=True)
    assert body["status"] == status
    assert body["code"] == code
    assert isinstance(body["type"], str) and body["type"]
    assert isinstance(body["title"], str) and body["title"]
    assert isinstance(body["detail"], str) and body["detail"]
    return body
