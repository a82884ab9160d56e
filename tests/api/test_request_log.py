"""One log line per request, the request id (echoed, made, or replaced), and the client's
address and scheme behind trusted proxies (NAPFLOW_PROXY_HOPS)."""

import json
import logging
import re
import uuid

import pytest

from runtime.logs import HEADER, configure, formatter

UUID4 = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")


@pytest.fixture
def request_lines(caplog):
    """The request log's records, as they are made."""
    caplog.set_level(logging.INFO, logger="napflow.request")
    return lambda: [r for r in caplog.records if r.name == "napflow.request"]


def test_a_request_makes_one_line_with_its_fields(client, people, make_plan, request_lines):
    plan_id = make_plan("draft")
    response = client.get(f"/api/v1/plans/{plan_id}", headers=people["drafter"].headers)
    assert response.status_code == 200
    [record] = request_lines()
    line = json.loads(formatter("json").format(record))
    assert line["duration_ms"] >= 0 and line["time"].endswith("+00:00")
    assert {name: line[name] for name in ("level", "logger", "method", "route", "path",
                                          "status", "user", "request_id", "remote_addr")} == {
        "level": "INFO", "logger": "napflow.request", "method": "GET",
        "route": "/api/v1/plans/<int:plan_id>", "path": f"/api/v1/plans/{plan_id}",
        "status": 200, "user": people["drafter"].username, "request_id": response.headers[HEADER],
        "remote_addr": "127.0.0.1"}
    assert line["message"] == (f"GET /api/v1/plans/<int:plan_id> 200 "
                               f"{line['duration_ms']:.1f} ms")


def test_a_transition_writes_the_request_line_alone(app, client, people, make_plan, caplog):
    """Libraries' chatter (transitions' callbacks) is not logged at INFO: one line a request."""
    configure(app.config["LOG_LEVEL"], app.config["LOG_FORMAT"])
    plan_id = make_plan("stakeholder_review")
    caplog.set_level(logging.INFO)
    caplog.clear()
    response = client.post(f"/api/v1/plans/{plan_id}/transitions",
                           json={"trigger": "request_changes", "comment": "more on OP2"},
                           headers=people["drafter"].headers)
    assert response.status_code == 200, response.get_json()
    assert [(r.name, r.levelname) for r in caplog.records] == [("napflow.request", "INFO")]


def test_a_refused_request_is_logged_with_its_status_and_no_user(client, request_lines):
    response = client.post("/api/v1/plans", json={})
    assert response.status_code == 401
    [record] = request_lines()
    assert (record.status, record.user, record.route) == (401, None, "/api/v1/plans")


def test_an_unknown_address_has_no_route_and_keeps_its_path(client, people, request_lines):
    response = client.get("/api/v1/no/such/thing", headers=people["drafter"].headers)
    assert response.status_code == 404
    [record] = request_lines()
    assert (record.route, record.path, record.status) == (None, "/api/v1/no/such/thing", 404)
    assert record.getMessage().startswith("GET /api/v1/no/such/thing 404 ")


def test_a_page_request_by_nobody_signed_in_has_no_user(client, request_lines):
    response = client.get("/sign-in")
    assert response.status_code == 200
    [record] = request_lines()
    assert (record.route, record.user, record.status) == ("/sign-in", None, 200)


def test_the_text_format_is_one_readable_line(client, request_lines):
    response = client.get("/sign-in", headers={HEADER: "abc-123"})
    [record] = request_lines()
    line = formatter("text").format(record)
    assert "\n" not in line
    assert re.fullmatch(r"\S+ \S+ INFO napflow.request \[abc-123\] GET /sign-in 200 "
                        r"\d+\.\d ms", line)
    assert response.headers[HEADER] == "abc-123"


# -- request id ----------------------------------------------------------------------------
SANE = ["abc", "9f1c2e0a-3b7d-4c55-8e21-6a0f8d4b1c3e", "Root=1-67891233-abcdef012345678912345678",
        "req_01HZX.7:a/b+c@d", "a" * 128]
INSANE = ["", " ", "a" * 129, "two words", "new\u00e9line", "a;b", "<script>", "a,b"]


@pytest.mark.parametrize("given", SANE)
def test_a_sane_request_id_is_echoed_in_the_header_and_the_problem(client, given):
    response = client.get("/api/v1/plans", headers={HEADER: given})
    assert response.status_code == 401
    assert response.headers[HEADER] == given
    assert response.get_json()["request_id"] == given


@pytest.mark.parametrize("given", INSANE)
def test_a_malformed_request_id_is_replaced_not_echoed(client, given, request_lines):
    response = client.get("/api/v1/plans", headers={HEADER: given})
    made = response.headers[HEADER]
    assert made != given and UUID4.fullmatch(made)
    assert response.get_json()["request_id"] == made
    assert request_lines()[0].request_id == made


def test_a_request_without_an_id_gets_a_new_one_each_time(client, people):
    ids = {client.get("/api/v1/me", headers=people["drafter"].headers).headers[HEADER]
           for _ in range(3)}
    assert len(ids) == 3 and all(uuid.UUID(made).version == 4 for made in ids)


def test_every_problem_body_carries_the_request_id(client, people, make_plan):
    plan_id = make_plan("draft")
    answers = [
        client.get("/api/v1/plans/99999", headers=people["drafter"].headers),  # 404
        client.post("/api/v1/plans", data="[", headers=people["drafter"].headers),  # 400
        client.post(f"/api/v1/plans/{plan_id}/transitions", json={"trigger": "endorse"},
                    headers=people["drafter"].headers),  # 409
        client.post(f"/api/v1/plans/{plan_id}/transitions", json={"trigger": "nope"},
                    headers=people["drafter"].headers),  # 422
        client.put("/api/v1/plans", headers=people["drafter"].headers),  # 405
    ]
    assert [r.status_code for r in answers] == [404, 400, 409, 422, 405]
    for response in answers:
        assert response.mimetype == "application/problem+json"
        assert response.get_json()["request_id"] == response.headers[HEADER]


def test_an_error_page_shows_the_request_id_as_its_reference(client):
    response = client.get("/no/such/page", headers={HEADER: "ref-42"})
    assert response.status_code == 404 and response.headers[HEADER] == "ref-42"
    assert "quote its reference: ref-42" in response.get_data(as_text=True)


def test_a_success_carries_the_id_but_no_problem(client, people):
    response = client.get("/api/v1/me", headers={**people["drafter"].headers, HEADER: "ok-1"})
    assert response.status_code == 200 and response.headers[HEADER] == "ok-1"
    assert "request_id" not in response.get_json()


# -- behind a reverse proxy ----------------------------------------------------------------
FORWARDED = {"X-Forwarded-For": "203.0.113.7", "X-Forwarded-Proto": "https",
             "X-Forwarded-Host": "napflow.example.org"}


@pytest.fixture
def proxied_app(engine, database_url):
    """proxied_app(hops): an app made with NAPFLOW_PROXY_HOPS=hops on the test's database."""
    from app import create_app

    apps = []

    def make(hops: int):
        apps.append(create_app({"DATABASE_URL": database_url, "TESTING": True,
                                "PROXY_HOPS": hops}))
        return apps[-1]
    yield make
    for app in apps:
        app.extensions["napflow.db"].engine.dispose()


def test_behind_one_proxy_its_client_address_and_https_are_believed(proxied_app,
                                                                      request_lines):
    response = proxied_app(1).test_client().get("/sign-in", headers=FORWARDED)
    assert response.status_code == 200
    [record] = request_lines()
    assert record.remote_addr == "203.0.113.7"
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("session=") and "; Secure" in cookie


def test_with_no_proxy_trusted_the_headers_are_a_clients_words(proxied_app, request_lines):
    response = proxied_app(0).test_client().get("/sign-in", headers=FORWARDED)
    assert response.status_code == 200
    [record] = request_lines()
    assert record.remote_addr == "127.0.0.1"
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("session=") and "Secure" not in cookie


def test_one_hop_trusts_only_the_address_the_proxy_added(proxied_app, request_lines):
    """A client's own X-Forwarded-For comes first; the proxy appends the address it saw."""
    headers = {**FORWARDED, "X-Forwarded-For": "10.6.6.6, 198.51.100.4"}
    proxied_app(1).test_client().get("/sign-in", headers=headers)
    assert request_lines()[0].remote_addr == "198.51.100.4"


@pytest.fixture
def root_logger():
    """The root logger, its handlers and level put back as they were afterwards."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield root
    root.handlers[:] = handlers
    root.setLevel(level)


def test_logs_go_to_stderr_once_at_the_level_set(root_logger, capsys):
    from runtime.logs import NapflowHandler, configure

    configure("info", "text")
    configure("warning", "json")  # another app made in the process: replaced, not added
    [ours] = [h for h in root_logger.handlers if isinstance(h, NapflowHandler)]
    assert root_logger.level == logging.WARNING
    logging.getLogger("napflow.test").info("not shown")
    logging.getLogger("napflow.test").warning("shown")
    ours.flush()
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines()]
    assert [(line["level"], line["message"]) for line in lines] == [("WARNING", "shown")]
    assert "request_id" not in lines[0]  # made outside a request
