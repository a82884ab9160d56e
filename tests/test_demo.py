"""`napflow demo`, the console script and `napflow serve`, as an operator would use them."""

import os
import shlex
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections import Counter

import pytest
from sqlalchemy import func, select

from demo.data import ASEAN, PLANS, demo_users
from models import AuditEvent, Plan, User
from workflow import users
from workflow.audit import verify_all
from workflow.countries import is_iso3

STATES = {"draft", "stakeholder_review", "national_approval", "approved", "submitted",
          "acknowledged", "withdrawn"}


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


def read_exports(path) -> dict[str, str]:
    found = {}
    for line in path.read_text().splitlines():
        if line.startswith("export "):
            name, _, value = line.removeprefix("export ").partition("=")
            found[name] = shlex.split(value)[0]
    return found


def counts(session_factory) -> tuple[int, int, Counter]:
    with session_factory() as session:
        return (session.scalar(select(func.count()).select_from(User)),
                session.scalar(select(func.count()).select_from(Plan)),
                Counter(session.scalars(select(AuditEvent.action).where(
                    AuditEvent.plan_id.is_not(None)))))


def test_demo_countries_are_iso_codes():
    assert len(ASEAN) == 10 and all(is_iso3(code) for code in ASEAN)


def test_demo_loads_users_and_plans_in_every_state(runner, session_factory, tmp_path):
    tokens_file = tmp_path / "demo-tokens.env"
    result = runner.invoke(args=["demo", "--tokens-file", str(tokens_file)])
    assert result.exit_code == 0, result.output

    with session_factory() as session:
        plans = session.scalars(select(Plan)).all()
        assert {p.state for p in plans} == STATES
        assert {p.country for p in plans} == set(ASEAN)
        acknowledged = [p for p in plans if p.state == "acknowledged"]
        assert acknowledged and all(p.submission["reference"] for p in acknowledged)
        assert any(p.revision == 2 for p in plans)  # a revised plan, back in draft
        assert all(r.valid for r in verify_all(session))
        # Every role of the contract has a demo user, national roles in THA and VNM.
        holders = {g for u in session.scalars(select(User)) for g in u.grant_strings()}
    for country in ("THA", "VNM"):
        assert {f"{role}:{country}" for role in ("drafter", "reviewer", "approver",
                                                 "submitter", "viewer", "auditor")} <= holders
    assert {"committee", "auditor", "admin"} <= holders

    tokens = read_exports(tokens_file)
    assert set(tokens) == {"NAPFLOW_TOKEN_" + name.upper().replace("-", "_")
                           for name, _ in demo_users()}
    assert oct(tokens_file.stat().st_mode & 0o777) == "0o600"
    with session_factory() as session:
        assert users.authenticate(session, tokens["NAPFLOW_TOKEN_THA_DRAFTER"]).username \
            == "tha-drafter"
    # the table shows the same tokens
    assert tokens["NAPFLOW_TOKEN_COMMITTEE"] in result.output


def test_demo_is_rerunnable_and_issues_fresh_tokens(runner, session_factory, tmp_path):
    tokens_file = tmp_path / "demo-tokens.env"
    assert runner.invoke(args=["demo", "--tokens-file", str(tokens_file)]).exit_code == 0
    first_tokens, first = read_exports(tokens_file), counts(session_factory)
    assert first[:2] == (len(demo_users()), len(PLANS))

    result = runner.invoke(args=["demo", "--tokens-file", str(tokens_file)])
    assert result.exit_code == 0, result.output
    assert "0 users and 0 plans created" in result.output
    assert counts(session_factory) == first  # no user, plan or plan event twice
    again = read_exports(tokens_file)
    assert set(again) == set(first_tokens)
    assert all(again[name] != first_tokens[name] for name in again)
    with session_factory() as session:
        assert users.authenticate(session, again["NAPFLOW_TOKEN_VNM_APPROVER"]).username \
            == "vnm-approver"
        assert all(r.valid for r in verify_all(session))


def test_demo_writes_its_tokens_to_the_instance_folder_by_default(tmp_path, database_url,
                                                                   engine):
    from app import create_app

    app = create_app({"DATABASE_URL": database_url, "TESTING": True})
    app.instance_path = str(tmp_path / "instance")
    try:
        result = app.test_cli_runner().invoke(args=["demo"])
        assert result.exit_code == 0, result.output
        assert "NAPFLOW_TOKEN_ADMIN" in read_exports(tmp_path / "instance" / "demo-tokens.env")
    finally:
        app.extensions["napflow.db"].engine.dispose()


# -- the console script and the server, in their own processes (SQLite only) -----------
def napflow(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", "from cli.commands import main; main()", *args],
                          env=env, capture_output=True, text=True, timeout=120)


@pytest.fixture
def operator_env(tmp_path):
    env = dict(os.environ, NAPFLOW_DATABASE_URL=f"sqlite:///{tmp_path}/napflow.db")
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [os.getcwd(), env.get("PYTHONPATH")]))
    return env


def test_console_script_manages_users(operator_env):
    assert napflow("init-db", env=operator_env).returncode == 0
    added = napflow("users", "add", "kanya", "--grant", "auditor", env=operator_env)
    assert added.returncode == 0, added.stderr
    assert added.stdout.strip().startswith("nap_")
    listed = napflow("users", "list", env=operator_env)
    assert "kanya" in listed.stdout and "auditor" in listed.stdout
    refused = napflow("users", "add", "kanya", env=operator_env)
    assert refused.returncode == 1 and "exists already" in refused.stderr
    assert "Traceback" not in refused.stderr


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_serve_answers_on_a_fresh_database(operator_env):
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-c", "from cli.commands import main; main()", "serve",
         "--port", str(port), "--workers", "1"],
        env=operator_env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline, answer = time.monotonic() + 30, None
        while answer is None and time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/openapi.json",
                                            timeout=5) as response:
                    answer = response.status
            except (urllib.error.URLError, ConnectionError):
                time.sleep(0.2)
        assert answer == 200
        assert napflow("audit", "verify", env=operator_env).returncode == 0  # schema was made
    finally:
        server.terminate()
        server.wait(timeout=30)
