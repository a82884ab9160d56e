"""The real server in its own process group, a loopback HTTP client, and whole-database checks.

These tests run `napflow serve` (gunicorn: a master and its forked workers) as an operator
would, kill or stop it, and look at what the database kept.
"""

import contextlib
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, select

from models import AuditEvent, ContentVersion, Plan, Review, ReviewerAssignment
from models.db import create_schema, make_engine, make_session_factory, write_session
from tests.conftest import Person, private_postgres_schema
from workflow import users

HOST = "127.0.0.1"  # every request of these tests goes to the loopback interface only
CLI = [sys.executable, "-c", "from cli.commands import main; main()"]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def server_env(database_url: str, **extra: str) -> dict[str, str]:
    env = dict(os.environ, NAPFLOW_DATABASE_URL=database_url,
               NAPFLOW_SECRET_KEY="crash-tests", **extra)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [os.getcwd(), env.get("PYTHONPATH")]))
    return env


def napflow(*args: str, database_url: str) -> subprocess.CompletedProcess:
    return subprocess.run([*CLI, *args], env=server_env(database_url), capture_output=True,
                          text=True, timeout=120)


@dataclass
class Server:
    """`napflow serve` on a free loopback port; killed as a whole process group."""

    database_url: str
    log_path: Path
    workers: int = 2
    env: dict[str, str] = field(default_factory=dict)
    port: int = field(default_factory=free_port)
    process: subprocess.Popen | None = None
    starts: int = 0

    def start(self, ready_within: float = 30.0) -> None:
        assert self.process is None, "already running"
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [*CLI, "serve", "--host", HOST, "--port", str(self.port),
                 "--workers", str(self.workers)],
                env=server_env(self.database_url, **self.env), stdout=log,
                stderr=subprocess.STDOUT, start_new_session=True)  # its own process group
        self.starts += 1
        deadline = time.monotonic() + ready_within
        while time.monotonic() < deadline:
            assert self.process.poll() is None, f"server exited: {self.log_tail()}"
            try:
                status, _, _ = request(self.port, "GET", "/openapi.json", timeout=2)
                if status == 200:
                    return
            except (OSError, http.client.HTTPException):
                pass
            time.sleep(0.05)
        raise AssertionError(f"server not answering after {ready_within}s: {self.log_tail()}")

    def kill(self) -> None:
        """SIGKILL the master and every worker at once: nothing gets to clean up."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)
        self.process = None

    def terminate(self, within: float = 60.0) -> int:
        """SIGTERM the master, as an init system would; return its exit code."""
        self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=within)
        finally:
            self.process = None

    def log_tail(self, chars: int = 3000) -> str:
        return self.log_path.read_text(errors="replace")[-chars:]

    def retries_logged(self) -> int:
        return self.log_path.read_text(errors="replace").count("database asked for a retry")

    def stop_quietly(self) -> None:
        if self.process is not None:
            with contextlib.suppress(ProcessLookupError):  # it died on its own
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=30)
            self.process = None


@pytest.fixture(autouse=True)
def _push_request_context():
    """Overrides pytest-flask's, as tests/api does: each request gets its own app context."""


@pytest.fixture
def servers():
    """Collects the servers a test starts and kills any still running when it ends."""
    started: list[Server] = []
    yield started
    for server in started:
        server.stop_quietly()


def request(port: int, method: str, path: str, person: Person | None = None,
            body: dict[str, Any] | None = None, headers: dict[str, str] | None = None,
            timeout: float = 30.0) -> tuple[int, Any, dict[str, str]]:
    """One request on a fresh connection to 127.0.0.1; connection errors propagate."""
    sent = dict(headers or {})
    if person is not None:
        sent.update(person.headers)
    payload = None
    if body is not None:
        payload = json.dumps(body).encode()
        sent["Content-Type"] = "application/json"
    connection = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        connection.request(method, path, body=payload, headers=sent)
        response = connection.getresponse()
        data = response.read()
        answer = dict(response.getheaders())
    finally:
        connection.close()
    try:
        parsed = json.loads(data) if data else None
    except ValueError:
        parsed = data
    return response.status, parsed, answer


@pytest.fixture(params=["sqlite", "postgresql"])
def crash_database(request, tmp_path):
    """A fresh SQLite file, or a private PostgreSQL schema with durable (synchronous) commits."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/napflow.db"
    else:
        yield from private_postgres_schema("napflow_crash")


@pytest.fixture
def shared_postgres():
    yield from private_postgres_schema("napflow_race")


CAST = {"drafter": "drafter:THA", "reviewer": "reviewer:THA", "approver": "approver:THA",
        "submitter": "submitter:THA", "committee": "committee"}


def make_cast(database_url: str) -> dict[str, Person]:
    """The schema and one user per role the lifecycle needs, made through workflow.users."""
    engine = make_engine(database_url)
    try:
        create_schema(engine)
        cast = {}
        with write_session(make_session_factory(engine)) as session:
            for name, grant in CAST.items():
                _, token = users.add_user(session, "test", name, [grant])
                cast[name] = Person(name, token)
        return cast
    finally:
        engine.dispose()


def plan_events(engine: Engine) -> dict[int, list[tuple[str, str]]]:
    """(action, to_state) of every plan's events, in seq order."""
    found: dict[int, list[tuple[str, str]]] = {}
    with engine.connect() as conn:
        rows = conn.execute(select(AuditEvent.plan_id, AuditEvent.action, AuditEvent.to_state)
                            .where(AuditEvent.plan_id.is_not(None))
                            .order_by(AuditEvent.plan_id, AuditEvent.seq))
        for plan_id, action, to_state in rows:
            found.setdefault(plan_id, []).append((action, to_state))
    return found


def assert_nothing_half_written(engine: Engine) -> int:
    """Plans, their heads, content versions, reviews and events agree row for row; returns the
    number of plans checked. The hash chains themselves are `napflow audit verify`'s job."""
    problems: list[str] = []
    with engine.connect() as conn:
        for table in (AuditEvent, ContentVersion, Review, ReviewerAssignment):
            orphans = conn.scalar(select(func.count()).select_from(table).where(
                table.plan_id.is_not(None), table.plan_id.not_in(select(Plan.id))))
            if orphans:
                problems.append(f"{orphans} {table.__tablename__} rows name no plan")
        plans = conn.execute(select(Plan)).all()
        for plan in plans:
            events = conn.execute(select(AuditEvent).where(AuditEvent.plan_id == plan.id)
                                  .order_by(AuditEvent.seq)).all()
            seqs = [e.seq for e in events]
            if seqs != list(range(1, len(events) + 1)) or plan.audit_seq != len(events):
                problems.append(f"plan {plan.id}: seqs {seqs}, head at {plan.audit_seq}")
                continue
            if events[0].action != "create" or events[-1].hash != plan.audit_head:
                problems.append(f"plan {plan.id}: no create event first, or head not last")
            if events[-1].to_state != plan.state:
                problems.append(f"plan {plan.id}: state {plan.state}, last event says "
                                f"{events[-1].to_state}")
            versions = conn.scalars(select(ContentVersion.number).where(
                ContentVersion.plan_id == plan.id).order_by(ContentVersion.number)).all()
            edited = sorted([1] + [e.data["content_version"] for e in events
                                   if e.action == "edit" and "content_version" in e.data])
            if versions != list(range(1, plan.content_version + 1)) or versions != edited:
                problems.append(f"plan {plan.id}: versions {versions}, events made {edited}, "
                                f"plan at {plan.content_version}")
            actions = Counter(e.action for e in events)
            reviews = conn.scalar(select(func.count()).select_from(Review).where(
                Review.plan_id == plan.id))
            assigned = conn.scalar(select(func.count()).select_from(ReviewerAssignment).where(
                ReviewerAssignment.plan_id == plan.id))
            if reviews != actions["review"]:
                problems.append(f"plan {plan.id}: {reviews} reviews, {actions['review']} events")
            if assigned != actions["assign_reviewer"] - actions["remove_reviewer"]:
                problems.append(f"plan {plan.id}: {assigned} assignments for "
                                f"{actions['assign_reviewer']} assign events")
            submitted = [e.seq for e in events if e.action == "submit_to_committee"]
            if (plan.committee_from_seq != (submitted[0] if submitted else None)
                    or (plan.submission is None) != (not submitted)):
                problems.append(f"plan {plan.id}: submission out of step with its events")
    assert not problems, "\n".join(problems)
    return len(plans)
