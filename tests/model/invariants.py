"""Invariants read straight from the stored rows: the chain, the lifecycle and four eyes."""

import hashlib
import json
from typing import Any

from workflow.engine import Workflow

GENESIS = "0" * 64
HASHED = ("plan_id", "seq", "at", "actor", "action", "from_state", "to_state",
          "content_version", "comment", "data", "prev_hash")
# Events that record a change inside a state, never a move between states.
IN_STATE_ACTIONS = {"edit", "assign_reviewer", "remove_reviewer", "review"}

Row = dict[str, Any]


def contract_hash(event: Row) -> str:
    """The hash as the contract tells an auditor to compute it, written out here again."""
    body = json.dumps({name: event[name] for name in HASHED}, sort_keys=True,
                      separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def check_chain(wf: Workflow, plan: Row, events: list[Row]) -> None:
    """seq without gaps, each prev_hash the previous hash, each move one the workflow allows
    from the previous event's to_state, and the plan's state and head those of the last event."""
    assert events, f"plan {plan['id']} has no events"
    first = events[0]
    assert (first["action"], first["from_state"], first["to_state"]) == (
        "create", None, wf.initial), first
    prev_hash, prev_to = GENESIS, None
    for seq, event in enumerate(events, 1):
        where = f"plan {plan['id']} event {seq}"
        assert event["seq"] == seq, f"{where}: seq {event['seq']}"
        assert event["prev_hash"] == prev_hash, f"{where}: prev_hash is not the previous hash"
        assert event["hash"] == contract_hash(event), f"{where}: hash does not match its fields"
        if seq > 1:
            assert event["from_state"] == prev_to, f"{where}: from_state is not the last to_state"
            if event["action"] in IN_STATE_ACTIONS:
                assert event["to_state"] == event["from_state"], f"{where}: {event}"
            else:
                taken = wf.transition(event["action"], event["from_state"])
                assert taken is not None, f"{where}: {event['action']} from {prev_to}"
                assert event["to_state"] == taken.dest, f"{where}: {event}"
        prev_hash, prev_to = event["hash"], event["to_state"]
    assert plan["state"] == prev_to, f"plan {plan['id']} is {plan['state']}, last event {prev_to}"
    assert (plan["audit_seq"], plan["audit_head"]) == (len(events), prev_hash)


def replay(plan_id: int, events: list[Row]) -> None:
    """Re-live the log: a review is given on the version of its time, `endorse` happens only
    when every required reviewer approved that version of that revision and nobody asks for
    changes, and nobody approves a revision with a version of theirs in it (four eyes)."""
    revision, version, first_of_revision = 1, 1, 1
    authors: dict[int, str] = {}
    assigned: dict[str, bool] = {}
    decisions: dict[tuple[int, int], dict[str, str]] = {}
    for event in events:
        action, actor, data = event["action"], event["actor"], event["data"] or {}
        where = f"plan {plan_id} event {event['seq']} ({action} by {actor})"
        if action == "create":
            authors[1] = actor
        elif action == "edit" and "content_version" in data:
            assert data["content_version"] == version + 1, where
            version = data["content_version"]
            authors[version] = actor
        elif action == "assign_reviewer":
            assigned[data["username"]] = data["required"]
        elif action == "remove_reviewer":
            del assigned[data["username"]]
        elif action == "review":
            assert actor in assigned, f"{where}: not an assigned reviewer"
            decisions.setdefault((revision, version), {})[actor] = data["decision"]
        elif action == "revise":
            revision, first_of_revision = revision + 1, version
        elif action == "endorse":
            latest = decisions.get((revision, version), {})
            assert not [u for u in assigned if latest.get(u) == "request_changes"], where
            assert all(latest.get(u) == "approve" for u, req in assigned.items() if req), where
        elif action == "approve":
            wrote = {authors[n] for n in range(first_of_revision, version + 1)}
            assert actor not in wrote, f"{where}: four eyes broken, {actor} wrote a version"
        assert event["content_version"] == version, f"{where}: content_version"
