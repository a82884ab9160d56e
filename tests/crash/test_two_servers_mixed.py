"""Two `napflow serve` processes on one PostgreSQL share a mixed workload: nothing that one
server needs lives in the other's memory.

API clients create plans, edit them with If-Match, assign reviewers, review and carry each
plan to `acknowledge`, every step on alternating servers, and send each Idempotency-Key's
repeat to the server that did not answer the first. Browsers sign in on one server and go on
on the other (one secret key: NAPFLOW_SECRET_KEY), post forms the other server showed,
send each form twice, once to each server, and fail to sign in on both servers until the
throttle, counted in the database, answers 429 on either. Afterwards the database holds
exactly what the clients were told, every chain verifies, the kept counts equal their
recomputation, and the two servers' /metrics add up to the replays and transitions sent.
"""

import re
import threading
from collections import Counter
from urllib.parse import urlsplit

import requests
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import func, select

from config import TestingConfig
from models import AuditEvent, Plan, Review
from models.db import make_engine, make_session_factory, write_session
from tests.conftest import SAMPLE_CONTENT
from tests.counts_check import drift
from tests.crash.conftest import Server, assert_nothing_half_written, make_cast, napflow, request
from workflow import users
from workflow.passwords import Hashing

API_CLIENTS = 4
PLANS_PER_CLIENT = 3
BROWSERS = 2
FORMS_PER_BROWSER = 3
PASSWORD = "correct horse battery staple"
TOKEN = "two-servers-scraper"
SIGN_IN_LIMIT = 4  # failed sign-ins for one name before the throttle answers
# Both servers' settings: passwords hashed as cheaply as the tests do (the test signs in, it
# does not measure Argon2), metrics on, the throttle's limit known to the test.
SERVER_ENV = {"NAPFLOW_PASSWORD_TIME_COST": "1", "NAPFLOW_PASSWORD_MEMORY_KIB": "8",
                "NAPFLOW_PASSWORD_PARALLELISM": "1", "NAPFLOW_METRICS_TOKEN": TOKEN,
                "NAPFLOW_SIGN_IN_MAX_FAILURES": str(SIGN_IN_LIMIT)}
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
FORM_KEY = re.compile(r'name="form_key" value="([^"]+)"')
# The events of a plan the API clients carry through, in order.
API_LIFE = ["create", "edit", "assign_reviewer", "submit_for_review", "review", "endorse",
            "approve", "submit_to_committee", "acknowledge"]
STEPS = [("drafter", "endorse", {}), ("approver", "approve", {}),
         ("submitter", "submit_to_committee",
          {"data": {"reference": "NV/2026/77", "publication_consent": True}}),
         ("committee", "acknowledge", {})]


class Told:
    """What the servers told the clients, written down by every client thread."""

    def __init__(self):
        self.lock = threading.Lock()
        self.api_plans: set[int] = set()
        self.page_plans: set[int] = set()
        self.reviews = 0
        self.api_replays = 0
        self.page_replays = 0
        self.transitions: Counter = Counter()
        self.failures: list[str] = []

    def expect(self, what: str, status: int, wanted: int, answer) -> None:
        if status != wanted:
            with self.lock:
                self.failures.append(f"{what}: {status} (wanted {wanted}): {answer!r:.300}")
            raise AssertionError(what)


def api_client(index: int, ports: list[int], cast, told: Told) -> None:
    def on(step: int) -> int:  # each step on the other server than the last
        return ports[(index + step) % 2]

    for n in range(PLANS_PER_CLIENT):
        key = {"Idempotency-Key": f"create-{index}-{n}"}
        body = {"country": "THA", "title": f"API plan {index}.{n}", "content": SAMPLE_CONTENT}
        status, plan, headers = request(on(0), "POST", "/api/v1/plans", cast["drafter"], body,
                                        key)
        told.expect("create", status, 201, plan)
        status, again, replayed = request(on(1), "POST", "/api/v1/plans", cast["drafter"], body,
                                          key)
        told.expect("create replayed", status, 201, again)
        assert again["id"] == plan["id"] and replayed["Idempotent-Replayed"] == "true"
        path = f"/api/v1/plans/{plan['id']}"
        stale = headers["ETag"]
        edited = {"title": f"API plan {index}.{n}, edited"}
        status, answer, headers = request(on(1), "PATCH", path, cast["drafter"], edited,
                                          {"If-Match": stale})
        told.expect("edit", status, 200, answer)
        status, answer, _ = request(on(0), "PATCH", path, cast["drafter"], {"title": "lost"},
                                    {"If-Match": stale})
        told.expect("edit with a stale ETag", status, 412, answer)
        status, answer, _ = request(on(0), "POST", f"{path}/reviewers", cast["drafter"],
                                    {"username": "reviewer"})
        told.expect("assign", status, 201, answer)
        send = {"Idempotency-Key": f"send-{index}-{n}"}
        for port in (on(1), on(0)):  # the first, then its repeat on the other server
            status, answer, _ = request(port, "POST", f"{path}/transitions", cast["drafter"],
                                        {"trigger": "submit_for_review"}, send)
            told.expect("submit_for_review", status, 200, answer)
        review = {"Idempotency-Key": f"review-{index}-{n}"}
        for port in (on(0), on(1)):
            status, answer, _ = request(port, "POST", f"{path}/reviews", cast["reviewer"],
                                        {"decision": "approve"}, review)
            told.expect("review", status, 201, answer)
        for step, (who, trigger, extra) in enumerate(STEPS):
            status, answer, _ = request(on(step), "POST", f"{path}/transitions", cast[who],
                                        {"trigger": trigger, **extra})
            told.expect(trigger, status, 200, answer)
        with told.lock:
            told.api_plans.add(plan["id"])
            told.reviews += 1
            told.api_replays += 3
            told.transitions.update(["submit_for_review", *(t for _, t, _ in STEPS)])


def page(session: requests.Session, port: int, method: str, path: str, **form):
    return session.request(method, f"http://127.0.0.1:{port}{path}", data=form or None,
                           allow_redirects=False, timeout=30)


def shown(response: requests.Response, pattern: re.Pattern) -> str:
    found = pattern.search(response.text)
    assert found, f"{response.status_code}: {response.text[:300]}"
    return found.group(1)


def browser(index: int, ports: list[int], told: Told) -> None:
    """A person's browser: cookies are per host, not per port (RFC 6265), so one jar speaks
    to both servers, as a browser behind a load balancer would."""
    first, other = ports[index % 2], ports[(index + 1) % 2]
    session = requests.Session()
    form = page(session, first, "GET", "/sign-in")
    signed = page(session, first, "POST", "/sign-in", username="drafter", password=PASSWORD,
                  csrf_token=shown(form, CSRF))
    told.expect("sign in", signed.status_code, 302, signed.text)
    for n in range(FORMS_PER_BROWSER):
        new = page(session, other, "GET", "/plans/new")  # signed in on the first server
        told.expect("the form, on the other server", new.status_code, 200, new.text[:300])
        sent = {"country": "THA", "title": f"Page plan {index}.{n}",
                "csrf_token": shown(new, CSRF), "form_key": shown(new, FORM_KEY)}
        made = page(session, first, "POST", "/plans/new", **sent)  # shown by the other
        told.expect("create by form", made.status_code, 302, made.text[:300])
        again = page(session, other, "POST", "/plans/new", **sent)  # the same form again
        told.expect("the form sent again", again.status_code, 302, again.text[:300])
        target = urlsplit(made.headers["Location"]).path
        assert urlsplit(again.headers["Location"]).path == target
        with told.lock:
            told.page_plans.add(int(target.rstrip("/").rsplit("/", 1)[1]))
            told.page_replays += 1


def guesser(ports: list[int], limit: int, told: Told) -> None:
    """Wrong passwords for one name, alternating servers: the throttle counts them all."""
    session = requests.Session()
    statuses = []
    for attempt in range(limit + 2):
        port = ports[attempt % 2]
        form = page(session, port, "GET", "/sign-in")
        password = PASSWORD if attempt == limit + 1 else f"guess {attempt}"
        answer = page(session, port, "POST", "/sign-in", username="approver",
                      password=password, csrf_token=shown(form, CSRF))
        statuses.append(answer.status_code)
    # Even the right password is refused once the name is throttled, on either server.
    if statuses != [422] * limit + [429] * 2:
        with told.lock:
            told.failures.append(f"sign-ins over both servers answered {statuses}")


def scrape_sum(ports: list[int]) -> Counter:
    """Each server's /metrics (all its workers), added over the two servers."""
    total: Counter = Counter()
    for port in ports:
        status, body, _ = request(port, "GET", "/metrics",
                                  headers={"Authorization": f"Bearer {TOKEN}"})
        assert status == 200, body
        for family in text_string_to_metric_families(body.decode()):
            for s in family.samples:
                total[(s.name, tuple(sorted(s.labels.items())))] += s.value
    return total


def test_two_servers_share_a_mixed_workload(shared_postgres, servers, tmp_path):
    cast = make_cast(shared_postgres)
    engine = make_engine(shared_postgres)
    try:
        with write_session(make_session_factory(engine)) as session:
            for name in ("drafter", "approver"):
                users.set_password(session, "test", name, PASSWORD,
                                   Hashing.from_config(vars(TestingConfig)))
        pair = [Server(shared_postgres, tmp_path / f"server{n}.log", workers=2,
                       env=SERVER_ENV) for n in (1, 2)]
        for server in pair:
            servers.append(server)
            server.start()
        ports = [server.port for server in pair]
        told = Told()
        threads = ([threading.Thread(target=api_client, args=(i, ports, cast, told))
                    for i in range(API_CLIENTS)]
                   + [threading.Thread(target=browser, args=(i, ports, told))
                      for i in range(BROWSERS)]
                   + [threading.Thread(target=guesser, args=(ports, SIGN_IN_LIMIT, told))])
        for thread in threads:
            thread.daemon = True
            thread.start()
        for thread in threads:
            thread.join(timeout=180)
        assert not any(thread.is_alive() for thread in threads), "a client hung"
        assert not told.failures, told.failures[:10]
        assert len(told.api_plans) == API_CLIENTS * PLANS_PER_CLIENT
        assert len(told.page_plans) == BROWSERS * FORMS_PER_BROWSER

        with engine.connect() as conn:
            assert conn.scalar(select(func.count()).select_from(Plan)) == \
                len(told.api_plans) + len(told.page_plans)
            assert conn.scalar(select(func.count()).select_from(Review)) == told.reviews
            actions = {plan_id: [a for (a,) in conn.execute(
                select(AuditEvent.action).where(AuditEvent.plan_id == plan_id)
                .order_by(AuditEvent.seq))] for plan_id in told.api_plans | told.page_plans}
            assert drift(conn) == {}
        assert {p: actions[p] for p in told.api_plans} == {p: API_LIFE for p in told.api_plans}
        assert {p: actions[p] for p in told.page_plans} == {p: ["create"]
                                                            for p in told.page_plans}
        assert_nothing_half_written(engine)
        verified = napflow("audit", "verify", database_url=shared_postgres)
        assert verified.returncode == 0, verified.stdout + verified.stderr

        metrics = scrape_sum(ports)
        assert metrics[("napflow_idempotent_replays_total", (("surface", "api"),))] \
            == told.api_replays
        assert metrics[("napflow_idempotent_replays_total", (("surface", "page"),))] \
            == told.page_replays
        assert {trigger: metrics[("napflow_transitions_total",
                                  (("trigger", trigger), ("workflow", "nap-1540")))]
                for trigger in told.transitions} == dict(told.transitions)
        assert metrics[("napflow_refusals_total", (("code", "too_many_sign_ins"),
                                                   ("surface", "page")))] == 2
        for server in pair:
            assert server.terminate() == 0, server.log_tail()
    finally:
        engine.dispose()
