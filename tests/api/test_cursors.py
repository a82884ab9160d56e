"""Cursors are digits: every string the document's pattern allows names a position."""

import re
from urllib.parse import parse_qsl

import pytest

from api.fields import CURSOR_PATTERN, PLAN_CURSOR_PATTERN
from tests.api.api_support import assert_problem

PAST_THE_END = "9" * 5000  # longer than int() reads: still a position, past the end

CURSORS = [  # (list, cursor, the ids it lists of plans 1..3; None: refused)
    ("/plans", "1", [2, 3]),
    ("/plans", "0001", [2, 3]),
    ("/plans", "1\n", [2, 3]),  # Python's `$` allows a final newline, so the server does too
    ("/plans", "3", []),
    ("/plans", "2147483648", []),
    ("/plans", PAST_THE_END, []),
    ("/plans", "0.1", [2, 3]),  # a sort=updated cursor, read by id
    ("/plans?sort=updated", "0.1", [1, 2, 3]),  # time 0: before every plan
    ("/plans?sort=updated", "1", [1, 2, 3]),  # an id alone: at time 0
    ("/plans?sort=updated", f"{PAST_THE_END}.1", []),
    ("/plans?sort=updated", f"1.{PAST_THE_END}", [1, 2, 3]),
    ("/plans", "", None),
    ("/plans", "-1", None),
    ("/plans", "1.", None),
    ("/plans", ".1", None),
    ("/plans", "1.2.3", None),
    ("/plans", "eyJhZnRlciI6IDF9", None),  # the old base64 JSON
    ("/plans", "١", None),  # a digit, but not an ASCII one
    ("/audit", "1", "any"),
    ("/audit", PAST_THE_END, []),
    ("/audit", "1.2", None),
]


@pytest.mark.parametrize(("path", "cursor", "expected"), CURSORS)
def test_a_cursor_is_accepted_exactly_when_the_pattern_matches(api, make_plan, path, cursor,
                                                               expected):
    for _ in range(3):
        make_plan("draft")
    pattern = PLAN_CURSOR_PATTERN if path.startswith("/plans") else CURSOR_PATTERN
    assert (re.search(pattern, cursor) is not None) == (expected is not None)
    path, _, sort = path.partition("?")
    response = api.get(path, "global_auditor",
                       query_string={"cursor": cursor, **dict(parse_qsl(sort))})
    if expected is None:
        assert "cursor" in assert_problem(response, 422, "validation_error")["errors"]
        return
    assert response.status_code == 200, response.get_json()
    if expected != "any":
        assert [item["id"] for item in response.get_json()["items"]] == expected


def test_every_rfc3339_time_is_a_moment_the_first_or_last_beyond_what_utc_shows(api,
                                                                                make_plan):
    make_plan("draft")
    for query, found in [("updated_since=0001-01-01T00:00:00%2B14:00", 1),
                         ("updated_since=9999-12-31T23:59:59-14:00", 0),
                         ("updated_since=2016-12-31t23:59:60z", 1),  # RFC 3339 allows both
                         ("updated_since=9999-12-31T23:59:60.5Z", 0)]:
        response = api.get(f"/plans?{query}", "viewer")
        assert len(response.get_json()["items"]) == found, query
    for query, found in [("since=0001-01-01T00:00:00%2B14:00", True),
                         ("until=0001-01-01T00:00:00%2B14:00", False),
                         ("since=9999-12-31T23:59:59-14:00", False)]:
        response = api.get(f"/audit?{query}", "auditor")
        assert bool(response.get_json()["items"]) is found, query
