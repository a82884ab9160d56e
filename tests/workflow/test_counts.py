"""Kept counts (models/counts.py) and open review rounds (workflow/review_rounds.py) stay
exact: after every step of random walks of operations, refused ones included, after plan
rows written directly, and with transitions racing in one country."""

import random
import threading
import time
from datetime import timedelta

import pytest
from sqlalchemy import delete, insert, select, text, update

from models import Plan, ReviewerAssignment, User, WaitingRole, utcnow
from runtime import schema
from runtime.schema import copy_waiting_roles
from tests.conftest import SAMPLE_CONTENT
from tests.counts_check import drift
from workflow import service
from workflow.engine import default_registry
from workflow.errors import NapflowError

WORKFLOW = default_registry().get("nap-1540")
# Who of the cast (tests/conftest.py `people`, "vnm_" before the name for Viet Nam) may
# fire for each role a transition names.
PEOPLE_FOR = {"drafter": ["drafter"], "approver": ["approver"], "submitter": ["submitter"],
              "committee": ["committee"], "assigned_reviewer": ["reviewer", "reviewer2"]}
REVIEWERS = ("reviewer", "reviewer2")
FIRING_DATA = {"submit_to_committee": {"data": {"reference": "NV/9", "publication_consent": True}}}


class Walk:
    """One random walk: each step is one operation by a plausible person, which may be
    refused (a refused operation must leave the counts exact too)."""

    def __init__(self, seed: int, engine, call, people):
        self.rng, self.engine, self.call, self.people = random.Random(seed), engine, call, people
        self.plans: list[tuple[int, str]] = []  # (id, "" or "vnm_")
        self.raw: list[int] = []  # plan rows inserted directly, without the service

    def person(self, prefix: str, key: str) -> str:
        return key if key == "committee" else prefix + key

    def step(self) -> str:
        rng = self.rng
        kind = rng.choices(["create", "fire", "assign", "remove", "review", "edit", "raw"],
                           [1, 6, 2, 1, 3, 1, 1])[0]
        if kind == "create" or not self.plans:
            prefix = rng.choice(["", "vnm_"])
            plan = self.call(prefix + "drafter", service.create_plan,
                             country="VNM" if prefix else "THA", title="plan",
                             content=SAMPLE_CONTENT)
            self.plans.append((plan.id, prefix))
            return f"create {plan.id}"
        plan_id, prefix = rng.choice(self.plans)
        reviewer = prefix + rng.choice(REVIEWERS)
        try:
            if kind == "fire":
                # mostly a trigger of the plan's state that keeps it alive (the walk moves
                # on), else any: withdrawn, or refused
                with self.engine.connect() as conn:
                    state = conn.scalar(select(Plan.state).where(Plan.id == plan_id))
                here = [t.trigger for t in WORKFLOW.transitions_from(state)
                        if t.trigger != "withdraw"]
                trigger = rng.choice(here if here and rng.random() < 0.85 else WORKFLOW.triggers)
                roles = [r for t in WORKFLOW.transitions_for(trigger) for r in t.roles]
                who = self.person(prefix, rng.choice(PEOPLE_FOR[rng.choice(roles)]))
                self.call(who, service.fire, plan_id, trigger, comment="because",
                          **FIRING_DATA.get(trigger, {}))
            elif kind == "assign":
                due = rng.choice([None, utcnow().date() + timedelta(days=rng.randint(0, 9))])
                self.call(prefix + "drafter", service.assign_reviewer, plan_id,
                          username=self.people[reviewer].username, due=due)
            elif kind == "remove":
                self.call(prefix + "drafter", service.remove_reviewer, plan_id,
                          self.people[reviewer].username)
            elif kind == "review":
                self.call(reviewer, service.record_review, plan_id,
                          decision=rng.choice(["approve", "request_changes"]), comment="see")
            elif kind == "edit":
                self.call(prefix + "drafter", service.edit_plan, plan_id,
                          content={**SAMPLE_CONTENT, "summary": f"take {rng.random()}"})
            else:
                return self.raw_row()
        except NapflowError as err:
            return f"{kind} on {plan_id}: refused ({err.code})"
        return f"{kind} on {plan_id}"

    def raw_row(self) -> str:
        """A plan row inserted or deleted with plain SQL, as a test or the demo generator
        writes them: the triggers count it all the same."""
        with self.engine.begin() as conn:
            if self.raw and self.rng.random() < 0.5:
                plan_id = self.raw.pop()
                conn.execute(delete(Plan).where(Plan.id == plan_id))
                return f"raw delete {plan_id}"
            plan_id = conn.execute(insert(Plan).values(
                country=self.rng.choice(["THA", "ARG"]), title="raw", workflow="nap-1540",
                state=self.rng.choice(list(WORKFLOW.states)), row_version=1, created_by="sql",
                committee_from_seq=self.rng.choice([None, 3])).returning(Plan.id)).scalar_one()
        self.raw.append(plan_id)
        return f"raw insert {plan_id}"


@pytest.mark.parametrize("seed", [1, 2])
def test_a_random_walk_keeps_every_count_and_flag_exact(engine, call, people, seed):
    walk, done = Walk(seed, engine, call, people), []
    for _ in range(100):
        done.append(walk.step())
        with engine.connect() as conn:
            assert drift(conn) == {}, done
    # the walk went through what it is meant to check: rounds opened and decided, plans
    # moved, rows written directly
    kinds = {s.split(" on ")[0].rstrip("0123456789 ") for s in done if "refused" not in s}
    assert {"fire", "assign", "review", "raw insert"} <= kinds, done


def flags(session_factory, plan_id: int) -> dict[str, bool]:
    with session_factory() as session:
        return dict(session.execute(
            select(User.username, ReviewerAssignment.round_open)
            .join(User, User.id == ReviewerAssignment.user_id)
            .where(ReviewerAssignment.plan_id == plan_id)).all())


def test_rounds_open_and_close_as_the_lifecycle_goes(make_plan, call, people, session_factory,
                                                    engine):
    r1, r2 = people["reviewer"].username, people["reviewer2"].username
    plan = make_plan("stakeholder_review")  # r1 assigned, then sent for review
    steps = [
        ("assign r2 in review", "drafter", service.assign_reviewer, (plan,),
         {"username": r2}, {r1: True, r2: True}),
        ("r1 approves", "reviewer", service.record_review, (plan,),
         {"decision": "approve"}, {r1: False, r2: True}),
        ("back to draft", "drafter", service.fire, (plan, "request_changes"),
         {"comment": "more"}, {r1: False, r2: False}),
        # same content version: r1's approval still counts, r2 still owes one
        ("sent again unchanged", "drafter", service.fire, (plan, "submit_for_review"), {},
         {r1: False, r2: True}),
        ("back to draft again", "drafter", service.fire, (plan, "request_changes"),
         {"comment": "edit"}, {r1: False, r2: False}),
        ("content edited", "drafter", service.edit_plan, (plan,),
         {"content": {**SAMPLE_CONTENT, "summary": "v2"}}, {r1: False, r2: False}),
        ("sent on the new version", "drafter", service.fire, (plan, "submit_for_review"), {},
         {r1: True, r2: True}),
        ("r2 asks for changes", "reviewer2", service.record_review, (plan,),
         {"decision": "request_changes", "comment": "no"}, {r1: True, r2: False}),
        ("withdrawn", "drafter", service.fire, (plan, "withdraw"), {"comment": "stop"},
         {r1: False, r2: False}),
    ]
    for what, who, operation, args, kwargs, expected in steps:
        call(who, operation, *args, **kwargs)
        assert flags(session_factory, plan) == expected, what
        with engine.connect() as conn:
            assert drift(conn) == {}, what


def test_a_revision_reopens_every_round(make_plan, call, people, session_factory, engine):
    plan = make_plan("acknowledged")  # the reviewer approved revision 1
    call("drafter", service.fire, plan, "revise")
    call("drafter", service.fire, plan, "submit_for_review")
    assert flags(session_factory, plan) == {people["reviewer"].username: True}
    with engine.connect() as conn:
        assert drift(conn) == {}


def test_a_reviewer_removed_in_draft_and_assigned_again_keeps_their_decision(
        make_plan, call, people, session_factory, engine):
    reviewer = people["reviewer"].username
    plan = make_plan("stakeholder_review")
    call("drafter", service.assign_reviewer, plan, username=people["reviewer2"].username)
    call("reviewer", service.record_review, plan, decision="approve")
    call("drafter", service.fire, plan, "request_changes", comment="later")
    call("drafter", service.remove_reviewer, plan, reviewer)
    call("drafter", service.fire, plan, "submit_for_review")
    call("drafter", service.assign_reviewer, plan, username=reviewer)
    assert flags(session_factory, plan)[reviewer] is False  # approved this very version
    with engine.connect() as conn:
        assert drift(conn) == {}


def test_transitions_racing_in_one_country_keep_counts_exact(make_plan, call, engine):
    """Threads (SQLite: one file; PostgreSQL: a connection each) move plans of one country
    both ways between draft and stakeholder_review at once, twice over: every one goes
    through (no deadlock, no lost count) and the counts are exact."""
    plans = [make_plan("stakeholder_review") for _ in range(8)]
    for plan in plans[:4]:
        call("drafter", service.fire, plan, "request_changes", comment="first")
    moves = [(plan, "submit_for_review", {}) for plan in plans[:4]] + [
        (plan, "request_changes", {"comment": "race"}) for plan in plans[4:]]
    for _ in range(2):
        assert race(call, moves) == []
        with engine.connect() as conn:
            assert drift(conn) == {}
        moves = [(plan, "request_changes", {"comment": "back"}) if trigger == "submit_for_review"
                 else (plan, "submit_for_review", {}) for plan, trigger, _ in moves]


def race(call, moves) -> list[Exception]:
    """Fire each (plan, trigger, arguments) as the drafter, in a thread each, released at
    once; what any of them raised."""
    barrier, failures = threading.Barrier(len(moves)), []

    def move(plan, trigger, kwargs):
        try:
            barrier.wait(timeout=30)
            call("drafter", service.fire, plan, trigger, **kwargs)
        except Exception as err:  # returned: a thread must not fail silently
            failures.append(err)

    threads = [threading.Thread(target=move, args=m) for m in moves]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return failures


def test_opposite_moves_lock_the_count_rows_in_one_order(engine):
    """PostgreSQL, the deadlock made to happen if it can: one transaction holds the lower of
    two count rows (draft's) when another, moving a plan from review to draft, starts; that
    one must wait on that same row first, holding nothing, so the first can then move a plan
    the other way (needing review's row too) and commit. Had the second locked review's row
    first (rows in the order of the change, decrement first), each would wait on the other."""
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite has one writer at a time: its triggers take no row locks")
    with engine.begin() as conn:
        ids = conn.execute(insert(Plan).returning(Plan.id), [
            {"country": "THA", "title": "raw", "workflow": "nap-1540", "state": state,
             "row_version": 1, "created_by": "sql"}
            for state in ("draft", "stakeholder_review")]).scalars().all()
    holder, mover, failures = engine.connect(), engine.connect(), []
    mover_pid = mover.execute(text("SELECT pg_backend_pid()")).scalar_one()
    mover.commit()

    def to_draft():
        try:
            with mover.begin():
                mover.execute(update(Plan).where(Plan.id == ids[1]).values(state="draft"))
        except Exception as err:  # returned: a thread must not fail silently
            failures.append(err)

    thread = threading.Thread(target=to_draft)
    try:  # whatever happens, no transaction is left holding rows (the schema's teardown)
        # draft's row for everyone: the lower of the two the move changes (the role rows
        # stay: both states wait on the drafter)
        holder.execute(text("SELECT count FROM status_counts WHERE audience = 'all' AND "
                            "kind = 'state' AND country = 'THA' AND name = 'draft' FOR UPDATE"))
        thread.start()
        with engine.connect() as watcher:  # until the mover waits on a lock
            for _ in range(500):
                if watcher.execute(text("SELECT wait_event_type FROM pg_stat_activity WHERE "
                                        "pid = :pid"), {"pid": mover_pid}).scalar() == "Lock":
                    break
                time.sleep(0.02)
            else:
                pytest.fail(f"the mover never waited on the held count row: {failures}")
        holder.execute(update(Plan).where(Plan.id == ids[0]).values(state="stakeholder_review"))
        holder.commit()
    finally:
        holder.close()
        thread.join(timeout=60)
        mover.close()
    assert failures == []
    with engine.connect() as conn:
        assert drift(conn) == {}


def test_new_waiting_roles_count_every_plan_again(make_plan, engine):
    """The roles are the definitions': when the database's copy differs (the definitions
    changed), an upgrade, even one with no migration to run, writes them and counts every
    plan again, and only then."""
    make_plan("national_approval")
    make_plan("submitted", country="VNM")
    with engine.begin() as conn:
        conn.execute(delete(WaitingRole).where(WaitingRole.role == "approver"))
        conn.execute(text("UPDATE status_counts SET count = 0 WHERE kind = 'state'"))
        assert drift(conn) != {}
    assert schema.upgrade(engine).recounted
    with engine.connect() as conn:
        assert drift(conn) == {}
    assert not schema.upgrade(engine).recounted
    with engine.begin() as conn:
        assert not copy_waiting_roles(conn)
