"""`napflow demo --scale N`: a realistic log of N audit events, built as rows and bulk-inserted.

193 UN member States (country_converter's UN membership list, checked against pycountry), a
national cast for each, thousands of plans in every state of the workflow, walked there by
demo_scale_plan.py, over six years up to today. Every event is hashed with the log's own
recipe (models/audit.py) and every chain ends where its plan row says, so `napflow audit
verify` passes. Events are hashed by audit_scan.row_hash, the verifier's fast writing of
event_hash's recipe (tests hold the two equal). Deterministic for a seed and a day: only the
tokens are fresh random secrets.
"""

import random
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, func, select, text

from demo.scale_data import GLOBAL_CAST, GOALS, NATIONAL_CAST, TITLES, content_pool, un_members
from demo.scale_plan import PACE, Cast, Life, Walker
from models import (
    GENESIS_HASH,
    ApiToken,
    AuditEvent,
    Base,
    Plan,
    User,
    canonical_json,
    event_hash,
    hash_token,
    isoformat,
)
from models.audit import HASHED_FIELDS
from workflow.audit import SYSTEM_HEAD_ID
from workflow.audit_scan import row_hash
from workflow.engine import default_registry

# Bump when the generator's output changes: bench/scale.py keys its cached databases on it.
VERSION = 4
YEARS = 6
ACTOR = "cli"
BATCH = 5_000


@dataclass
class Built:
    events: int = 0
    plans: int = 0
    users: int = 0
    by_state: dict[str, int] = field(default_factory=dict)
    tokens: dict[str, tuple[list[str], str]] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)


class Generator:
    def __init__(self, events: int, seed: int, today: date):
        self.target, self.rng = events, random.Random(seed)
        self.end = datetime.combine(today, datetime.min.time(), UTC)
        self.begin = self.end - timedelta(days=365 * YEARS)
        self.workflow = default_registry().get("nap-1540")
        self.contents = content_pool(self.rng)
        self.walker = Walker(self.workflow, self.contents, self.rng)
        self.countries = un_members()
        self.rows: dict[str, list[dict[str, Any]]] = {t.name: [] for t in
                                                      Base.metadata.sorted_tables}
        self.system: list[tuple] = []  # (at, actor, action, data) of the system chain
        self.casts: dict[str, Cast] = {}
        self.built = Built()

    # -- users -----------------------------------------------------------------------------
    def cast(self) -> None:
        people = [(f"{c.lower()}-{name}", role, c) for c in self.countries
                  for name, role in NATIONAL_CAST]
        people += [(name, role, None) for name, role in GLOBAL_CAST]
        at = self.begin
        for user_id, (username, role, country) in enumerate(people, start=1):
            label = role if country is None else f"{role}:{country}"
            at += timedelta(seconds=1)
            self.rows["users"].append({"id": user_id, "username": username, "created_at": at})
            self.rows["grants"].append({"id": user_id, "user_id": user_id, "role": role,
                                        "country": country})
            self.system.append((at, ACTOR, "user_add", {"username": username,
                                                        "grants": [label]}))
            secret = ApiToken.new_secret()
            self.rows["api_tokens"].append({"id": user_id, "user_id": user_id,
                                            "token_hash": hash_token(secret), "created_at": at,
                                            "expires_at": None, "revoked_at": None})
            self.system.append((at, ACTOR, "token_issue", {"username": username,
                                                           "token_id": user_id,
                                                           "expires_at": None}))
            self.built.tokens[username] = ([label], secret)
            if country is not None:
                cast = self.casts.setdefault(country, Cast(country, {}, {}))
                cast.by_role.setdefault(role, []).append(username)
                cast.user_ids[username] = user_id
        self.acting_drafters()
        self.built.users = len(people)

    def acting_drafters(self) -> None:
        """A country's viewer stands in as drafter for a while, now and then: a grant and its
        revocation, so the system chain holds grant changes and every grant ends as made."""
        for country in self.rng.sample(self.countries, len(self.countries) // 4):
            granted = self.instant(self.begin, self.end - timedelta(days=60))
            revoked = granted + timedelta(days=self.rng.randrange(7, 60))
            who = {"username": f"{country.lower()}-viewer", "grant": f"drafter:{country}"}
            self.system += [(granted, "admin", "grant", who), (revoked, "admin", "revoke", who)]

    def instant(self, start: datetime, end: datetime) -> datetime:
        return start + timedelta(seconds=self.rng.uniform(0, (end - start).total_seconds()))

    # -- plans ------------------------------------------------------------------------------
    def lives(self) -> list[tuple[datetime, Life, list[datetime]]]:
        """Plans until the event budget is spent; the last one is sized to meet it exactly."""
        states = list(self.workflow.states)
        weights = [GOALS.get(s, 1) for s in states]
        budget, found = self.target - len(self.system), []
        while budget > 0:
            cast = self.casts[self.rng.choice(self.countries)]
            title = f"{self.rng.choice(TITLES)} {2019 + self.rng.randrange(8)}"
            goal = self.rng.choices(states, weights)[0]
            revisions = self.rng.choices((0, 1, 2), (6, 3, 1))[0]
            life = self.walker.live(cast, title, goal, revisions)
            if len(life.events) > budget:
                life = self.filler(cast, title, budget)
            budget -= len(life.events)
            found.append(self.timeline(life))
        return found

    def filler(self, cast: Cast, title: str, events: int) -> Life:
        """A draft of exactly `events` events: created, then edited."""
        life = self.walker.live(cast, title, self.workflow.initial, 0)
        del life.events[1:], life.versions[1:], life.reviews[:]
        life.assignments.clear()
        life.content_version = 1
        while len(life.events) < events:
            self.walker.edit(life)
        return life

    def timeline(self, life: Life) -> tuple[datetime, Life, list[datetime]]:
        """Times for the plan's events: plans still under way were active lately."""
        rng = self.rng
        gaps = [0.0] + [rng.expovariate(1 / PACE[e[7]]) * 3600 for e in life.events[1:]]
        total = sum(gaps)
        span = (self.end - self.begin).total_seconds() - 86400
        if self.workflow.states[life.state].final or life.state == "acknowledged":
            last = rng.uniform(min(total, span), span)
        else:
            last = span - min(rng.expovariate(1 / (60 * 86400)), span)
        if total > last:
            gaps = [g * last / total for g in gaps]
            total = last
        moment = self.begin + timedelta(days=1, seconds=last - total)
        times = []
        for gap in gaps:
            moment = max(moment + timedelta(seconds=gap),
                         (times[-1] if times else moment) + timedelta(milliseconds=1))
            times.append(moment)
        return times[0], life, times

    # -- rows ------------------------------------------------------------------------------
    def plan_rows(self, plan_id: int, life: Life, times: list[datetime]) -> list[tuple]:
        """The plan's rows, and its events as (at, plan_id, seq, *hashed fields, hash)."""
        events, prev, entered = [], GENESIS_HASH, 0
        for i, (actor, action, from_state, to_state, cv, comment, data, _) in enumerate(
                life.events):
            if from_state != to_state:  # created, or a transition into another state
                entered = i
            if action == "assign_reviewer" and "due" in data:  # a due day the drafter gave
                data["due"] = (times[i].date() + timedelta(days=45)).isoformat()
            at = isoformat(times[i])
            fields = (plan_id, i + 1, at, actor, action, from_state, to_state, cv, comment,
                      data, prev)
            prev = row_hash(*fields[:9], canonical_json(data), prev)
            events.append((at, *fields, prev))
        rows, ids = self.rows, life.cast.user_ids
        submission = None
        if life.submission is not None:
            reference, consent, at = life.submission
            submission = {"reference": reference, "submitted_at": isoformat(times[at]),
                          "publication_consent": consent}
        rows["plans"].append({
            "id": plan_id, "country": life.cast.country, "title": life.title,
            "workflow": life.workflow.key, "state": life.state, "revision": life.revision,
            "content_version": life.content_version,
            "revision_first_version": life.revision_first_version,
            "row_version": len(events), "audit_seq": len(events), "audit_head": prev,
            "submission": submission, "committee_from_seq": life.committee_from_seq,
            "state_since": times[entered], "created_by": life.events[0][0],
            "created_at": times[0], "updated_at": times[-1]})
        rows["content_versions"] += [
            {"plan_id": plan_id, "number": number, "revision": revision,
             "content": self.contents[index], "author": author, "created_at": times[at],
             "submitted": submitted}
            for number, revision, index, author, at, submitted in life.versions]
        # A round is open where the reviewer owes a decision on the version under review
        # (workflow/review_rounds.py: what the service keeps).
        in_review = life.workflow.states[life.state].reviews_open
        decided = {username for username, revision, version, *_ in life.reviews
                   if (revision, version) == (life.revision, life.content_version)}
        rows["reviewer_assignments"] += [
            {"plan_id": plan_id, "user_id": ids[username], "required": required,
             "assigned_by": by, "assigned_at": times[at], "due_given": given,
             "due": None if due_from is None else times[due_from].date() + timedelta(days),
             "round_open": in_review and username not in decided}
            for username, (required, by, at, given, due_from, days)
            in life.assignments.items()]
        rows["reviews"] += [
            {"plan_id": plan_id, "user_id": ids[username], "revision": revision,
             "content_version": version, "decision": decision, "comment": comment,
             "created_at": times[at]}
            for username, revision, version, decision, comment, at in life.reviews]
        self.built.by_state[life.state] = self.built.by_state.get(life.state, 0) + 1
        return events

    def system_rows(self) -> list[tuple]:
        events, prev = [], GENESIS_HASH
        for seq, (moment, actor, action, data) in enumerate(
                sorted(self.system, key=lambda e: e[0]), start=1):
            at = isoformat(moment)
            fields = (None, seq, at, actor, action, None, None, None, None, data, prev)
            prev = event_hash(dict(zip(HASHED_FIELDS, fields, strict=True)))
            events.append((at, *fields, prev))
        self.rows["audit_system_head"].append({"id": SYSTEM_HEAD_ID, "seq": len(events),
                                               "head": prev})
        return events

    def build(self) -> None:
        """Every row, ids in time order: plans by creation, events by their moment."""
        started = time.perf_counter()
        self.cast()
        lives = sorted(self.lives(), key=lambda found: found[0])
        self.built.seconds["walk"] = time.perf_counter() - started
        started = time.perf_counter()
        events = self.system_rows()
        for plan_id, (_, life, times) in enumerate(lives, start=1):
            events += self.plan_rows(plan_id, life, times)
        events.sort(key=lambda e: (e[0], e[1] or 0, e[2]))
        names = ("id", *HASHED_FIELDS, "hash")
        self.rows["audit_events"] = [dict(zip(names, (i, *e[1:]), strict=True))
                                     for i, e in enumerate(events, start=1)]
        for table in ("content_versions", "reviewer_assignments", "reviews"):
            for i, row in enumerate(self.rows[table], start=1):
                row["id"] = i
        self.built.events, self.built.plans = len(events), len(lives)
        self.built.seconds["hash"] = time.perf_counter() - started


def build(engine: Engine, events: int, seed: int = 1540, today: date | None = None) -> Built:
    """Fill an empty database with a log of `events` audit events (see the module's doc)."""
    with engine.connect() as conn:
        if any(conn.scalar(select(func.count()).select_from(model))
               for model in (User, Plan, AuditEvent)):
            raise ValueError("demo --scale fills an empty database only: this one has users, "
                             "plans or events")
    if events < minimum_events():
        raise ValueError(f"demo --scale needs at least {minimum_events():,} events: the users "
                         "of 193 countries and their grants take that many already")
    generator = Generator(events, seed, today or datetime.now(UTC).date())
    generator.build()
    started = time.perf_counter()
    insert(engine, generator.rows)
    generator.built.seconds["insert"] = time.perf_counter() - started
    return generator.built


def minimum_events() -> int:
    """The system chain's events (each user's creation and token, the acting drafters' grants
    and revocations) and one plan's."""
    users = 193 * len(NATIONAL_CAST) + len(GLOBAL_CAST)
    return 2 * users + 2 * (193 // 4) + 1


def insert(engine: Engine, rows: dict[str, list[dict[str, Any]]]) -> None:
    """Core executemany in batches, in one transaction, parents first. Tables the database
    derives from others (models/counts.py) are left to its triggers."""
    with engine.begin() as conn:
        for table in Base.metadata.sorted_tables:
            found = [] if table.info.get("derived") else rows.get(table.name) or []
            for start in range(0, len(found), BATCH):
                conn.execute(table.insert(), found[start:start + BATCH])
            if found and "id" in table.c and engine.dialect.name == "postgresql":
                # ids were given: the next one the database hands out must follow them
                conn.execute(text("SELECT setval(pg_get_serial_sequence(:t, 'id'), :n)"),
                             {"t": f'"{table.name}"', "n": max(r["id"] for r in found)})
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("ANALYZE"))  # as autovacuum would soon: plans fit the new size
