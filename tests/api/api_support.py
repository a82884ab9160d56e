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

CONTENT = {
    "summary": "Strengthen export controls and border enforcement.",
    "period": {"start": "2026-01-01", "end": "2028-12-31"},
    "measures": [{"obligation": "OP3d", "description": "Adopt a national control list",
                  "lead_agency": "Ministry of Commerce", "domains": ["nuclear", "chemical"]}],
}
# CONTENT as napflow stores and shows it: the measure's defaults filled in.
NORMAL_CONTENT = {**CONTENT, "measures": [
    {**CONTENT["measures"][0], "assistance_needed": False, "status": "planned"}]}
