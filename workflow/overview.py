"""The overview: counts of plans, whom they wait on, and overdue reviews (tasks: tasks.py)."""

import json
from datetime import date
from functools import cache
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Date,
    ScalarSelect,
    Select,
    Text,
    and_,
    bindparam,
    cast,
    false,
    func,
    literal_column,
    or_,
    select,
    true,
    tuple_,
)
from sqlalchemy.orm import Session

from models import (
    AuditEvent,
    OpenReviewCount,
    OpenReviewTotal,
    Plan,
    Review,
    ReviewerAssignment,
    StatusCount,
    User,
)
from models.status_counts import COMMITTEE, EVERYONE, ROLE, STATE
from workflow import queries
from workflow.access import national_countries, visible_plans
from workflow.engine import default_registry


def review_states() -> list[str]:
    return sorted({s.name for w in default_registry() for s in w.states.values()
                   if s.reviews_open})


def waiting_on(role: str) -> ColumnElement[bool]:
    """The SQL condition matching the plans that wait on `role` (see Workflow.waiting_on)."""
    clauses = [and_(Plan.workflow == w.key,
                    Plan.state.in_([s for s in w.states if role in w.waiting_on(s)]))
               for w in default_registry()]
    return or_(*clauses) if clauses else false()


def undecided() -> ColumnElement[bool]:
    """No decision by the assigned reviewer on the plan's current content version."""
    return ~select(Review.id).where(
        Review.plan_id == Plan.id, Review.user_id == ReviewerAssignment.user_id,
        Review.revision == Plan.revision,
        Review.content_version == Plan.content_version).exists()


def _last_at(*conditions: ColumnElement[bool]):
    """When the plan's newest event matching `conditions` happened: its own events read
    newest first by the unique (plan_id, seq) index, stopping at the first match, so the
    cost is that of its latest events, not of its whole history nor of the log (max(at)
    read them all: the Committee's tasks at a million events took seconds)."""
    return (select(AuditEvent.at).where(AuditEvent.plan_id == Plan.id, *conditions)
            .order_by(AuditEvent.seq.desc()).limit(1).scalar_subquery())


def entered_review():
    """When the plan last entered review."""
    states = review_states()
    return _last_at(AuditEvent.to_state.in_(states), AuditEvent.from_state.not_in(states))


# Who sees what of the kept counts, as the cached statements' shapes (status_json).
EVERY_COUNTRY, SOME_COUNTRIES, NO_COUNTRY = "every", "some", "none"
COUNTRIES = bindparam("countries", expanding=True)


def _visible_counts(countries: str, committee: bool) -> ColumnElement[bool]:
    """visible_plans for the kept counts (models/status_counts.py): the Committee sees the
    plans it was given, counted apart; a caller who also sees some countries nationally
    reads those countries' rows for everyone instead (a plan counts in both)."""
    everyone = StatusCount.audience == EVERYONE
    if countries == EVERY_COUNTRY:
        return everyone
    clauses = []
    if countries == SOME_COUNTRIES:
        clauses.append(and_(everyone, StatusCount.country.in_(COUNTRIES)))
    if committee:
        given = StatusCount.audience == COMMITTEE
        clauses.append(and_(given, StatusCount.country.not_in(COUNTRIES))
                       if countries == SOME_COUNTRIES else given)
    return or_(*clauses) if clauses else false()


def _overdue_rows(dialect: str, countries: str) -> Select:
    """Open review rounds past their due day, by country (0 where none are): each country's
    open rounds less those due from today on (models/counts.OpenReviewTotal), so the rows
    read follow the days ahead, not the years behind."""
    today = bindparam("today", type_=Date)
    if dialect == "postgresql" and countries == EVERY_COUNTRY:
        # Every country's rows ahead in one range of ix_open_review_counts_due, summed by one
        # hash aggregate and joined to the totals by a hash join: 193 index lookups, each
        # summed apart, cost half as much again (1.8 against 1.2 ms at a million events,
        # 2,964 rows ahead).
        ahead = (select(OpenReviewCount.country, func.sum(OpenReviewCount.count).label("n"))
                 .where(OpenReviewCount.due >= today).group_by(OpenReviewCount.country)
                 .subquery())
        return (select(OpenReviewTotal.country,
                       (OpenReviewTotal.count - func.coalesce(ahead.c.n, 0)).label("count"))
                .outerjoin(ahead, ahead.c.country == OpenReviewTotal.country))
    ahead = (select(func.coalesce(func.sum(OpenReviewCount.count), 0).label("n"))
             .where(OpenReviewCount.country == OpenReviewTotal.country,
                    OpenReviewCount.due >= today))
    if dialect == "postgresql":
        # LATERAL: the sum is a column, which PostgreSQL would otherwise compute again for
        # each use of it (the filter and the object); SQLite has no LATERAL, and computes
        # it once, in the subquery the aggregate reads
        ahead = ahead.lateral()
        query = (select(OpenReviewTotal.country, (OpenReviewTotal.count - ahead.c.n)
                        .label("count")).join(ahead, true()))
    else:
        query = select(OpenReviewTotal.country,
                       (OpenReviewTotal.count - ahead.scalar_subquery()).label("count"))
    if countries == SOME_COUNTRIES:
        query = query.where(OpenReviewTotal.country.in_(COUNTRIES))
    return query


def _joined(dialect: str, query: Select, order: list[str], body=None,
            positive: str | None = None) -> ScalarSelect:
    """The JSON objects of `query`'s rows (its column `body`, or what `body` makes of its
    columns) joined by commas, in `order`, by the database: per row, Python would cost more
    than the database takes to read the row (2,316 rows for the world at a million
    events); only the rows whose `positive` column is above 0, if given (filtered in the
    aggregate: a WHERE on the rows' subquery made SQLite compute the column twice). NULL
    if there are none. Plain ASCII codes and names, compared byte by byte as Python sorts
    them (PostgreSQL: the C collation, whatever the database's).

    The rows come to the aggregate in the order of its subquery, which neither database
    flattens (it has an ORDER BY): SQLite (3.40 here) has no ORDER BY in an aggregate, and
    PostgreSQL 15 sorts the rows of one itself even when an index gives them in order
    (string_agg(... ORDER BY) cost 0.9 ms for the world's 1,351 state rows at a million
    events, the ordered subquery 0.3). The order comes from the key's b-tree (SQLite's
    WITHOUT ROWID status_counts, PostgreSQL's ix_status_counts_rows) or, for the 193
    overdue rows, a sort; tests/workflow/test_overview.py holds it to Python's."""
    keys = [query.selected_columns[key] for key in order]
    if dialect == "postgresql":
        rows = query.order_by(*(key.collate("C") for key in keys)).subquery()
        joined = func.string_agg(body(rows) if body else rows.c.body, literal_column("','"))
    else:
        rows = query.order_by(*keys).subquery()
        joined = func.group_concat(body(rows) if body else rows.c.body, literal_column("','"))
    if positive is not None:
        joined = joined.filter(rows.c[positive] > 0)
    return select(joined).scalar_subquery()


def _overdue_body(dialect: str):
    def body(rows):
        fields = (literal_column("'count'"), rows.c.count,
                  literal_column("'country'"), rows.c.country)
        return (cast(func.json_build_object(*fields), Text) if dialect == "postgresql"
                else func.json_object(*fields))
    return body


@cache
def _status_statement(dialect: str, countries: str, committee: bool) -> Select:
    """status_json's query for one kind of caller, built once: building it cost about as
    much as running it at 10,000 events."""
    def counted(kind: str) -> Select:
        return (select(StatusCount.country, StatusCount.name, StatusCount.body)
                .where(StatusCount.kind == kind, _visible_counts(countries, committee),
                       StatusCount.count != 0))

    return select(
        # Who has yet to review is national business, so never the Committee's.
        literal_column("NULL") if countries == NO_COUNTRY
        else _joined(dialect, _overdue_rows(dialect, countries), ["country"],
                     body=_overdue_body(dialect), positive="count"),
        _joined(dialect, counted(STATE), ["country", "name"]),
        _joined(dialect, counted(ROLE), ["country", "name"]))


def status_json(session: Session, user: User, today: date) -> str:
    """GET /status's body, written by the database in one query: visible plans by country
    and state, how many wait on each role, and how many reviews are overdue in each country
    (the reviews themselves: overdue_reviews). Read from the counts the database keeps
    (models/counts.py, models/status_counts.py), each answer row a row: the cost follows
    the countries and states that have plans, not the plans; and Python handles one
    string, not a row per country and state."""
    seen = national_countries(user)
    countries = (EVERY_COUNTRY if None in seen else SOME_COUNTRIES if seen else NO_COUNTRY)
    statement = _status_statement(session.get_bind().dialect.name, countries,
                                  countries != EVERY_COUNTRY and user.holds("committee"))
    found = session.execute(statement, {"today": today, "countries": sorted(seen)}
                            if countries == SOME_COUNTRIES else {"today": today}).one()
    return '{{"overdue":[{}],"plans":[{}],"waiting":[{}]}}'.format(
        *(joined or "" for joined in found))


def status(session: Session, user: User, today: date) -> dict[str, Any]:
    """status_json as Python values (the status page's)."""
    return json.loads(status_json(session, user, today))


def overdue_query(user: User, today: date, *, country: str | None = None,
                  after: tuple[date, int, int] | None = None, limit: int = 50) -> Select:
    """The ids of one page of the overdue reviews (open rounds past their due day) in page
    order, one more than `limit`: for a caller who sees every country, a range of
    ix_reviewer_assignments_open_due from `after` on; for a country, its plans' open rounds
    (tests/workflow/test_overdue_plans.py explains both on both databases)."""
    key = (ReviewerAssignment.due, ReviewerAssignment.plan_id, ReviewerAssignment.id)
    if country is None and None in national_countries(user):
        query = select(ReviewerAssignment.id).where(ReviewerAssignment.round_open == true())
    else:
        # A country's open rounds are few (90 of the world's 16,644 at a million events):
        # they are gathered from its plans and sorted. The flag is wrapped so that no planner
        # walks the world's open rounds by the index, probing each one's plan for its country
        # (SQLite did: 15 ms for a page of 50).
        query = (select(ReviewerAssignment.id)
                 .join(Plan, Plan.id == ReviewerAssignment.plan_id)
                 .where(visible_plans(user, nationally=True),
                        func.coalesce(ReviewerAssignment.round_open, false()) == true()))
    query = query.where(ReviewerAssignment.due < today)
    if country is not None:
        query = query.where(Plan.country == country)
    if after is not None:
        query = query.where(tuple_(*key) > tuple_(*after))
    return query.order_by(*key).limit(limit + 1)


def overdue_reviews(session: Session, user: User, today: date, *, country: str | None = None,
                    after: tuple[date, int, int] | None = None,
                    limit: int = 50) -> "queries.Page":
    """One page of the overdue reviews, most overdue first: by (due, plan, assignment), the
    key `after` names. The Committee's page is empty, as its overdue counts are (and is not
    asked for)."""
    if not national_countries(user):
        return queries.Page([], None)
    key = (ReviewerAssignment.due, ReviewerAssignment.plan_id, ReviewerAssignment.id)
    # The page is cut first: when each entered review is then looked up for its rows only.
    page = overdue_query(user, today, country=country, after=after, limit=limit).subquery()
    rows = session.execute(
        select(Plan.id, Plan.country, User.username, ReviewerAssignment.required,
               ReviewerAssignment.due, entered_review(), ReviewerAssignment.id)
        .join(Plan, Plan.id == ReviewerAssignment.plan_id)
        .join(User, User.id == ReviewerAssignment.user_id)
        .where(ReviewerAssignment.id.in_(select(page.c.id))).order_by(*key)).all()
    more, rows = len(rows) > limit, rows[:limit]
    return queries.Page(
        [{"plan_id": p, "country": c, "reviewer": r, "required": req, "due": due,
          "in_review_since": at} for p, c, r, req, due, at, _ in rows],
        (rows[-1].due, rows[-1].id, rows[-1][-1]) if more else None)
