"""The state machine: random operations by random users on a few plans, each in its own
transaction as a request would be, checked against the model and the stored rows every step.

Three rules, drawn alike: anything by anyone, a well-formed operation by someone entitled,
and `progress`, which takes a plan one step along its lifecycle so that sequences reach every
state (and come back for rework, where stale approvals would show).
"""

from typing import Any

from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from models import Plan
from tests.model import cast
from tests.model import model as m
from tests.model.actions import UNSET, Actions
from tests.model.database import CAST_TABLES, PLAN_TABLES, forget_plans, read_rows
from tests.model.invariants import check_chain, replay
from workflow.access import MAX_ID
from workflow.audit import verify_chain
from workflow.engine import default_registry

RANDOM_OPERATIONS = ("create", "edit", "assign", "remove", "review", "look", "fire", "fire")
ENTITLED_OPERATIONS = ("create", "edit", "assign", "review", "fire", "fire")


class LifecycleMachine(Actions, RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        forget_plans(self.engine)
        self.wf = default_registry().get("nap-1540")
        self.plans: dict[int, m.PlanModel] = {}
        self.contents: dict[tuple[int, int], Any] = {}  # (plan, version) -> content first read
        self.before: Any = None  # the plans' rows after the last step
        self.cast_rows: Any = None  # the cast's rows when the sequence began
        self.unchanged = False
        self.stats.sequences += 1

    # -- drawing plans, users and ETags ------------------------------------------------------------
    def _plan(self, data: st.DataObject) -> int:
        """Mostly one of the plans; now and then one that does not exist."""
        plan_id = data.draw(st.sampled_from([*sorted(self.plans) * 8, -1]), label="plan")
        if plan_id == -1:
            plan_id = data.draw(st.sampled_from([max(self.plans, default=0) + 1000, 0,
                                                 MAX_ID + 1]), label="missing plan")
        return plan_id

    def _live_plan(self, data: st.DataObject) -> m.PlanModel | None:
        live = [p.id for p in self.plans.values() if not self.wf.states[p.state].final]
        return self.plans[data.draw(st.sampled_from(live), label="plan")] if live else None

    def _drafter(self, data: st.DataObject, plan: m.PlanModel) -> str:
        return data.draw(st.sampled_from(cast.drafters_of(plan.country)), label="drafter")

    def _if_match(self, data: st.DataObject, plan_id: int) -> str | None:
        plan = self.plans.get(plan_id)
        choice = data.draw(st.sampled_from(cast.IF_MATCH), label="if_match")
        current = plan.etags[-1] if plan else '"missing"'
        stale = plan.etags[-2] if plan and len(plan.etags) > 1 else '"stale"'
        return {"none": None, "current": current, "stale": stale, "star": "*",
                "garbage": '"garbage"', "weak": f"W/{current}",
                "list": f"{stale}, {current}"}[choice]

    # -- anything, by anyone ---------------------------------------------------------------------
    @initialize(actor=st.sampled_from(cast.drafters_of(cast.COUNTRY)))
    def first_plan(self, actor) -> None:
        self.create(actor, cast.COUNTRY, "National action plan", "sample")

    @rule(data=st.data(), actor=st.sampled_from(cast.USERNAMES),
          operation=st.sampled_from(RANDOM_OPERATIONS))
    def random_operation(self, data, actor, operation) -> None:
        """Anything by anyone: invalid input, the wrong user, a trigger the state does not
        allow or no workflow knows, a stale ETag, a plan that does not exist."""
        draw = data.draw
        if operation == "create":
            if len(self.plans) < 3:
                self.create(actor, draw(st.sampled_from(list(cast.COUNTRIES))),
                            draw(st.sampled_from(list(cast.TITLES))),
                            draw(st.sampled_from([None, *cast.CONTENTS])),
                            draw(st.sampled_from(list(cast.WORKFLOWS))))
            return
        plan_id = self._plan(data)
        someone = st.sampled_from([*cast.USERNAMES, cast.NOBODY])
        if operation == "fire":
            self.fire(actor, plan_id,
                      draw(st.sampled_from(self.wf.triggers + list(cast.UNKNOWN_TRIGGERS))),
                      draw(st.sampled_from(cast.COMMENTS)), draw(st.sampled_from(cast.DATA)),
                      self._if_match(data, plan_id))
        elif operation == "edit":
            self.edit(actor, plan_id, draw(st.sampled_from([UNSET, *cast.TITLES])),
                      draw(st.sampled_from([None, *cast.CONTENTS])),
                      self._if_match(data, plan_id), draw(st.booleans()))
        elif operation == "assign":
            self.assign(actor, plan_id, draw(someone), draw(st.sampled_from(cast.REQUIRED)))
        elif operation == "remove":
            self.remove(actor, plan_id, draw(someone))
        elif operation == "review":
            self.review(actor, plan_id, draw(st.sampled_from(cast.DECISIONS)),
                        draw(st.sampled_from(cast.COMMENTS)))
        else:
            self.look(actor, plan_id)

    @rule(data=st.data(), operation=st.sampled_from(ENTITLED_OPERATIONS))
    def entitled_operation(self, data, operation) -> None:
        """A well-formed operation by someone whose role allows it (the state may not)."""
        draw = data.draw
        if operation == "create":
            if len(self.plans) < 2:
                country = draw(st.sampled_from([cast.COUNTRY, cast.OTHER_COUNTRY]))
                self.create(draw(st.sampled_from(cast.drafters_of(country))), country,
                            "National action plan",
                            draw(st.sampled_from(["sample", "two_measures", "summary_only"])))
            return
        if (plan := self._live_plan(data)) is None:
            return
        if operation == "edit":  # valid content, with the current ETag or another one
            if_match = (plan.etags[-1] if draw(st.booleans(), label="current ETag")
                        else self._if_match(data, plan.id))
            self.edit(self._drafter(data, plan), plan.id,
                      draw(st.sampled_from([UNSET, "Revised national action plan"])),
                      draw(st.sampled_from(["sample", "sample_with_defaults", "two_measures",
                                            "summary_only", "empty"])),
                      if_match, draw(st.booleans()))
        elif operation == "assign":
            reviewers = [u for u in cast.USERNAMES if m.holds(u, "reviewer", plan.country)]
            self.assign(self._drafter(data, plan), plan.id,
                        draw(st.sampled_from(reviewers), label="username"), draw(st.booleans()))
        elif operation == "review" and plan.assignments:
            decision = draw(st.sampled_from(["approve", "approve", "request_changes"]))
            self.review(draw(st.sampled_from(sorted(plan.assignments)), label="reviewer"),
                        plan.id, decision,
                        draw(st.sampled_from([None, "looks complete", "add customs measures"])))
        elif operation == "fire":
            # Moves into a final state are drawn less often, so that plans live long enough.
            ts = [t for t in self.wf.transitions_from(plan.state)
                  for _ in range(1 if self.wf.states[t.dest].final else 3)]
            if ts:
                self._fire_entitled(data, plan, draw(st.sampled_from(ts)), draw(st.booleans()))

    def _fire_entitled(self, data: st.DataObject, plan: m.PlanModel, t, current: bool) -> None:
        """`t` by someone whose role may fire it, with a complete request: only the plan's
        guards may still refuse it."""
        entitled = [u for u in cast.USERNAMES if m.may_fire(u, plan, t.roles)]
        if entitled:
            actor = data.draw(st.sampled_from(entitled), label="actor")
            self.fire(actor, plan.id, t.trigger,
                      "as discussed" if "comment" in t.requires else None,
                      cast.SUBMISSION if "submission_data" in t.requires else None,
                      plan.etags[-1] if current else None)

    @rule(data=st.data())
    def progress(self, data) -> None:
        """One step along the lifecycle, mostly forward, now and then back for rework; where
        a guard of the move does not hold yet, the step mostly makes it hold (a measure, a
        required reviewer, an approval) instead of moving, and otherwise tries anyway."""
        if (plan := self._live_plan(data)) is None:
            return
        # Rework: a new version, on which the reviews given so far stop counting; most likely
        # right after a review, where counting a stale approval would show.
        reviewed = bool(plan.current_decisions())
        if (self.wf.states[plan.state].editable
                and data.draw(st.integers(0, 1 if reviewed else 5), label="rework") == 0):
            self._add_measures(data, plan)
            return
        ts = [t for t in self.wf.transitions_from(plan.state) if not self.wf.states[t.dest].final
              for _ in range(1 if t.dest == self.wf.initial else 2)]
        t = data.draw(st.sampled_from(ts), label="transition")
        unmet = [g for g in t.guards if g in self.FIXES and not m.PLAN_GUARDS[g](plan, "")]
        if unmet and data.draw(st.booleans(), label="fix first"):
            self.FIXES[unmet[0]](self, data, plan)
        else:
            self._fire_entitled(data, plan, t, current=False)

    def _add_measures(self, data: st.DataObject, plan: m.PlanModel) -> None:
        label = data.draw(st.sampled_from(["sample", "two_measures"]), label="content")
        self.edit(self._drafter(data, plan), plan.id, UNSET, label, None, False)

    def _add_required_reviewer(self, data: st.DataObject, plan: m.PlanModel) -> None:
        free = [u for u in cast.USERNAMES
                if m.holds(u, "reviewer", plan.country) and u not in plan.assignments]
        if free:
            self.assign(self._drafter(data, plan), plan.id,
                        data.draw(st.sampled_from(free), label="username"), True)
        else:  # everyone is assigned, none required: make room
            self.remove(self._drafter(data, plan), plan.id,
                        data.draw(st.sampled_from(sorted(plan.assignments)), label="username"))

    def _approve_current_version(self, data: st.DataObject, plan: m.PlanModel) -> None:
        decisions = plan.current_decisions()
        pending = [u for u in plan.assignments if decisions.get(u) != "approve"]
        decision = data.draw(st.sampled_from(["approve"] * 5 + ["request_changes"]))
        self.review(data.draw(st.sampled_from(pending), label="reviewer"), plan.id, decision,
                    "see the customs annex" if decision == "request_changes" else None)

    FIXES = {"content_complete": _add_measures, "has_required_reviewer": _add_required_reviewer,
             "required_reviews_approve_current_version": _approve_current_version}

    # -- after every step -----------------------------------------------------------------------
    def teardown(self) -> None:
        # The cast's tables (users, grants, tokens, the system chain...) are compared once
        # per sequence: no operation of a sequence, refused or not, may touch them.
        if self.cast_rows is not None:
            assert read_rows(self.engine, CAST_TABLES) == self.cast_rows

    @invariant()
    def rows_agree_with_model_and_chain(self) -> None:
        rows, before = read_rows(self.engine, PLAN_TABLES), self.before
        if before is None:
            self.cast_rows = read_rows(self.engine, CAST_TABLES)
            with self.factory() as session:  # the cast's chain, which no sequence touches
                assert verify_chain(session, None).valid
        elif self.unchanged:
            assert rows == before, "a refused or no-op operation left a trace"
        self.unchanged, self.before = False, rows
        assert sorted(p["id"] for p in rows["plans"]) == sorted(self.plans)
        changed = []
        for row in rows["plans"]:
            events = [e for e in rows["audit_events"] if e["plan_id"] == row["id"]]
            self._check_plan(self.plans[row["id"]], row, events, rows)
            if before is None or (row, events) != (
                    next((p for p in before["plans"] if p["id"] == row["id"]), None),
                    [e for e in before["audit_events"] if e["plan_id"] == row["id"]]):
                changed.append(row["id"])
        # verify_chain reads only a plan's row and its events: for the plans whose rows did
        # not change its report is the one it gave after the previous step.
        with self.factory() as session:
            for plan_id in changed:
                report = verify_chain(session, plan_id)
                assert report.valid and report.events == self.plans[plan_id].events, report

    def _check_plan(self, plan: m.PlanModel, row: dict, events: list[dict], rows: dict) -> None:
        self.stats.states[plan.state] += 1
        expected = {"country": plan.country, "title": plan.title, "state": plan.state,
                    "revision": plan.revision, "content_version": plan.content_version,
                    "submitted": plan.submitted}
        stored = {**{k: row[k] for k in expected if k != "submitted"},
                  "submitted": row["committee_from_seq"] is not None}
        assert stored == expected, f"plan {plan.id}"
        assert (row["submission"] is not None) == plan.submitted
        assert len(events) == plan.events, f"plan {plan.id}: {len(events)} events"
        check_chain(self.wf, row, events)
        replay(plan.id, events)
        versions = [v for v in rows["content_versions"] if v["plan_id"] == plan.id]
        assert [(v["number"], v["author"]) for v in versions] == [
            (n, author) for n, (_, author) in enumerate(plan.versions, 1)]
        for v in versions:  # every version is kept as first written
            assert self.contents.setdefault((plan.id, v["number"]), v["content"]) == v["content"]
        usernames = {u["id"]: u["username"] for u in self.cast_rows["users"]}
        assert {(usernames[a["user_id"]], a["required"]) for a in rows["reviewer_assignments"]
                if a["plan_id"] == plan.id} == set(plan.assignments.items())
        assert sum(r["plan_id"] == plan.id for r in rows["reviews"]) == plan.reviews
        # The ETag changes exactly when the plan changes, and never comes back.
        etag = Plan(id=row["id"], row_version=row["row_version"]).etag
        if plan.etags and etag == plan.etags[-1]:
            assert plan.events == plan.etag_events, f"plan {plan.id}: ETag unchanged"
        else:
            assert etag not in plan.etags and plan.events != plan.etag_events
            plan.etags.append(etag)
            plan.etag_events = plan.events
