"""One generated plan's life, walked through its workflow definition as the service would.

The routes (which trigger leads towards which state, where a plan can be sent back, how a
revision starts) are read from the definition, each firing goes through the workflow's own
guards with real PlanFacts (so a guard the generator fails to satisfy raises), and the side
effects are carried out by name, as EFFECTS does on stored plans. Events are collected without
times first: the timeline is laid out afterwards (demo_scale.py), then hashed.
"""

import random
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from workflow.engine import TransitionDef, Workflow
from workflow.guards import PLAN_GUARDS, Assignment, FiringRequest, PlanFacts

# How long after the previous event each kind of event tends to come, in hours (mean).
PACE = {"sitting": 0.3, "work": 30.0, "phase": 24.0 * 12}


@dataclass
class Cast:
    """The users of one country (and the global Committee) as the generator picks them."""

    country: str
    by_role: dict[str, list[str]]
    user_ids: dict[str, int]

    def one(self, rng: random.Random, role: str) -> str:
        return rng.choice(self.by_role[role])


@dataclass
class Life:
    """What a plan went through: its events (without times) and the rows they left."""

    workflow: Workflow
    cast: Cast
    title: str
    state: str = ""
    revision: int = 1
    content_version: int = 1
    revision_first_version: int = 1
    committee_from_seq: int | None = None
    # (actor, action, from_state, to_state, content_version, comment, data, pace)
    events: list[tuple] = field(default_factory=list)
    # [number, revision, content index, author, event index, submitted]
    versions: list[list] = field(default_factory=list)
    # username -> [required, assigned_by, event index, due_given, due_from event, due days]
    assignments: dict[str, list] = field(default_factory=dict)
    # [username, revision, content_version, decision, comment, event index]
    reviews: list[list] = field(default_factory=list)
    # (reference, publication_consent, event index) of the latest submission
    submission: tuple | None = None

    # -- what the guards read --------------------------------------------------------------
    def facts(self, contents: list[dict[str, Any]], actor: str) -> PlanFacts:
        decisions = {}
        for username, revision, version, decision, *_ in self.reviews:
            if revision == self.revision and version == self.content_version:
                decisions[username] = decision  # later reviews overwrite earlier ones
        authors = frozenset(v[3] for v in self.versions if v[0] >= self.revision_first_version)
        return PlanFacts(
            state=self.state, content=contents[self.versions[-1][2]],
            content_version=self.content_version,
            assignments=tuple(Assignment(u, a[0]) for u, a in self.assignments.items()),
            decisions=decisions, authors=authors, actor=actor)

    def event(self, actor: str, action: str, pace: str, *, from_state: str | None = None,
              comment: str | None = None, data: dict[str, Any] | None = None) -> int:
        self.events.append((actor, action, from_state, self.state, self.content_version,
                            comment, data, pace))
        return len(self.events) - 1


def routes(workflow: Workflow) -> dict[tuple[str, str], TransitionDef]:
    """(state, goal) -> the first transition of a shortest route, by breadth-first search over
    the definition's transitions; final states are entered only as the goal itself."""
    hops: dict[tuple[str, str], TransitionDef] = {}
    for goal in workflow.states:
        for start in workflow.states:
            seen, queue = {start}, deque([(start, None)])
            while queue:
                state, first = queue.popleft()
                if state == goal and first is not None:
                    hops[start, goal] = first
                    break
                if workflow.states[state].final and state != start:
                    continue
                for t in workflow.transitions_from(state):
                    if t.dest not in seen or t.dest == goal:
                        seen.add(t.dest)
                        queue.append((t.dest, first or t))
    return hops


class Walker:
    """Walks plans of one workflow; `contents` are normal-form contents to draft from."""

    def __init__(self, workflow: Workflow, contents: list[dict[str, Any]], rng: random.Random):
        self.workflow, self.contents, self.rng = workflow, contents, rng
        self.hops = routes(workflow)
        self.complete: dict[int, list[str]] = {}
        initial = workflow.initial
        # Transitions that start a new revision, and those that send a plan back to the start.
        self.revisions = [t for t in workflow.transitions if "start_revision" in t.effects]
        self.send_backs = {s: [t for t in workflow.transitions_from(s)
                               if t.dest == initial and t not in self.revisions]
                           for s in workflow.states}

    # -- a plan's whole life -----------------------------------------------------------------
    def live(self, cast: Cast, title: str, goal: str, revisions: int) -> Life:
        wf, rng = self.workflow, self.rng
        life = Life(wf, cast, title, state=wf.initial)
        author = cast.one(rng, "drafter")
        life.versions.append([1, 1, rng.randrange(len(self.contents)), author, 0, False])
        life.event(author, "create", "work", data={
            "country": cast.country, "title": title, "workflow": wf.key})
        for _ in range(revisions if self.revisions else 0):
            revise = rng.choice(self.revisions)
            self.walk_to(life, rng.choice(revise.source))
            self.fire(life, revise)
        last = [t for t in wf.transitions if t.dest == goal and t not in self.revisions]
        if goal == wf.initial and (not last or rng.random() < 0.6):
            self.draft(life, rounds=rng.randrange(3))  # still being written
            return life
        final = rng.choice(last)
        self.walk_to(life, rng.choice(final.source))
        self.fire(life, final)
        if life.state == wf.initial:
            self.draft(life, rounds=rng.randrange(2))  # the changes asked for, under way
        return life

    def walk_to(self, life: Life, goal: str) -> None:
        sent_back = 0
        while life.state != goal:
            backs = self.send_backs[life.state]
            if backs and sent_back < 2 and self.rng.random() < 0.15:
                sent_back += 1
                self.fire(life, self.rng.choice(backs))
                continue
            self.fire(life, self.hops[life.state, goal])

    def draft(self, life: Life, rounds: int) -> None:
        """Work in an editable state: new content versions and reviewer changes."""
        rng, cast = self.rng, life.cast
        for _ in range(rounds):
            if rng.random() < 0.7:
                self.edit(life)
            if rng.random() < 0.3:
                self.assign(life)
            if (self.workflow.states[life.state].reviewers == "assign_remove"
                    and len(life.assignments) > 1 and rng.random() < 0.2):
                gone = rng.choice(sorted(life.assignments))
                del life.assignments[gone]
                life.event(cast.one(rng, "drafter"), "remove_reviewer", "work",
                           from_state=life.state, data={"username": gone})

    def edit(self, life: Life) -> None:
        rng, current = self.rng, life.versions[-1][2]
        index = rng.choice([i for i in range(len(self.contents)) if i != current])
        author = life.cast.one(rng, "drafter")
        life.content_version += 1
        at = life.event(author, "edit", "work", from_state=life.state,
                        data={"content_version": life.content_version})
        life.versions.append([life.content_version, life.revision, index, author, at, False])

    def assign(self, life: Life, required: bool = True) -> None:
        rng, cast = self.rng, life.cast
        free = [u for u in cast.by_role["reviewer"] if u not in life.assignments]
        if not free:
            return
        username = rng.choice(free)
        in_review = self.workflow.states[life.state].reviews_open
        given = not in_review and rng.random() < 0.1
        data = {"username": username, "required": required}
        if given:
            data["due"] = None  # the day is known once the timeline is laid out
        at = life.event(cast.one(rng, "drafter"), "assign_reviewer", "sitting",
                        from_state=life.state, data=data)
        days = 45 if given else self.workflow.review_due_days
        life.assignments[username] = [required, life.events[at][0], at, given,
                                      at if (given or in_review) else None, days]

    def review(self, life: Life, username: str, decision: str) -> None:
        comment = (self.rng.choice(REVIEW_COMMENTS) if decision == "request_changes"
                   else self.rng.choice((None, "No objection.", "Agreed by the agency.")))
        at = life.event(username, "review", "work", from_state=life.state, comment=comment,
                        data={"decision": decision})
        life.reviews.append([username, life.revision, life.content_version, decision,
                             comment, at])

    # -- firing --------------------------------------------------------------------------
    def fire(self, life: Life, t: TransitionDef) -> None:
        rng = self.rng
        if self.workflow.states[life.state].editable:
            self.draft(life, rounds=rng.randrange(1, 3))
        actor = self.prepare(life, t)
        request = self.request(life, t)
        taken = self.workflow.transition(t.trigger, life.state)
        reasons = self.plan_reasons(taken, life, actor) + taken.request_reasons(request)
        if reasons:  # the generator failed to do what the definition asks: never store that
            raise RuntimeError(f"{t.trigger} from {life.state}: {'; '.join(reasons)}")
        before, life.state = life.state, taken.dest
        for effect in taken.effects:
            EFFECTS[effect](life, len(life.events), request)
        life.event(actor, t.trigger, "phase", from_state=before, comment=request.comment,
                   data=request.data or None)

    def plan_reasons(self, t: TransitionDef, life: Life, actor: str) -> list[str]:
        """The definition's guards on the plan's facts, as Workflow.fire checks them.
        content_complete reads nothing but the content, which comes from a small pool: its
        verdict (a full marshmallow validation) is worked out once per pool content."""
        facts = life.facts(self.contents, actor)
        reasons = []
        for name in t.guards:
            if name == "content_complete":
                key = life.versions[-1][2]
                if key not in self.complete:
                    self.complete[key] = PLAN_GUARDS[name](facts)
                reasons += self.complete[key]
            else:
                reasons += PLAN_GUARDS[name](facts)
        return reasons

    def prepare(self, life: Life, t: TransitionDef) -> str:
        """Do what the transition's guards ask for, and pick who fires it."""
        rng, cast = self.rng, life.cast
        if "has_required_reviewer" in t.guards:
            while not any(a[0] for a in life.assignments.values()):
                self.assign(life)
            if rng.random() < 0.3:
                self.assign(life, required=rng.random() < 0.5)
        if "required_reviews_approve_current_version" in t.guards:
            for username in sorted(life.assignments):
                self.review(life, username, "approve")
        role = rng.choice(t.roles)
        if role == "assigned_reviewer":
            actor = rng.choice(sorted(life.assignments))
            self.review(life, actor, "request_changes")
            return actor
        if role in ("committee", "admin"):
            return role
        return cast.one(rng, role)

    def request(self, life: Life, t: TransitionDef) -> FiringRequest:
        rng, data = self.rng, {}
        comment = rng.choice(TRANSITION_COMMENTS) if "comment" in t.requires else None
        if "submission_data" in t.requires:
            data = {"reference": f"NV/{life.cast.country}/{rng.randrange(2019, 2027)}/"
                                 f"{rng.randrange(1, 10000):04d}",
                    "publication_consent": rng.random() < 0.7}
        return FiringRequest(comment=comment, data=data)


# -- the workflow's named effects, on a Life (as workflow/effects.py does on a Plan) --------
def _record_submission(life: Life, at: int, request: FiringRequest) -> None:
    life.submission = (request.data["reference"].strip(), request.data["publication_consent"],
                       at)
    life.versions[[v[0] for v in life.versions].index(life.content_version)][5] = True
    if life.committee_from_seq is None:
        life.committee_from_seq = at + 1  # seq of the event about to be appended


def _start_revision(life: Life, at: int, request: FiringRequest) -> None:
    life.revision += 1
    life.revision_first_version = life.content_version


def _set_review_due(life: Life, at: int, request: FiringRequest) -> None:
    for assignment in life.assignments.values():
        if not assignment[3]:
            assignment[4], assignment[5] = at, life.workflow.review_due_days


EFFECTS = {"record_submission": _record_submission, "start_revision": _start_revision,
           "set_review_due": _set_review_due}

REVIEW_COMMENTS = (
    "Cover toxic chemicals held in hospitals too.",
    "The customs measures need a lead agency at the border posts.",
    "Add the brokering controls agreed in the interministerial committee.",
    "The timeline for the control list is not realistic.",
)
TRANSITION_COMMENTS = (
    "See the agencies' reviews.", "Returned for the points raised by the Cabinet.",
    "Superseded by the new national plan.", "Consolidated with the export control plan.",
)
