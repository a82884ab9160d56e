"""The `napflow` command line, on SQLite and PostgreSQL, through Flask's CLI runner."""

import csv
import io
import json
from datetime import timedelta

import pytest
from sqlalchemy import func, inspect, select, text

from app import create_app
from models import AuditEvent, User, event_hash, utcnow
from workflow import users
from workflow.audit_search import EVENT_FIELDS as EXPORT_FIELDS
from workflow.errors import Unauthenticated


@pytest.fixture
def runner(app):
    """Flask's CLI runner on the test app (pytest-flask has `client`, not `runner`)."""
    return app.test_cli_runner()


def owner_of(session_factory, token: str, **kwargs) -> str:
    with session_factory() as session:
        return users.authenticate(session, token, **kwargs).username


def system_events(session_factory) -> list[AuditEvent]:
    with session_factory() as session:
        return list(session.scalars(select(AuditEvent).where(AuditEvent.plan_id.is_(None))
                                    .order_by(AuditEvent.seq)))


def tamper(engine, statement: str, **params) -> None:
    """Edit an audit row behind the application's back, as an intruder with DB access would."""
    with engine.begin() as conn:
        if engine.dialect.name == "sqlite":
            conn.execute(text("DROP TRIGGER audit_events_no_update"))
        else:
            conn.execute(text("SET LOCAL session_replication_role = replica"))
        conn.execute(text(statement), params)


# -- init-db -----------------------------------------------------------------------------
def test_init_db_creates_tables_and_audit_guards_on_a_new_database(tmp_path):
    app = create_app({"DATABASE_URL": f"sqlite:///{tmp_path}/new.db", "TESTING": True})
    try:
        result = app.test_cli_runner().invoke(args=["init-db"])
        assert result.exit_code == 0, result.output
        assert "schema ready" in result.output
        engine = app.extensions["napflow.db"].engine
        tables = set(inspect(engine).get_table_names())
        assert {"plans", "audit_events", "users", "grants"} <= tables
        with engine.connect() as conn:
            triggers = conn.execute(text(
                "SELECT name FROM sqlite_master WHERE type = 'trigger'")).scalars().all()
        assert {"audit_events_no_update", "audit_events_no_delete"} <= set(triggers)
    finally:
        app.extensions["napflow.db"].engine.dispose()


def test_init_db_is_harmless_on_an_existing_schema(runner, make_plan, session_factory):
    make_plan("approved")
    before = all_events(session_factory)
    result = runner.invoke(args=["init-db"])
    assert result.exit_code == 0, result.output
    assert all_events(session_factory) == before
    assert runner.invoke(args=["audit", "verify"]).exit_code == 0


# -- users ---------------------------------------------------------------------------------
def test_users_add_prints_a_token_that_authenticates(runner, session_factory):
    result = runner.invoke(args=["users", "add", "somchai", "--grant", "drafter:THA",
                                 "--grant", "viewer:VNM"])
    assert result.exit_code == 0, result.output
    token = result.stdout.strip()
    assert token.startswith("nap_") and "\n" not in token
    assert owner_of(session_factory, token) == "somchai"
    with session_factory() as session:
        assert users.get_user(session, "somchai").grant_strings() == ["drafter:THA",
                                                                       "viewer:VNM"]
    added = system_events(session_factory)
    assert [(e.actor, e.action) for e in added] == [("cli", "user_add"), ("cli", "token_issue")]


def test_grant_revoke_and_list(runner, make_user, session_factory):
    make_user("linh", "reviewer:VNM")
    assert runner.invoke(args=["users", "grant", "linh", "approver:VNM"]).exit_code == 0
    listing = runner.invoke(args=["users", "list"])
    assert listing.exit_code == 0
    assert any(line.split() == ["linh", "reviewer:VNM,", "approver:VNM"]
               for line in listing.output.splitlines())

    result = runner.invoke(args=["users", "revoke", "linh", "reviewer:VNM"])
    assert result.exit_code == 0, result.output
    with session_factory() as session:
        assert users.get_user(session, "linh").grant_strings() == ["approver:VNM"]
    assert [(e.actor, e.action, e.data["grant"]) for e in system_events(session_factory)
            if e.action in ("grant", "revoke")] == [("cli", "grant", "approver:VNM"),
                                                   ("cli", "revoke", "reviewer:VNM")]


@pytest.mark.parametrize("args, message", [
    (["users", "add", "ana", "--grant", "drafter"], "drafter needs a country"),
    (["users", "add", "ana", "--grant", "drafter:XYZ"], "not an upper-case ISO 3166-1"),
    (["users", "add", "ana", "--grant", "drafter:tha"], "not an upper-case ISO 3166-1"),
    (["users", "add", "ana", "--grant", "committee:THA"], "committee carries no country"),
    (["users", "add", "ana", "--grant", "pilot:THA"], "unknown role"),
    (["users", "add", "Ana Maria", "--grant", "viewer:THA"], "username"),
    (["users", "add", "ana", "--grant", "viewer:THA", "--expires", "soon"], "use a count"),
    (["users", "grant", "nobody", "viewer:THA"], "no user 'nobody'"),
    (["users", "token", "nobody"], "no user 'nobody'"),
])
def test_refusals_exit_non_zero_with_a_clear_message_and_change_nothing(
        runner, session_factory, args, message):
    result = runner.invoke(args=args)
    assert result.exit_code == 1
    assert "Error: " in result.output and message in result.output
    assert isinstance(result.exception, SystemExit)  # a clean exit, not a crash
    assert "Traceback" not in result.output
    with session_factory() as session:
        assert session.scalars(select(User)).all() == []
    assert system_events(session_factory) == []


def test_revoking_a_grant_not_held_is_refused(runner, make_user):
    make_user("linh", "reviewer:VNM")
    result = runner.invoke(args=["users", "revoke", "linh", "approver:VNM"])
    assert result.exit_code == 1
    assert "does not hold 'approver:VNM'" in result.output


def test_token_with_expiry_then_revoke_all(runner, make_user, session_factory):
    first = make_user("niran", "submitter:THA").token
    result = runner.invoke(args=["users", "token", "niran", "--expires", "2h"])
    assert result.exit_code == 0, result.output
    second = result.stdout.strip()
    assert second != first
    assert owner_of(session_factory, second) == "niran"
    with pytest.raises(Unauthenticated):
        owner_of(session_factory, second, now=utcnow() + timedelta(hours=2, minutes=1))

    result = runner.invoke(args=["users", "token", "niran", "--revoke"])
    assert result.exit_code == 0, result.output
    assert "revoked 2 token(s) of niran" in result.output
    for token in (first, second):
        with pytest.raises(Unauthenticated):
            owner_of(session_factory, token)


def test_token_revoke_and_expires_exclude_each_other(runner, make_user):
    make_user("niran", "submitter:THA")
    result = runner.invoke(args=["users", "token", "niran", "--revoke", "--expires", "1d"])
    assert result.exit_code == 2
    assert "exclude each other" in result.output


# -- audit ---------------------------------------------------------------------------------
def test_audit_verify_passes_on_an_intact_log(runner, make_plan, session_factory):
    make_plan("acknowledged")
    make_plan("withdrawn", country="VNM")
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 0, result.output
    with session_factory() as session:
        total = session.scalar(select(func.count()).select_from(AuditEvent))
    # two plan chains and the system chain of the cast's users
    assert f"audit log intact: 3 chain(s), {total} event(s) verified" in result.output


def test_audit_verify_names_the_first_bad_event(runner, make_plan, engine):
    good, bad = make_plan("approved"), make_plan("submitted")
    tamper(engine, "UPDATE audit_events SET comment = 'nothing to see' "
                   "WHERE plan_id = :plan AND seq IN (4, 6)", plan=bad)

    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 1
    assert f"plan {bad}, seq 4: hash does not match" in result.output
    assert "seq 6" not in result.output
    assert runner.invoke(args=["audit", "verify", "--plan", str(good)]).exit_code == 0
    assert runner.invoke(args=["audit", "verify", "--plan", str(bad)]).exit_code == 1


def test_audit_verify_detects_an_edited_user_event(runner, make_user, engine):
    make_user("linh", "reviewer:VNM")
    tamper(engine, "UPDATE audit_events SET actor = 'admin' WHERE plan_id IS NULL AND seq = 1")
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 1
    assert "system chain" in result.output and "seq 1" in result.output


def test_audit_verify_of_an_unknown_plan_is_a_usage_error(runner):
    result = runner.invoke(args=["audit", "verify", "--plan", "4711"])
    assert result.exit_code == 2
    assert "no plan 4711" in result.output


def all_events(session_factory) -> list[dict]:
    """Every event, oldest first (by time, then by id), as GET /audit orders them."""
    with session_factory() as session:
        return [e.as_dict() for e in session.scalars(
            select(AuditEvent).order_by(AuditEvent.at, AuditEvent.id))]


def test_audit_export_jsonl_has_every_event_and_field_oldest_first(
        runner, make_plan, session_factory):
    make_plan("acknowledged")
    make_plan("stakeholder_review", country="VNM")
    result = runner.invoke(args=["audit", "export"])
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert lines == all_events(session_factory)
    assert all(tuple(line) == EXPORT_FIELDS for line in lines)
    # What is exported is exactly what is hashed: an auditor can re-check it from the file.
    assert all(event_hash(line) == line["hash"] for line in lines)


def test_audit_export_csv_has_every_event(runner, make_plan, session_factory):
    make_plan("submitted")
    result = runner.invoke(args=["audit", "export", "--format", "csv"])
    assert result.exit_code == 0, result.output
    reader = csv.DictReader(io.StringIO(result.stdout))
    assert tuple(reader.fieldnames) == EXPORT_FIELDS
    rows = list(reader)
    expected = all_events(session_factory)
    assert len(rows) == len(expected)
    for row, event in zip(rows, expected, strict=True):
        assert row["hash"] == event["hash"]
        assert row["seq"] == str(event["seq"])
        assert row["plan_id"] == ("" if event["plan_id"] is None else str(event["plan_id"]))
        assert (json.loads(row["data"]) if row["data"] else None) == event["data"]
