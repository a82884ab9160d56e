"""Whom plans wait on, the overview's overdue reviews by a given day, and the tasks' facts."""

from datetime import timedelta

import pytest
from sqlalchemy import or_, select

from models import AuditEvent, Plan, as_utc, isoformat, utcnow
from models.db import write_session
from tests.counts_check import recomputed_status
from workflow import overview, service, tasks, users
from workflow.engine import default_registry

WAITING_ON = [  # (state of nap-1540, the roles a plan there waits on)
    ("draft", ("drafter",)),
    ("stakeholder_review", ("drafter",)),
    ("national_approval", ("approver",)),
    ("approved", ("submitter",)),
    ("submitted", ("committee",)),
    ("acknowledged", ()),
    ("withdrawn", ()),
]


@pytest.mark.parametrize("state, roles", WAITING_ON)
def test_a_plan_waits_on_whoever_fires_its_forward_triggers(state, roles):
    assert default_registry().get("nap-1540").waiting_on(state) == roles


STATES = ["draft", "stakeholder_review", "national_approval", "approved", "submitted",
          "acknowledged", "withdrawn"]


def test_the_tasks_facts_are_those_the_guards_see_when_firing(make_plan, session_factory,
                                                                people, call):
    ids = [make_plan(state) for state in STATES] + [make_plan("draft", country="VNM")]
    call("drafter", service.edit_plan, ids[0], content={"measures": []})
    with session_factory() as session:
        plans = list(session.scalars(select(Plan).where(Plan.id.in_(ids))))
        for who in ("drafter", "approver", "reviewer"):
            user = users.get_user(session, people[who].username)
            batched = tasks._facts(session, plans, user)
            for plan in plans:
                assert batched[plan.id] == service.plan_facts(session, plan, user), (
                    who, plan.state)


@pytest.mark.parametrize("state", STATES)
def test_a_plan_row_says_when_it_entered_its_state_as_its_log_does(make_plan, session_factory,
                                                                   call, state):
    plan_id = make_plan(state)
    if state == "draft":  # an edit is no change of state
        call("drafter", service.edit_plan, plan_id, content={"measures": []})
    with session_factory() as session:
        events = session.execute(select(AuditEvent.action, AuditEvent.at).where(
            AuditEvent.plan_id == plan_id, or_(AuditEvent.from_state.is_(None),
                                               AuditEvent.from_state != AuditEvent.to_state))
            .order_by(AuditEvent.seq.desc())).all()
        assert events[-1].action == "create" and (state == "draft") == (len(events) == 1)
        plan = session.get(Plan, plan_id)
        assert isoformat(as_utc(plan.state_since)) == events[0].at
        assert session.scalar(select(AuditEvent.to_state).where(
            AuditEvent.plan_id == plan_id, AuditEvent.at == events[0].at)) == state


OVERDUE_ON = [  # (days from now, overdue reviews)
    (0, 0), (30, 0), (31, 1), (365, 1),
]


@pytest.mark.parametrize("later, count", OVERDUE_ON)
def test_overdue_reviews_by_the_day_given(make_plan, session_factory, people, later, count):
    plan_id = make_plan("stakeholder_review")
    make_plan("national_approval")  # its review was given: never overdue
    with session_factory() as session:
        for who in ("drafter", "global_auditor", "committee", "vnm_drafter"):
            user = users.get_user(session, people[who].username)
            today = utcnow().date() + timedelta(days=later)
            listed = overview.overdue_reviews(session, user, today).items
            expected = count if who in ("drafter", "global_auditor") else 0
            assert [o["plan_id"] for o in listed] == [plan_id] * expected, who
            assert overview.status(session, user, today)["overdue"] == (
                [{"country": "THA", "count": 1}] if expected else []), who
            owed = tasks.my_tasks(session, users.get_user(
                session, people["reviewer"].username), today).items
            assert [(t["plan"].id, t["overdue"]) for t in owed] == [(plan_id, bool(count))]


@pytest.fixture
def statements(engine):
    """statements(fn) -> how many SQL statements fn ran."""
    from sqlalchemy import event

    def count(fn) -> int:
        seen = []
        listener = lambda *args: seen.append(args[2])  # noqa: E731
        event.listen(engine, "before_cursor_execute", listener)
        try:
            fn()
        finally:
            event.remove(engine, "before_cursor_execute", listener)
        return len(seen)
    return count


CALLERS = ["drafter", "reviewer", "approver", "submitter", "committee", "global_auditor"]


def test_tasks_and_status_take_as_many_queries_for_many_plans_as_for_few(
        make_plan, session_factory, people, statements):
    def queries_for(who):
        with session_factory() as session:
            user = users.get_user(session, people[who].username)
            today = utcnow().date()
            return (statements(lambda: tasks.my_tasks(session, user, today)),
                    statements(lambda: overview.status(session, user, today)),
                    statements(lambda: overview.overdue_reviews(session, user, today,
                                                                limit=2)))

    for state in STATES:
        make_plan(state)
    few = {who: queries_for(who) for who in CALLERS}
    for state in STATES * 3:
        make_plan(state)
        make_plan(state, country="VNM")
    assert {who: queries_for(who) for who in CALLERS} == few


PAGED = [  # (who, a state in which each plan is a task for them)
    ("approver", "national_approval"), ("submitter", "approved"),
    ("committee", "submitted"), ("reviewer", "stakeholder_review"),
]


@pytest.mark.parametrize("who, state", PAGED)
def test_a_page_of_tasks_costs_as_many_queries_for_many_tasks_as_for_few(
        make_plan, session_factory, people, statements, who, state):
    def first_page():
        with session_factory() as session:
            user = users.get_user(session, people[who].username)
            found = []
            count = statements(lambda: found.append(
                tasks.my_tasks(session, user, utcnow().date(), limit=2)))
            (page,) = found
            return count, [t["plan"].state for t in page.items], page.next_after is not None

    for _ in range(3):
        make_plan(state)
    few = first_page()
    assert few[1:] == ([state, state], True)
    for _ in range(12):
        make_plan(state)
        make_plan(state, country="VNM")
    assert first_page() == few


def test_a_review_and_a_transition_on_one_plan_at_one_moment_page_review_first(
        make_plan, make_user, call, session_factory):
    # An optional reviewer who also drafts: it owes its review and may endorse, both since
    # the plan entered review (it was assigned before).
    make_user("both", "drafter:THA", "reviewer:THA")
    plan_id = make_plan("draft")
    call("drafter", service.assign_reviewer, plan_id, username="both", required=False)
    for who, operation, args in [("drafter", service.assign_reviewer, {"username": "reviewer"}),
                                 ("drafter", service.fire, {"trigger": "submit_for_review"}),
                                 ("reviewer", service.record_review, {"decision": "approve"})]:
        call(who, operation, plan_id, **args)
    with session_factory() as session:
        user, today = users.get_user(session, "both"), utcnow().date()
        whole = tasks.my_tasks(session, user, today).items
        assert [(t["kind"], t["plan"].id) for t in whole] == [("review", plan_id),
                                                              ("transition", plan_id)]
        assert whole[0]["since"] == whole[1]["since"]
        first = tasks.my_tasks(session, user, today, limit=1)
        second = tasks.my_tasks(session, user, today, after=first.next_after, limit=1)
        assert [t["kind"] for t in first.items + second.items] == ["review", "transition"]
        assert second.next_after is None


def test_status_is_what_the_visible_plans_give_in_pythons_order(make_plan, session_factory,
                                                               people):
    """status() for every kind of caller, and for a Committee member who also sees one
    country nationally (its plans counted once), is its recomputation from the plans the
    caller sees (visible_plans), rows in Python's order, as the database wrote them."""
    for state in STATES:
        make_plan(state)
        make_plan(state, country="VNM")
    make_plan("submitted", country="VNM")
    with write_session(session_factory) as session:
        users.add_user(session, "test", "committee-and-tha", ["committee", "viewer:THA"])
    names = [people[who].username for who in ["drafter", "vnm_viewer", "committee",
                                               "global_auditor", "reviewer"]]
    with session_factory() as session:
        for name in [*names, "committee-and-tha"]:
            user = users.get_user(session, name)
            found = overview.status(session, user, utcnow().date())
            assert found == recomputed_status(session, user, utcnow().date()), name
            assert found["plans"], name
