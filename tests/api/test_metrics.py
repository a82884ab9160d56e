"""GET /metrics: off unless protected, guarded by token and/or networks, and counting what the
requests did (routes, statuses, committed transitions, refusals, replays, database retries)."""

import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy.exc import OperationalError

from config import ConfigError, load_settings
from runtime import db

TOKEN = "scrape-me-3f1c"
SCRAPER = {"Authorization": f"Bearer {TOKEN}"}
TRANSITIONS = "/api/v1/plans/<int:plan_id>/transitions"


def scrape(client, headers=SCRAPER, address="127.0.0.1"):
    return client.get("/metrics", headers=headers, environ_base={"REMOTE_ADDR": address})


def samples(client) -> dict[tuple, float]:
    """Every sample as {(name, sorted labels): value}, but the series' creation times (in
    one process only: the multiprocess collector has none)."""
    response = scrape(client)
    assert response.status_code == 200, response.get_data(as_text=True)
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(response.get_data(as_text=True))
            for s in family.samples if not s.name.endswith("_created")}


def delta(before: dict, after: dict) -> dict[tuple, float]:
    """What changed between two scrapes, without the scrapes' own requests and timings."""
    return {key: value - before.get(key, 0) for key, value in after.items()
            if value != before.get(key, 0) and "/metrics" not in str(key)
            and not key[0].startswith("napflow_http_request_duration_seconds")}


@pytest.fixture
def metered(app):
    app.config["METRICS_TOKEN"] = TOKEN
    return app


def test_off_unless_a_token_or_networks_are_set(client, app):
    response = scrape(client)
    assert response.status_code == 404
    assert response.get_json()["code"] == "not_found"


def test_not_in_the_openapi_document(client):
    assert "/metrics" not in client.get("/openapi.json").get_json()["paths"]


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer wrong"},
                                     {"Authorization": f"Basic {TOKEN}"},
                                     {"Authorization": f"Bearer {TOKEN}x"}])
def test_a_scrape_without_the_token_is_401(client, metered, headers):
    response = scrape(client, headers)
    assert response.status_code == 401
    assert response.get_json()["code"] == "unauthenticated"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize("allow, address, status", [
    ("127.0.0.0/8", "127.0.0.1", 200), ("10.0.0.0/8, 192.168.1.7", "192.168.1.7", 200),
    ("10.0.0.0/8", "127.0.0.1", 403), ("::1/128", "::1", 200), ("10.0.0.0/8", "::1", 403)])
def test_allowed_networks(client, app, allow, address, status):
    app.config["METRICS_ALLOW"] = allow
    response = scrape(client, headers={}, address=address)
    assert response.status_code == status
    if status == 403:
        assert response.get_json()["code"] == "forbidden"
    else:
        assert response.mimetype == "text/plain"


def test_with_both_set_a_scrape_needs_both(client, metered):
    metered.config["METRICS_ALLOW"] = "127.0.0.1/32"
    assert scrape(client).status_code == 200
    assert scrape(client, headers={}).status_code == 401
    assert scrape(client, address="10.1.2.3").status_code == 403


@pytest.mark.parametrize("given", ["10.0.0/33", "10.0.0.0/8, localhost", " , "])
def test_a_mistyped_network_stops_the_app(given):
    from app import create_app

    with pytest.raises(ConfigError, match="NAPFLOW_METRICS_ALLOW must be networks|must name"):
        load_settings({"NAPFLOW_METRICS_ALLOW": given})
    # Settings given to the factory directly (tests) are checked when metrics start.
    with pytest.raises(RuntimeError, match="NAPFLOW_METRICS_ALLOW"):
        create_app({"DATABASE_URL": "sqlite://", "TESTING": True, "METRICS_ALLOW": given})


def test_requests_transitions_refusals_and_replays_are_counted(client, metered, api,
                                                                make_plan):
    plan_id = make_plan("national_approval")
    before = samples(client)
    key = {"Idempotency-Key": "metrics-approve"}
    assert api.fire(plan_id, "endorse", "drafter").status_code == 409  # endorsed already
    assert api.fire(plan_id, "approve", "approver", headers=key).status_code == 200
    again = api.fire(plan_id, "approve", "approver", headers=key)
    assert again.status_code == 200 and again.headers["Idempotent-Replayed"] == "true"
    assert api.get(f"/plans/{plan_id}", "drafter").status_code == 200
    assert api.get("/plans/999999", "drafter").status_code == 404
    assert api.get("/no/such/thing", "drafter").status_code == 404

    def request(method, route, status):
        return ("napflow_http_requests_total", (("method", method), ("route", route),
                                                ("status", status)))

    assert delta(before, samples(client)) == {
        request("POST", TRANSITIONS, "409"): 1,
        request("POST", TRANSITIONS, "200"): 2,  # the first and its replay
        request("GET", "/api/v1/plans/<int:plan_id>", "200"): 1,
        request("GET", "/api/v1/plans/<int:plan_id>", "404"): 1,
        request("GET", "<unmatched>", "404"): 1,
        # the replay did no work: one transition committed
        ("napflow_transitions_total", (("trigger", "approve"),
                                       ("workflow", "nap-1540"))): 1,
        ("napflow_refusals_total", (("code", "invalid_transition"), ("surface", "api"))): 1,
        ("napflow_refusals_total", (("code", "not_found"), ("surface", "api"))): 2,
        ("napflow_idempotent_replays_total", (("surface", "api"),)): 1,
    }


def test_latency_is_a_histogram_by_route(client, metered, api, make_plan):
    plan_id = make_plan("draft")
    before = samples(client)
    for _ in range(3):
        api.get(f"/plans/{plan_id}", "drafter")
    after = samples(client)
    labels = (("method", "GET"), ("route", "/api/v1/plans/<int:plan_id>"))
    count = ("napflow_http_request_duration_seconds_count", labels)
    infinite = ("napflow_http_request_duration_seconds_bucket",
                tuple(sorted((*labels, ("le", "+Inf")))))
    assert after[count] - before.get(count, 0) == 3
    assert after[infinite] - before.get(infinite, 0) == 3
    total = ("napflow_http_request_duration_seconds_sum", labels)
    assert after[total] > before.get(total, 0)


def test_a_rolled_back_transition_is_not_counted(client, metered, api, make_plan):
    plan_id = make_plan("stakeholder_review")
    before = samples(client)
    refused = api.fire(plan_id, "endorse", "drafter")  # the reviewer has not approved
    assert refused.status_code == 422 and refused.get_json()["code"] == "guard_failed"
    changed = delta(before, samples(client))
    assert not [key for key in changed if key[0] == "napflow_transitions_total"]
    assert changed[("napflow_refusals_total", (("code", "guard_failed"),
                                               ("surface", "api")))] == 1


class Abandoned(Exception):
    sqlstate = "40P01"  # a deadlock: PostgreSQL asks for the transaction to be run again


def test_database_retries_are_counted(client, metered):
    attempts = []

    def attempt():
        attempts.append(1)
        if len(attempts) < 3:
            raise OperationalError("UPDATE plans ...", {}, Abandoned())
        return "done"

    before = samples(client)
    with metered.test_request_context("/api/v1/plans/1/transitions", method="POST"):
        assert db.run_again_if_abandoned(attempt) == "done"
    assert delta(before, samples(client)) == {
        ("napflow_database_retries_total", (("sqlstate", "40P01"),)): 2}
