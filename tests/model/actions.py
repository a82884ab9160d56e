"""Each operation as one request: predict its outcome from the model, run it through
workflow/service.py in its own transaction, check the outcome and apply it to the model."""

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from models import Plan
from models.db import write_session
from tests.model import cast
from tests.model import model as m
from workflow import service, users
from workflow.access import MAX_ID, can_see
from workflow.engine import Workflow
from workflow.errors import GuardFailed, NapflowError

UNSET = service.UNSET


@dataclass
class Stats:
    sequences: int = 0
    steps: int = 0
    done: Counter = field(default_factory=Counter)  # operation or trigger -> successes
    refused: Counter = field(default_factory=Counter)  # error class -> refusals
    guard_failed: Counter = field(default_factory=Counter)  # trigger -> GuardFailed refusals
    states: Counter = field(default_factory=Counter)  # state -> steps a plan ended in it


class Actions:
    engine: Engine
    factory: sessionmaker[Session]
    stats: Stats
    wf: Workflow
    plans: dict[int, m.PlanModel]
    unchanged: bool  # the last step must have left every row as it was

    def _run(self, expected: m.Outcome, actor: str, name: str,
             operation: Callable[..., Any], *args: Any, **kwargs: Any) -> tuple[bool, Any]:
        self.stats.steps += 1
        try:
            with write_session(self.factory) as session:
                result = operation(session, users.get_user(session, actor), *args, **kwargs)
        except NapflowError as err:
            assert expected is not None, f"{name} by {actor} was refused: {err!r}"
            assert type(err) is expected, f"{name} by {actor}: expected {expected.__name__}, " \
                                          f"got {err!r}"
            assert (err.status, err.code) == (expected.status, expected.code)
            self.unchanged = True
            self.stats.refused[expected.__name__] += 1
            if expected is GuardFailed:
                self.stats.guard_failed[name] += 1
            return False, None
        assert expected is None, f"{name} by {actor} succeeded; expected {expected.__name__}"
        self.stats.done[name] += 1
        return True, result

    def create(self, actor: str, country: str, title: object, label: str | None,
               workflow: str = "nap-1540") -> None:
        meaning, content = cast.CONTENTS[label] if label else ("E", None)
        expected = m.predict_create(actor, cast.COUNTRIES[country], country,
                                    cast.TITLES[title] is not None, meaning is not None,
                                    cast.WORKFLOWS[workflow])
        ok, plan = self._run(expected, actor, "create_plan", service.create_plan,
                             country=country, title=title, content=content, workflow=workflow)
        if ok:
            self.plans[plan.id] = m.PlanModel(
                id=plan.id, country=country, title=cast.TITLES[title], state=self.wf.initial,
                versions=[(meaning, actor)], revision_authors={actor})

    def edit(self, actor: str, plan_id: int, title: object, label: str | None,
             if_match: str | None, require: bool) -> None:
        plan = self.plans.get(plan_id)
        meaning = cast.CONTENTS[label][0] if label else None
        expected = m.predict_edit(
            self.wf, actor, plan, title_ok=title is UNSET or cast.TITLES[title] is not None,
            content_ok=label is None or meaning is not None, if_match=if_match,
            require_if_match=require)
        content = cast.CONTENTS[label][1] if label else UNSET
        ok, _ = self._run(expected, actor, "edit_plan", service.edit_plan, plan_id,
                          title=title, content=content, if_match=if_match,
                          require_if_match=require)
        if not ok:
            return
        changed = False
        if title is not UNSET and cast.TITLES[title] != plan.title:
            plan.title, changed = cast.TITLES[title], True
        if label is not None and meaning != plan.meaning:
            plan.versions.append((meaning, actor))
            plan.revision_authors.add(actor)
            changed = True
        plan.events += changed
        self.unchanged = not changed  # a PATCH that changes nothing writes nothing

    def assign(self, actor: str, plan_id: int, username: str, required: object) -> None:
        plan = self.plans.get(plan_id)
        expected = m.predict_assign(self.wf, actor, plan, username, required)
        ok, _ = self._run(expected, actor, "assign_reviewer", service.assign_reviewer, plan_id,
                          username=username, required=required)
        if ok:
            plan.assignments[username] = required
            plan.events += 1

    def remove(self, actor: str, plan_id: int, username: str) -> None:
        plan = self.plans.get(plan_id)
        expected = m.predict_remove(self.wf, actor, plan, username)
        ok, _ = self._run(expected, actor, "remove_reviewer", service.remove_reviewer, plan_id,
                          username)
        if ok:
            del plan.assignments[username]
            plan.events += 1

    def review(self, actor: str, plan_id: int, decision: object, comment: object) -> None:
        plan = self.plans.get(plan_id)
        expected = m.predict_review(self.wf, actor, plan, decision, comment)
        ok, _ = self._run(expected, actor, "record_review", service.record_review, plan_id,
                          decision=decision, comment=comment)
        if ok:
            key = (plan.revision, plan.content_version)
            plan.decisions.setdefault(key, {})[actor] = decision
            plan.reviews += 1
            plan.events += 1

    def fire(self, actor: str, plan_id: int, trigger: str, comment: object = None,
             data: object = None, if_match: str | None = None) -> None:
        plan = self.plans.get(plan_id)
        expected = m.predict_fire(self.wf, actor, plan, trigger, comment, data, if_match)
        ok, _ = self._run(expected, actor, trigger, service.fire, plan_id, trigger,
                          comment=comment, data=data, if_match=if_match)
        if ok:
            m.apply_fire(self.wf, plan, trigger)

    def look(self, actor: str, plan_id: int) -> None:
        """GET /plans/{id}: who sees the plan, and its available_triggers for them."""
        plan = self.plans.get(plan_id)
        self.unchanged = True
        with self.factory() as session:
            user = users.get_user(session, actor)
            found = session.get(Plan, plan_id) if 0 < plan_id <= MAX_ID else None
            assert (found is not None and can_see(user, found)) == m.sees(actor, plan)
            if plan is None or not m.sees(actor, plan):
                return
            got = [(a["trigger"], a["ready"]) for a in
                   service.available_triggers(session, user, found)]
        assert got == m.expected_available(self.wf, actor, plan), (actor, plan.state)
