"""`napflow demo --scale N`: a generated log that verifies, covers every state and is served."""

import json
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, or_, select, text

from demo import scale as demo_scale
from models import (
    AuditEvent,
    Plan,
    ReviewerAssignment,
    StatusCount,
    User,
    as_utc,
    event_hash,
    isoformat,
)
from models.audit import HASHED_FIELDS
from tests.counts_check import drift
from workflow.audit import verify_chain
from workflow.audit_scan import row_hash
from workflow.engine import default_registry

EVENTS = 6_000
TODAY = datetime.now(UTC).date()


@pytest.fixture
def built(engine):
    return demo_scale.build(engine, EVENTS, seed=7, today=TODAY)


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


def bearer(built, username):
    return {"Authorization": f"Bearer {built.tokens[username][1]}"}


def busiest_country(db) -> str:
    return db.execute(select(Plan.country).group_by(Plan.country)
                      .order_by(func.count().desc(), Plan.country).limit(1)).scalar_one()


def test_the_log_has_n_events_plans_in_every_state_and_verifies(built, db, runner):
    assert db.scalar(select(func.count()).select_from(AuditEvent)) == EVENTS == built.events
    states = dict(db.execute(select(Plan.state, func.count()).group_by(Plan.state)).all())
    assert set(states) == set(default_registry().get("nap-1540").states)
    assert states == built.by_state and sum(states.values()) == built.plans
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 0, result.output
    assert f"{built.plans + 1} chain(s), {EVENTS} event(s) verified" in result.output


def test_every_chain_holds_by_the_reference_recipe_too(built, db):
    """The per-plan verifier (ORM rows, event_hash) agrees: the fast path wrote nothing else."""
    reports = [verify_chain(db, plan_id) for plan_id in db.scalars(select(Plan.id))]
    assert all(r.valid for r in reports), [r for r in reports if not r.valid][:3]
    assert verify_chain(db, None).valid
    assert sum(r.events for r in reports) + verify_chain(db, None).events == EVENTS


def test_each_plan_row_says_when_it_entered_its_state_as_its_log_does(built, db):
    changes = db.execute(select(AuditEvent.plan_id, AuditEvent.at).where(
        AuditEvent.plan_id.is_not(None),
        or_(AuditEvent.from_state.is_(None), AuditEvent.from_state != AuditEvent.to_state))
        .order_by(AuditEvent.plan_id, AuditEvent.seq)).all()
    entered = dict(changes)  # each plan's last change of state
    rows = dict(db.execute(select(Plan.id, Plan.state_since)).all())
    assert {plan_id: isoformat(as_utc(at)) for plan_id, at in rows.items()} == entered


def test_the_kept_counts_and_open_rounds_are_what_the_log_says(built, db):
    """Plan counts (kept by the triggers as the rows went in) and each assignment's open
    round (set by the generator) against the log read from scratch: a plan's country from
    its creation, its state from its last event, the Committee's view from a submission,
    the reviewers from assignments and removals, and the decisions given on the content
    version of the revision under way (since the last `revise`)."""
    review_states = {s.name for s in default_registry().get("nap-1540").states.values()
                     if s.reviews_open}
    lives: dict[int, dict] = {}
    for plan_id, actor, action, to_state, version, data in db.execute(
            select(AuditEvent.plan_id, AuditEvent.actor, AuditEvent.action,
                   AuditEvent.to_state, AuditEvent.content_version, AuditEvent.data)
            .where(AuditEvent.plan_id.is_not(None)).order_by(AuditEvent.plan_id,
                                                            AuditEvent.seq)):
        life = lives.setdefault(plan_id, {"reviewers": set(), "decided": set(),
                                          "submitted": False})
        life["state"], life["version"] = to_state, version
        if action == "create":
            life["country"] = data["country"]
        elif action == "submit_to_committee":
            life["submitted"] = True
        elif action == "revise":
            life["decided"] = set()
        elif action == "assign_reviewer":
            life["reviewers"].add(data["username"])
        elif action == "remove_reviewer":
            life["reviewers"].discard(data["username"])
        elif action == "review":
            life["decided"].add((actor, version))
    # plans by state as /status counts them: for everyone, and again for the Committee
    counts: dict[tuple, int] = {}
    for life in lives.values():
        for audience in ["all"] + (["committee"] if life["submitted"] else []):
            key = (audience, life["country"], life["state"])
            counts[key] = counts.get(key, 0) + 1
    assert {(a, c, s): n for a, c, s, n in db.execute(select(
        StatusCount.audience, StatusCount.country, StatusCount.name, StatusCount.count)
        .where(StatusCount.kind == "state")) if n} == counts
    expected = {(plan_id, username): life["state"] in review_states
                and (username, life["version"]) not in life["decided"]
                for plan_id, life in lives.items() for username in life["reviewers"]}
    kept = {(plan_id, username): bool(flag) for plan_id, username, flag in db.execute(
        select(ReviewerAssignment.plan_id, User.username, ReviewerAssignment.round_open)
        .join(User, User.id == ReviewerAssignment.user_id))}
    assert kept == expected and any(expected.values())
    assert drift(db.connection()) == {}  # and the open-review counts follow the flags


def test_ids_follow_time_and_reviews_fall_due_on_both_sides_of_today(built, db):
    moments = db.scalars(select(AuditEvent.at).order_by(AuditEvent.id)).all()
    assert moments == sorted(moments)
    assert moments[0][:4] < str(TODAY.year - 4) and moments[-1] < TODAY.isoformat()
    in_review = db.scalars(select(ReviewerAssignment.due).join(
        Plan, Plan.id == ReviewerAssignment.plan_id).where(
        Plan.state == "stakeholder_review")).all()
    assert None not in in_review
    assert any(due < TODAY for due in in_review) and any(due >= TODAY for due in in_review)


def test_the_api_serves_the_generated_data_to_generated_users(built, db, client):
    country = busiest_country(db).lower()
    drafter = bearer(built, f"{country}-drafter")
    plans = client.get("/api/v1/plans?limit=500", headers=drafter).get_json()["items"]
    expected = db.scalar(select(func.count()).where(Plan.country == country.upper()))
    assert len(plans) == expected and {p["country"] for p in plans} == {country.upper()}

    plan_id = plans[-1]["id"]
    history = client.get(f"/api/v1/plans/{plan_id}/history?limit=500", headers=drafter)
    assert history.status_code == 200
    events = history.get_json()["items"]
    assert [e["seq"] for e in events] == list(range(1, len(events) + 1))
    assert events[-1]["hash"] == db.get(Plan, plan_id).audit_head
    verified = client.get(f"/api/v1/plans/{plan_id}/history/verify", headers=drafter)
    assert verified.get_json()["valid"] is True

    status = client.get("/api/v1/status", headers=bearer(built, "auditor")).get_json()
    assert sum(row["count"] for row in status["plans"]) == built.plans
    overdue = sum(row["count"] for row in status["overdue"])
    assert overdue  # some reviews are past due...
    assert overdue < db.scalar(  # ...not all of them
        select(func.count()).select_from(ReviewerAssignment).join(
            Plan, Plan.id == ReviewerAssignment.plan_id)
        .where(Plan.state == "stakeholder_review"))
    tasks = client.get("/api/v1/me/tasks", headers=bearer(built, "committee"))
    assert tasks.status_code == 200
    assert all(t["kind"] == "transition" for t in tasks.get_json()["items"])


def test_a_tampered_event_is_caught(built, db, runner, tamper):
    plan_id, seq = db.execute(select(AuditEvent.plan_id, AuditEvent.seq).where(
        AuditEvent.plan_id.is_not(None), AuditEvent.seq == 3).limit(1)).one()
    tamper(text("UPDATE audit_events SET actor = 'mallory' WHERE plan_id = :p AND seq = 3")
           .bindparams(p=plan_id))
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 1
    assert f"plan {plan_id}, seq {seq}: hash does not match" in result.output


def test_the_same_seed_builds_the_same_log():
    def log(seed):
        generator = demo_scale.Generator(4_000, seed, date(2026, 1, 15))
        generator.build()
        return [e["hash"] for e in generator.rows["audit_events"]]
    first = log(3)
    assert first == log(3) and first != log(4)


def test_a_database_with_data_or_a_too_small_log_is_refused(engine, make_user):
    with pytest.raises(ValueError, match="at least"):
        demo_scale.build(engine, 100)
    make_user("somebody", "viewer:THA")
    with pytest.raises(ValueError, match="empty database"):
        demo_scale.build(engine, EVENTS)


def test_the_cli_builds_it_and_writes_every_token(app, tmp_path):
    tokens = tmp_path / "tokens.env"
    result = app.test_cli_runner().invoke(
        args=["demo", "--scale", "4000", "--seed", "2", "--tokens-file", str(tokens)])
    assert result.exit_code == 0, result.output
    assert "4,000 events" in result.output and "tha-drafter" in result.output
    assert tokens.read_text().count("export NAPFLOW_TOKEN_") == 193 * 9 + 3


@pytest.mark.parametrize("fields", [
    (1, 1, "2026-01-01T00:00:00.000000Z", "tha-drafter", "create", None, "draft", 1, None,
     {"country": "THA", "title": "Plan \"2026\" — 核", "workflow": "nap-1540"}, "0" * 64),
    (None, 9, "2026-01-01T00:00:00.000001Z", "cli", "user_add", None, None, None,
     "tab\there, newline\n, quote \" and \\ back\u0001slash", None, "f" * 64),
    (7, 2, "2026-01-01T00:00:00.000002Z", "ö", "review", "x", "x", 2, "", {"b": [1, {}], "a": None},
     "a" * 64),
])
def test_the_fast_hash_is_the_reference_hash(fields):
    reference = event_hash(dict(zip(HASHED_FIELDS, fields, strict=True)))
    data = fields[9]
    assert row_hash(*fields[:9], json.dumps(data, sort_keys=True, separators=(",", ":"),
                                            ensure_ascii=False), fields[10]) == reference
