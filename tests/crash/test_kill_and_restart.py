"""SIGKILL `napflow serve` mid-load, again and again: nothing acknowledged is lost, nothing is
half written, every chain verifies, and the restarted server carries on (SQLite: from its WAL).

Client threads drive plans round the whole lifecycle (edits, reviewer assignments, reviews and
every transition, and new plans) and write down each write answered with a 2xx. A request the
kill cut off may or may not have happened; everything answered must have.
"""

import http.client
import random
import threading
import time
from collections import Counter
from dataclasses import dataclass, field

from sqlalchemy import func, select

from models import Plan
from models.db import make_engine
from tests.conftest import SAMPLE_CONTENT
from tests.crash.conftest import (
    Server,
    assert_nothing_half_written,
    make_cast,
    napflow,
    plan_events,
    request,
)
from tests.sizes import CRASH_KILLS as KILLS

THREADS = 6
PLANS_PER_THREAD = 3
ACKS_BETWEEN_KILLS = 50  # the load is well under way, not just starting, when the kill comes
MAX_REQUESTS_PER_THREAD = 4000
TIME_LIMIT = 100.0  # seconds for the whole load on one database


@dataclass
class Tracked:
    """A plan as one client thread knows it, and the writes the server acknowledged on it."""

    id: int
    state: str = "draft"
    etag: str = ""
    content_version: int = 1
    assigned: bool = False
    edited: bool = False  # in this draft round
    reviewed: bool = False  # this content version, in this review round
    acked: list[tuple[str, str]] = field(default_factory=list)
    # Requests sent and not (yet) answered: cut off by a kill, each may or may not have been
    # done. Counted before sending and uncounted after the answer is written down, so that
    # whenever the test looks, the database holds at most acked + unsure events.
    unsure: int = 0


# What the plan's drafter, reviewer... do next, by state.
NEXT_TRIGGER = {"national_approval": ("approver", "approve"),
                "approved": ("submitter", "submit_to_committee"),
                "submitted": ("committee", "acknowledge"),
                "acknowledged": ("drafter", "revise")}


class Load:
    def __init__(self, server: Server, cast, deadline: float):
        self.server, self.cast, self.deadline = server, cast, deadline
        self.stopping = threading.Event()
        self.lock = threading.Lock()
        self.plans: list[Tracked] = []
        self.acks = 0
        self.unsure_creates = 0
        self.requests = 0
        self.errors: list[str] = []
        self.statuses: Counter = Counter()
        self.threads = [threading.Thread(target=self._run, args=(i,), daemon=True)
                        for i in range(THREADS)]

    # -- the client threads ----------------------------------------------------------------
    def _run(self, index: int) -> None:
        rng, mine, sent = random.Random(index), [], 0
        try:
            while (not self.stopping.is_set() and sent < MAX_REQUESTS_PER_THREAD
                   and time.monotonic() < self.deadline):
                sent += 1
                if len(mine) < PLANS_PER_THREAD or rng.random() < 0.02:
                    plan = self._create(index, len(mine))
                    if plan is not None:
                        mine.append(plan)
                    continue
                self._step(rng.choice(mine))
        except Exception as err:  # surfaced by the test: a thread must not fail silently
            self.errors.append(f"thread {index}: {err!r}")
        finally:
            with self.lock:
                self.requests += sent

    def _send(self, who: str, method: str, path: str, body=None, headers=None):
        """The answer, or None when the server died under the request."""
        try:
            status, answer, got = request(self.server.port, method, path, self.cast[who],
                                          body, headers, timeout=20)
        except (OSError, http.client.HTTPException):
            self._await_server()
            return None
        with self.lock:
            self.statuses[status // 100 * 100] += 1
        if status >= 500:
            self.errors.append(f"{method} {path}: {status} {answer}")
        return status, answer, got

    def _await_server(self) -> None:
        while not self.stopping.is_set() and time.monotonic() < self.deadline:
            try:
                request(self.server.port, "GET", "/openapi.json", timeout=2)
                return
            except (OSError, http.client.HTTPException):
                time.sleep(0.05)

    def _create(self, index: int, n: int) -> Tracked | None:
        with self.lock:
            self.unsure_creates += 1
        answer = self._send("drafter", "POST", "/api/v1/plans", {
            "country": "THA", "title": f"Plan {index}.{n}", "content": SAMPLE_CONTENT})
        if answer is None:
            return None
        status, body, headers = answer
        assert status == 201, (status, body)
        plan = Tracked(body["id"], etag=headers["ETag"], acked=[("create", "draft")])
        with self.lock:
            self.plans.append(plan)
            self.acks += 1
            self.unsure_creates -= 1
        return plan

    def _step(self, plan: Tracked) -> None:
        path = f"/api/v1/plans/{plan.id}"
        if plan.state == "draft" and not plan.assigned:
            action, who, call = "assign_reviewer", "drafter", (
                "POST", path + "/reviewers", {"username": "reviewer"})
        elif plan.state == "draft" and not plan.edited and not plan.etag:
            self._resync(plan)  # a review or an assignment moved the ETag on
            return
        elif plan.state == "draft" and not plan.edited:
            content = dict(SAMPLE_CONTENT, summary=f"version {plan.content_version + 1}")
            action, who, call = "edit", "drafter", ("PATCH", path, {"content": content},
                                                    {"If-Match": plan.etag})
        elif plan.state == "draft":
            action, who, call = "submit_for_review", "drafter", (
                "POST", path + "/transitions", {"trigger": "submit_for_review"})
        elif plan.state == "stakeholder_review" and not plan.reviewed:
            action, who, call = "review", "reviewer", (
                "POST", path + "/reviews", {"decision": "approve"})
        elif plan.state == "stakeholder_review":
            action, who, call = "endorse", "drafter", (
                "POST", path + "/transitions", {"trigger": "endorse"})
        else:
            who, action = NEXT_TRIGGER[plan.state]
            data = ({"reference": f"NV/{plan.id}", "publication_consent": True}
                    if action == "submit_to_committee" else {})
            call = ("POST", path + "/transitions", {"trigger": action, "data": data})
        plan.unsure += 1
        answer = self._send(who, *call)
        if answer is None:
            self._resync(plan)
            return
        status, body, headers = answer
        if status >= 300:
            plan.unsure -= 1
            # Only a request cut off earlier can leave our picture stale; else this is a bug.
            if plan.unsure == 0:
                self.errors.append(f"{action} on plan {plan.id}: {status} {body}")
            self._resync(plan)
            return
        side_effect = action in ("review", "assign_reviewer")
        plan.acked.append((action, plan.state if side_effect else body["state"]))
        plan.unsure -= 1
        with self.lock:
            self.acks += 1
        if side_effect:
            plan.assigned = plan.assigned or action == "assign_reviewer"
            plan.reviewed = plan.reviewed or action == "review"
            plan.etag = ""  # the plan's row (its audit head) changed too
        else:
            self._learn(plan, body, headers)

    def _learn(self, plan: Tracked, body, headers) -> None:
        if body["state"] != plan.state:
            plan.edited = plan.reviewed = False
        elif body["content_version"] != plan.content_version:
            plan.edited = True
        plan.state, plan.etag = body["state"], headers["ETag"]
        plan.content_version = body["content_version"]

    def _resync(self, plan: Tracked) -> None:
        """After a cut-off or refused request: read what really happened."""
        answer = self._send("drafter", "GET", f"/api/v1/plans/{plan.id}")
        if answer is None or answer[0] != 200:
            return
        _, body, headers = answer
        reviewers = self._send("drafter", "GET", f"/api/v1/plans/{plan.id}/reviewers")
        if reviewers is not None and reviewers[0] == 200:
            plan.assigned = bool(reviewers[1]["items"])
        reviews = self._send("reviewer", "GET", f"/api/v1/plans/{plan.id}/reviews")
        if reviews is not None and reviews[0] == 200:
            plan.reviewed = any(r["content_version"] == body["content_version"]
                                and r["revision"] == body["revision"]
                                for r in reviews[1]["items"])
        plan.edited = body["state"] == "draft" and body["content_version"] > plan.content_version
        plan.state, plan.etag = body["state"], headers["ETag"]
        plan.content_version = body["content_version"]

    # -- the test's side -------------------------------------------------------------------
    def start(self) -> None:
        for thread in self.threads:
            thread.start()

    def wait_for_acks(self, more: int) -> None:
        target = self.acks + more
        while self.acks < target and time.monotonic() < self.deadline and not self.errors:
            time.sleep(0.02)
        assert self.acks >= target, f"load stalled at {self.acks} acks: {self.errors[:5]}"

    def stop(self) -> None:
        self.stopping.set()
        for thread in self.threads:
            thread.join(timeout=60)
        assert not any(thread.is_alive() for thread in self.threads)


def is_subsequence(wanted: list, within: list) -> bool:
    found = iter(within)
    return all(item in found for item in wanted)


def assert_acknowledged_writes_kept(load: Load, engine) -> None:
    events = plan_events(engine)
    for plan in load.plans:
        kept = events.get(plan.id, [])
        assert is_subsequence(plan.acked, kept), (plan.id, plan.acked, kept)
        # Beyond what was acknowledged, only cut-off requests may have left a trace.
        assert len(plan.acked) <= len(kept) <= len(plan.acked) + plan.unsure, \
            (plan.id, plan.unsure)
    with engine.connect() as conn:
        plans = conn.scalar(select(func.count()).select_from(Plan))
    assert len(load.plans) <= plans <= len(load.plans) + load.unsure_creates


def assert_database_whole(database_url: str, engine) -> int:
    verified = napflow("audit", "verify", database_url=database_url)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    return assert_nothing_half_written(engine)


def test_sigkill_mid_load_loses_nothing_acknowledged(crash_database, servers, tmp_path):
    started = time.monotonic()
    cast = make_cast(crash_database)
    engine = make_engine(crash_database)
    server = Server(crash_database, tmp_path / "server.log", workers=3)
    servers.append(server)
    server.start()
    load = Load(server, cast, deadline=started + TIME_LIMIT)
    load.start()
    try:
        for _ in range(KILLS):
            load.wait_for_acks(ACKS_BETWEEN_KILLS)
            time.sleep(random.uniform(0, 0.2))
            server.kill()
            # While it is down: whatever the kill interrupted was rolled back or is whole.
            assert_database_whole(crash_database, engine)
            assert_acknowledged_writes_kept(load, engine)
            server.start()  # the same file or schema, no repair step
        load.wait_for_acks(ACKS_BETWEEN_KILLS)
        # A clean stop under load: SIGTERM lets the workers finish what they were doing.
        assert server.terminate() == 0, server.log_tail()
    finally:
        load.stop()
        engine.dispose()
    engine = make_engine(crash_database)
    try:
        plans = assert_database_whole(crash_database, engine)
        assert_acknowledged_writes_kept(load, engine)
    finally:
        engine.dispose()
    assert not load.errors, load.errors[:10]
    assert load.statuses[500] == 0
    transitions = sum(1 for plan in load.plans for action, _ in plan.acked
                      if action not in ("create", "edit", "review", "assign_reviewer"))
    print(f"\n{crash_database.split(':')[0]}: {KILLS} kills, {server.starts} starts, "
          f"{load.requests} requests, {load.acks} writes acknowledged ({transitions} "
          f"transitions), {sum(p.unsure for p in load.plans) + load.unsure_creates} cut off, "
          f"{plans} plans, {time.monotonic() - started:.1f}s")
