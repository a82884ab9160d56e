"""Lists: filters, `{"items", "next_cursor"}` envelopes and cursor pagination."""

from tests.api.api_support import assert_problem


def walk(api, path, who, limit):
    """Every item of a list, page by page; also the size of each page."""
    items, sizes, cursor = [], [], None
    while True:
        query = {"limit": limit, **({"cursor": cursor} if cursor else {})}
        response = api.get(path, who, query_string=query)
        assert response.status_code == 200, response.get_json()
        body = response.get_json()
        assert set(body) == {"items", "next_cursor"}
        items += body["items"]
        sizes.append(len(body["items"]))
        cursor = body["next_cursor"]
        if cursor is None:
            return items, sizes


def test_plans_come_page_by_page_in_id_order(api, make_plan):
    ids = [make_plan("draft") for _ in range(5)]
    items, sizes = walk(api, "/plans", "viewer", limit=2)
    assert [p["id"] for p in items] == ids
    assert sizes == [2, 2, 1]
    assert set(items[0]) >= {"id", "country", "title", "workflow", "state", "revision",
                             "content_version"}


def test_a_full_last_page_has_no_next_cursor(api, make_plan):
    for _ in range(2):
        make_plan("draft")
    assert api.get("/plans?limit=2", "viewer").get_json()["next_cursor"] is None
    assert api.get("/plans?limit=1", "viewer").get_json()["next_cursor"] is not None


def test_a_cursor_is_stable_while_plans_are_added(api, make_plan):
    first, second = make_plan("draft"), make_plan("draft")
    page = api.get("/plans?limit=1", "viewer").get_json()
    third = make_plan("draft")
    rest = api.get(f"/plans?limit=10&cursor={page['next_cursor']}", "viewer").get_json()
    assert [p["id"] for p in page["items"]] == [first]
    assert [p["id"] for p in rest["items"]] == [second, third]


FILTERS = [  # (query, the plans it lists; "vnm-" marks the Vietnamese one)
    ("", ["draft", "draft", "approved", "submitted", "vnm-draft"]),
    ("state=draft", ["draft", "draft", "vnm-draft"]),
    ("country=THA&state=draft", ["draft", "draft"]),
    ("country=VNM", ["vnm-draft"]),
    ("workflow=nap-1540&state=submitted", ["submitted"]),
]


def test_plans_filter_by_country_state_and_workflow(api, make_plan):
    for state in ("draft", "draft", "approved", "submitted"):
        make_plan(state)
    make_plan("draft", country="VNM")
    for query, expected in FILTERS:
        response = api.get(f"/plans?{query}", "global_auditor")
        found = [("vnm-" if p["country"] == "VNM" else "") + p["state"]
                 for p in response.get_json()["items"]]
        assert found == expected, query


BAD_QUERIES = ["limit=0", "limit=501", "limit=-1", "limit=ten", "cursor=garbage", "cursor=e30",
               "cursor=eyJhZnRlciI6ICJ4In0", "cursor=", "cursor=-1", "cursor=1.", "cursor=1.2.3",
               "country=Thailand", "country=", "state=", "state=nothing", "workflow=other"]


def test_bad_paging_or_filters_are_422(api):
    for query in BAD_QUERIES:
        problem = assert_problem(api.get(f"/plans?{query}", "viewer"), 422, "validation_error")
        assert query.split("=")[0] in problem["errors"], query


def test_the_default_limit_is_50_and_500_is_allowed(api, make_plan):
    make_plan("draft")
    assert api.get("/plans?limit=500", "viewer").status_code == 200
    assert api.get("/plans", "viewer").get_json()["next_cursor"] is None


def test_history_pages_oldest_first(api, make_plan):
    plan_id = make_plan("acknowledged")
    everything = api.history(plan_id)
    items, sizes = walk(api, f"/plans/{plan_id}/history", "drafter", limit=3)
    assert items == everything
    assert [e["seq"] for e in items] == list(range(1, len(everything) + 1))
    assert sizes[0] == 3


def test_audit_pages_through_every_visible_event(api, make_plan):
    make_plan("approved")
    make_plan("draft", country="VNM")
    everything = api.get("/audit?limit=500", "global_auditor").get_json()["items"]
    items, _ = walk(api, "/audit", "global_auditor", limit=7)
    assert items == everything
    tha, _ = walk(api, "/audit", "auditor", limit=2)
    assert tha == [e for e in everything if e["plan_id"] == 1]


def test_versions_list_and_get_by_number(api, make_plan):
    plan_id = make_plan("draft")
    for title in ("one", "two"):
        api.patch(f"/plans/{plan_id}", "drafter",
                  json={"content": {"summary": title, "measures": []}},
                  headers={"If-Match": api.etag(plan_id)})
    items, sizes = walk(api, f"/plans/{plan_id}/versions", "viewer", limit=2)
    assert [v["number"] for v in items] == [1, 2, 3] and sizes == [2, 1]
    assert set(items[0]) == {"number", "revision", "content", "author", "created_at",
                             "submitted"}
    second = api.get(f"/plans/{plan_id}/versions/2", "viewer")
    assert second.status_code == 200
    assert second.get_json() == items[1]
    assert second.get_json()["content"]["summary"] == "one"
    assert_problem(api.get(f"/plans/{plan_id}/versions/4", "viewer"), 404, "not_found")
    assert_problem(api.get(f"/plans/{plan_id}/versions/0", "viewer"), 404, "not_found")


def test_every_plan_list_answers_the_same_envelope_and_limits(api, make_plan):
    plan_id = make_plan("national_approval")
    for path in ("reviewers", "reviews", "versions", "history"):
        body = api.get(f"/plans/{plan_id}/{path}", "drafter").get_json()
        assert set(body) == {"items", "next_cursor"} and body["items"], path
        assert_problem(api.get(f"/plans/{plan_id}/{path}?limit=501", "drafter"), 422,
                       "validation_error")
        assert_problem(api.get(f"/plans/{plan_id}/{path}?cursor=%%%", "drafter"), 422,
                       "validation_error")


def test_an_unknown_query_parameter_is_refused_not_ignored(api, make_plan):
    # A misspelt filter silently ignored would show an auditor the wrong events.
    plan_id = make_plan("draft")
    for path in ("/plans", "/audit", f"/plans/{plan_id}/history", f"/plans/{plan_id}/versions",
                 f"/plans/{plan_id}/reviews", f"/plans/{plan_id}/reviewers"):
        response = api.get(path, "auditor", query_string={"contry": "THA"})
        body = assert_problem(response, 422, "validation_error")
        assert body["errors"] == {"contry": ["Unknown field."]}, path
