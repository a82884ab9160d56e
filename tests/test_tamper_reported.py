"""Every kind of tampering shows in both verifiers (CLI and HTTP), naming the first bad event;
what the chains cannot see on their own, a published head does."""

import pytest
from sqlalchemy import delete, update

from models import AuditEvent, Plan, event_hash
from tests.workflow.test_audit_chain import (
    FIELD_EDITS,
    TAMPERING,
    chain,
    event_of,
    skip_unless_stored,
)

EVENTS = AuditEvent.__table__


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def plan_in_approval(make_plan, engine):
    """A plan in national approval (events 1 to 5: create ... endorse) and its events."""
    def make():
        plan_id = make_plan("national_approval")
        return plan_id, chain(engine, plan_id)
    return make


def reported(runner, client, people, plan_id):
    """(exit code and message of the CLI over the whole log, then over the plan alone, and
    the HTTP verify body) for the plan's chain."""
    whole = runner.invoke(args=["audit", "verify"])
    alone = runner.invoke(args=["audit", "verify", "--plan", str(plan_id)])
    http = client.get(f"/api/v1/plans/{plan_id}/history/verify",
                      headers=people["auditor"].headers)
    assert http.status_code == 200
    return [(result.exit_code, result.output.strip()) for result in (whole, alone)], \
        http.get_json()


def assert_caught(outcome, plan_id, seq):
    cli, body = outcome
    for code, message in cli:
        assert code == 1, message
        assert message.startswith(f"audit log BROKEN: plan {plan_id}, seq {seq}:"), message
    assert cli[0] == cli[1]  # the same first bad event, and the same problem with it
    assert (body["valid"], body["first_invalid_seq"]) == (False, seq)


def test_an_intact_log_verifies_in_both(runner, client, people, plan_in_approval):
    plan_id, events = plan_in_approval()
    cli, body = reported(runner, client, people, plan_id)
    for code, message in cli:
        assert code == 0 and message.startswith("audit log intact"), message
    assert body == {"valid": True, "events": 5, "head": events[-1]["hash"],
                    "first_invalid_seq": None}


@pytest.mark.parametrize("field, value", FIELD_EDITS, ids=[f for f, _ in FIELD_EDITS])
def test_editing_any_field_of_any_event_is_reported(runner, client, people, plan_in_approval,
                                                    tamper, field, value):
    plan_id, events = plan_in_approval()
    for seq in (1, 3, 5):
        if events[seq - 1][field] == value:
            continue  # e.g. the first event's prev_hash is zeros already: no edit to catch
        tamper(update(EVENTS).where(event_of(events, seq)).values({field: value}))
        assert_caught(reported(runner, client, people, plan_id), plan_id, seq)
        tamper(update(EVENTS).where(event_of(events, seq)).values(
            {field: events[seq - 1][field]}))


@pytest.mark.parametrize("attack", TAMPERING)
def test_each_kind_of_tampering_is_reported(runner, client, people, plan_in_approval, tamper,
                                            engine, attack):
    skip_unless_stored(engine, attack)
    plan_id, events = plan_in_approval()
    statements, first_invalid = TAMPERING[attack]
    tamper(*statements(plan_id, events))
    assert_caught(reported(runner, client, people, plan_id), plan_id, first_invalid)


# -- what only a published head catches ---------------------------------------------------
def rewrite_consistently(plan_id, events, seq, **changes):
    """The whole tail from `seq` rewritten with fresh hashes, and the plan's head moved to
    match: every link verifies, as it would after an attacker with the database did it."""
    statements, prev = [], events[seq - 2]["hash"] if seq > 1 else "0" * 64
    for event in events[seq - 1:]:
        fields = {**event, **(changes if event["seq"] == seq else {}), "prev_hash": prev}
        fields["hash"] = prev = event_hash(fields)
        statements.append(update(EVENTS).where(EVENTS.c.id == event["id"]).values(
            {k: fields[k] for k in (*changes, "prev_hash", "hash")}))
    statements.append(update(Plan.__table__).where(Plan.__table__.c.id == plan_id)
                      .values(audit_head=prev))
    return statements


def published(runner):
    result = runner.invoke(args=["audit", "head"])
    assert result.exit_code == 0, result.output
    return result.output.strip()


def against(runner, head):
    return runner.invoke(args=["audit", "verify", "--against", head])


def test_a_published_head_still_verifies_as_the_log_grows(runner, make_plan, plan_in_approval):
    plan_id, _ = plan_in_approval()
    head = published(runner)
    make_plan("acknowledged")  # new chains and new events after publication
    result = against(runner, head)
    assert result.exit_code == 0, result.output
    assert f"matches {head}" in result.output
    assert head.startswith("napflow-head-v1:")


@pytest.mark.parametrize("attack", ["rewrite a chain consistently",
                                    "delete a plan with its whole history"])
def test_what_the_chain_cannot_see_the_published_head_does(
        runner, client, people, plan_in_approval, tamper, attack):
    plan_id, events = plan_in_approval()
    head = published(runner)
    if attack == "rewrite a chain consistently":
        tamper(*rewrite_consistently(plan_id, events, 3, actor="mallory"))
        cli, body = reported(runner, client, people, plan_id)
        assert cli[0][0] == cli[1][0] == 0 and body["valid"]  # the chain alone cannot tell
    else:
        tamper(*[delete(table).where(table.c.plan_id == plan_id) for table in
                 (EVENTS, *(t for t in Plan.metadata.sorted_tables[::-1]
                            if "plan_id" in t.c and t is not EVENTS))],
               delete(Plan.__table__).where(Plan.__table__.c.id == plan_id))
        assert runner.invoke(args=["audit", "verify"]).exit_code == 0
    result = against(runner, head)
    assert result.exit_code == 1
    assert "no longer match the published head" in result.output


def test_a_malformed_digest_is_a_usage_error(runner):
    result = against(runner, "napflow-head-v1:12:not-hex")
    assert result.exit_code == 2
    assert "not a published head" in result.output
