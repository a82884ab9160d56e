"""Builds one `transitions` machine per workflow definition, once, and fires triggers on plans."""

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

from transitions import Machine

from workflow.effects import EFFECTS
from workflow.errors import GuardFailed, InvalidTransition, UnknownTrigger
from workflow.guards import PLAN_GUARDS, REQUEST_GUARDS, FiringRequest, PlanFacts

# Roles a definition may name; `assigned_reviewer` is a reviewer assigned to the plan itself.
KNOWN_ROLES = frozenset({"drafter", "reviewer", "approver", "submitter", "viewer", "committee",
                         "auditor", "admin", "assigned_reviewer"})
REVIEWER_POLICIES = ("none", "assign", "assign_remove")
# Whom a plan waits on is named by grant: an assigned reviewer is a `reviewer`.
WAITING_ROLE = {"assigned_reviewer": "reviewer"}
WAITING_ROLES = tuple(sorted(KNOWN_ROLES - set(WAITING_ROLE)))


@dataclass(frozen=True)
class StateDef:
    name: str
    editable: bool = False
    reviewers: str = "none"
    reviews_open: bool = False
    final: bool = False


@dataclass(frozen=True)
class TransitionDef:
    trigger: str
    source: tuple[str, ...]
    dest: str
    roles: tuple[str, ...]
    guards: tuple[str, ...] = ()
    requires: tuple[str, ...] = ()
    effects: tuple[str, ...] = ()

    def plan_reasons(self, facts: PlanFacts) -> list[str]:
        return [reason for name in self.guards for reason in PLAN_GUARDS[name](facts)]

    def request_reasons(self, request: FiringRequest) -> list[str]:
        return [reason for name in self.requires for reason in REQUEST_GUARDS[name](request)]

    def describe(self) -> dict[str, Any]:
        return {"trigger": self.trigger, "source": list(self.source), "dest": self.dest,
                "roles": list(self.roles), "guards": list(self.guards) + list(self.requires),
                "effects": list(self.effects)}


class DefinitionError(ValueError):
    """A workflow definition names something napflow does not know."""


class _Subject:
    """The plan as the machine sees it for one firing; never kept on the machine."""

    def __init__(self, state: str):
        self.state = state


@dataclass
class Workflow:
    key: str
    title: str
    initial: str
    states: dict[str, StateDef]
    transitions: tuple[TransitionDef, ...]
    # Days a reviewer has by default, from the plan entering review (or a later assignment).
    review_due_days: int | None = None
    machine: Machine = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._check()
        # No model is registered: firing passes a throwaway subject straight to the event, so
        # nothing accumulates on this shared machine and nothing is reset by add_model.
        self.machine = Machine(model=None, states=list(self.states), initial=self.initial,
                               auto_transitions=False, send_event=True,
                               ignore_invalid_triggers=False)
        for t in self.transitions:
            self.machine.add_transition(t.trigger, list(t.source), t.dest,
                                        conditions=[self._condition(t)])

    @staticmethod
    def _condition(t: TransitionDef):
        def holds(event) -> bool:
            reasons = t.plan_reasons(event.kwargs["facts"]) + t.request_reasons(
                event.kwargs["request"])
            event.kwargs["reasons"].extend(reasons)
            return not reasons
        return holds

    def _check(self) -> None:
        if self.initial not in self.states:
            raise DefinitionError(f"{self.key}: initial state {self.initial!r} is not a state")
        for t in self.transitions:
            unknown = (
                [s for s in (*t.source, t.dest) if s not in self.states]
                + [r for r in t.roles if r not in KNOWN_ROLES]
                + [g for g in t.guards if g not in PLAN_GUARDS]
                + [g for g in t.requires if g not in REQUEST_GUARDS]
                + [e for e in t.effects if e not in EFFECTS]
            )
            if unknown:
                raise DefinitionError(f"{self.key}: transition {t.trigger!r} names unknown "
                                      f"{', '.join(map(repr, unknown))}")
            if not t.roles:
                raise DefinitionError(f"{self.key}: transition {t.trigger!r} has no roles")
        days = self.review_due_days
        if days is not None and (type(days) is not int or days < 1):
            raise DefinitionError(f"{self.key}: review_due_days must be a positive integer")

    @classmethod
    def from_definition(cls, data: dict[str, Any]) -> "Workflow":
        try:
            states = {s["name"]: StateDef(**s) for s in data["states"]}
            transitions = tuple(
                TransitionDef(**{**t, **{k: tuple(t.get(k, ())) for k in
                                         ("source", "roles", "guards", "requires", "effects")}})
                for t in data["transitions"]
            )
            return cls(key=data["key"], title=data.get("title", data["key"]),
                       initial=data["initial"], states=states, transitions=transitions,
                       review_due_days=data.get("review_due_days"))
        except (KeyError, TypeError) as err:
            raise DefinitionError(f"malformed workflow definition: {err}") from err

    # -- reading -------------------------------------------------------------------------
    @property
    def triggers(self) -> list[str]:
        return list(dict.fromkeys(t.trigger for t in self.transitions))

    def transitions_for(self, trigger: str) -> list[TransitionDef]:
        return [t for t in self.transitions if t.trigger == trigger]

    def transitions_from(self, state: str) -> list[TransitionDef]:
        return [t for t in self.transitions if state in t.source]

    def forward_from(self, state: str) -> list[TransitionDef]:
        """The transitions that move a plan on from `state`: not back to the start, not to a
        final state (withdrawal) and not to `state` itself."""
        return [t for t in self.transitions_from(state)
                if t.dest not in (self.initial, state) and not self.states[t.dest].final]

    def waiting_on(self, state: str) -> tuple[str, ...]:
        """The roles a plan in `state` waits on: those who may fire its forward triggers."""
        roles = (WAITING_ROLE.get(r, r) for t in self.forward_from(state) for r in t.roles)
        return tuple(dict.fromkeys(roles))

    def transition(self, trigger: str, state: str) -> TransitionDef | None:
        return next((t for t in self.transitions_from(state) if t.trigger == trigger), None)

    def describe(self) -> dict[str, Any]:
        return {
            "key": self.key, "title": self.title, "initial": self.initial,
            "review_due_days": self.review_due_days,
            "states": [{"name": s.name, "editable": s.editable, "reviewers": s.reviewers,
                        "reviews_open": s.reviews_open, "final": s.final}
                       for s in self.states.values()],
            "transitions": [t.describe() for t in self.transitions],
        }

    def refusal(self, trigger: str, state: str) -> InvalidTransition:
        allowed = dict.fromkeys(t.trigger for t in self.transitions_from(state))
        return InvalidTransition(trigger, state, list(allowed))

    # -- firing --------------------------------------------------------------------------
    def check_trigger(self, trigger: str) -> list[TransitionDef]:
        found = self.transitions_for(trigger)
        if not found:
            raise UnknownTrigger(trigger, self.key, self.triggers)
        return found

    def fire(self, state: str, trigger: str, facts: PlanFacts,
             request: FiringRequest) -> TransitionDef:
        """Run `trigger` from `state` through the machine; return the transition taken.

        Raises UnknownTrigger, InvalidTransition or GuardFailed; the caller applies the
        returned transition's destination to the stored plan inside its transaction.
        """
        self.check_trigger(trigger)
        taken = self.transition(trigger, state)
        if taken is None:
            raise self.refusal(trigger, state)
        subject, reasons = _Subject(state), []
        fired = self.machine.events[trigger].trigger(subject, facts=facts, request=request,
                                                     reasons=reasons)
        if not fired:
            raise GuardFailed(trigger, reasons)
        assert subject.state == taken.dest, (subject.state, taken.dest)
        return taken


class WorkflowRegistry:
    """The workflows napflow knows, by key; each machine is built when it is registered."""

    def __init__(self, definitions: Iterable[dict[str, Any]] = ()):
        self._workflows: dict[str, Workflow] = {}
        for data in definitions:
            self.register(data)

    def register(self, data: dict[str, Any]) -> Workflow:
        workflow = Workflow.from_definition(data)
        self._workflows[workflow.key] = workflow
        return workflow

    def unregister(self, key: str) -> None:
        """Forget the workflow `key` (tests register their own and remove them afterwards)."""
        self._workflows.pop(key, None)

    def get(self, key: str) -> Workflow | None:
        return self._workflows.get(key)

    def __iter__(self):
        return iter(self._workflows.values())

    def __contains__(self, key: str) -> bool:
        return key in self._workflows


def builtin_definitions() -> list[dict[str, Any]]:
    folder = resources.files("workflow.definitions")
    return [json.loads(f.read_text(encoding="utf-8"))
            for f in sorted(folder.iterdir(), key=lambda f: f.name) if f.name.endswith(".json")]


@cache
def default_registry() -> WorkflowRegistry:
    """The built-in workflows, built on first use (never at import time)."""
    return WorkflowRegistry(builtin_definitions())
