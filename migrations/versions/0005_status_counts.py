"""/status's kept answer rows and overdue totals, written by the database; plan_counts dropped.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-08

As branch status-scale made them (models/status_counts.py, models/counts.py): status_counts
holds each /status answer row (country and state, or country and the role the plans wait on,
for everyone and for the Committee) with its JSON body, kept by triggers on plans (per row on
SQLite, per statement over transition tables on PostgreSQL, upserted in key order);
open_review_totals holds each country's open review rounds, kept by triggers on
reviewer_assignments; ix_open_review_counts_ahead covers the sum of the rounds due from today
on. On PostgreSQL the countries and names compare byte by byte (the C collation) and
ix_status_counts_rows holds each row's count and body, so /status reads its rows in order
from that index alone; ix_open_review_counts_due gives every country's rows from today on in
one range. plan_counts, which /status read before, is read by nothing now: it
and its triggers go. The SQL is copied from the models as they are at this revision; the
models' triggers must stay equal to these (tests/migrations/test_same_schema.py).

Which roles a state waits on is the workflow definitions' (code), which a migration cannot
know: waiting_roles is made empty here, so status_counts starts with the state rows of every
plan (the role rows join waiting_roles: none yet), and runtime/schema.copy_waiting_roles, run
in the same transaction once the database is at head, copies the definitions' roles in and
counts every plan again (as it does whenever a release's definitions differ from the copy).
"""

import sqlalchemy as sa
from alembic import op

from migrations import ForwardOnly

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

SQLITE_STATUS = [
    "CREATE TRIGGER IF NOT EXISTS status_counts_insert AFTER INSERT ON plans BEGIN INSERT "
    "INTO status_counts (audience, kind, country, name, count, body) SELECT audience, kind,"
    " country, name, delta, json_object('count', delta, 'country', country, kind, name) "
    "FROM (SELECT a.audience, k.kind, k.country, k.name, 1 AS delta FROM (SELECT p.country,"
    " p.committee_from_seq IS NOT NULL AS seen, 'state' AS kind, p.state AS name FROM "
    "(SELECT NEW.country AS country, NEW.workflow AS workflow, NEW.state AS state, "
    "NEW.committee_from_seq AS committee_from_seq) p UNION ALL SELECT p.country, "
    "p.committee_from_seq IS NOT NULL, 'role', w.role FROM (SELECT NEW.country AS country, "
    "NEW.workflow AS workflow, NEW.state AS state, NEW.committee_from_seq AS "
    "committee_from_seq) p JOIN waiting_roles w ON w.workflow = p.workflow AND w.state = "
    "p.state) AS k JOIN (SELECT 'all' AS audience, false AS only_seen UNION ALL SELECT "
    "'committee', true) AS a ON k.seen OR NOT a.only_seen) AS r WHERE true ON CONFLICT "
    "(audience, kind, country, name) DO UPDATE SET count = status_counts.count + "
    "excluded.count, body = json_object('count', status_counts.count + excluded.count, "
    "'country', excluded.country, excluded.kind, excluded.name); END",
    "CREATE TRIGGER IF NOT EXISTS status_counts_delete AFTER DELETE ON plans BEGIN INSERT "
    "INTO status_counts (audience, kind, country, name, count, body) SELECT audience, kind,"
    " country, name, delta, json_object('count', delta, 'country', country, kind, name) "
    "FROM (SELECT a.audience, k.kind, k.country, k.name, -1 AS delta FROM (SELECT "
    "p.country, p.committee_from_seq IS NOT NULL AS seen, 'state' AS kind, p.state AS name "
    "FROM (SELECT OLD.country AS country, OLD.workflow AS workflow, OLD.state AS state, "
    "OLD.committee_from_seq AS committee_from_seq) p UNION ALL SELECT p.country, "
    "p.committee_from_seq IS NOT NULL, 'role', w.role FROM (SELECT OLD.country AS country, "
    "OLD.workflow AS workflow, OLD.state AS state, OLD.committee_from_seq AS "
    "committee_from_seq) p JOIN waiting_roles w ON w.workflow = p.workflow AND w.state = "
    "p.state) AS k JOIN (SELECT 'all' AS audience, false AS only_seen UNION ALL SELECT "
    "'committee', true) AS a ON k.seen OR NOT a.only_seen) AS r WHERE true ON CONFLICT "
    "(audience, kind, country, name) DO UPDATE SET count = status_counts.count + "
    "excluded.count, body = json_object('count', status_counts.count + excluded.count, "
    "'country', excluded.country, excluded.kind, excluded.name); END",
    "CREATE TRIGGER IF NOT EXISTS status_counts_update AFTER UPDATE OF country, workflow, "
    "state, committee_from_seq ON plans WHEN OLD.country IS NOT NEW.country OR OLD.workflow"
    " IS NOT NEW.workflow OR OLD.state IS NOT NEW.state OR (OLD.committee_from_seq IS NULL)"
    " IS NOT (NEW.committee_from_seq IS NULL) BEGIN INSERT INTO status_counts (audience, "
    "kind, country, name, count, body) SELECT audience, kind, country, name, delta, "
    "json_object('count', delta, 'country', country, kind, name) FROM (SELECT a.audience, "
    "k.kind, k.country, k.name, -1 AS delta FROM (SELECT p.country, p.committee_from_seq IS"
    " NOT NULL AS seen, 'state' AS kind, p.state AS name FROM (SELECT OLD.country AS "
    "country, OLD.workflow AS workflow, OLD.state AS state, OLD.committee_from_seq AS "
    "committee_from_seq) p UNION ALL SELECT p.country, p.committee_from_seq IS NOT NULL, "
    "'role', w.role FROM (SELECT OLD.country AS country, OLD.workflow AS workflow, "
    "OLD.state AS state, OLD.committee_from_seq AS committee_from_seq) p JOIN waiting_roles"
    " w ON w.workflow = p.workflow AND w.state = p.state) AS k JOIN (SELECT 'all' AS "
    "audience, false AS only_seen UNION ALL SELECT 'committee', true) AS a ON k.seen OR NOT"
    " a.only_seen) AS r WHERE true ON CONFLICT (audience, kind, country, name) DO UPDATE "
    "SET count = status_counts.count + excluded.count, body = json_object('count', "
    "status_counts.count + excluded.count, 'country', excluded.country, excluded.kind, "
    "excluded.name); INSERT INTO status_counts (audience, kind, country, name, count, body)"
    " SELECT audience, kind, country, name, delta, json_object('count', delta, 'country', "
    "country, kind, name) FROM (SELECT a.audience, k.kind, k.country, k.name, 1 AS delta "
    "FROM (SELECT p.country, p.committee_from_seq IS NOT NULL AS seen, 'state' AS kind, "
    "p.state AS name FROM (SELECT NEW.country AS country, NEW.workflow AS workflow, "
    "NEW.state AS state, NEW.committee_from_seq AS committee_from_seq) p UNION ALL SELECT "
    "p.country, p.committee_from_seq IS NOT NULL, 'role', w.role FROM (SELECT NEW.country "
    "AS country, NEW.workflow AS workflow, NEW.state AS state, NEW.committee_from_seq AS "
    "committee_from_seq) p JOIN waiting_roles w ON w.workflow = p.workflow AND w.state = "
    "p.state) AS k JOIN (SELECT 'all' AS audience, false AS only_seen UNION ALL SELECT "
    "'committee', true) AS a ON k.seen OR NOT a.only_seen) AS r WHERE true ON CONFLICT "
    "(audience, kind, country, name) DO UPDATE SET count = status_counts.count + "
    "excluded.count, body = json_object('count', status_counts.count + excluded.count, "
    "'country', excluded.country, excluded.kind, excluded.name); END",
]

SQLITE_TOTALS = [
    "CREATE TRIGGER IF NOT EXISTS open_review_totals_insert AFTER INSERT ON "
    "reviewer_assignments BEGIN INSERT INTO open_review_totals (country, count) SELECT "
    "country, 1 FROM plans WHERE plans.id = NEW.plan_id AND NEW.round_open AND NEW.due IS "
    "NOT NULL ON CONFLICT (country) DO UPDATE SET count = open_review_totals.count + "
    "excluded.count; END",
    "CREATE TRIGGER IF NOT EXISTS open_review_totals_delete AFTER DELETE ON "
    "reviewer_assignments BEGIN INSERT INTO open_review_totals (country, count) SELECT "
    "country, -1 FROM plans WHERE plans.id = OLD.plan_id AND OLD.round_open AND OLD.due IS "
    "NOT NULL ON CONFLICT (country) DO UPDATE SET count = open_review_totals.count + "
    "excluded.count; END",
    "CREATE TRIGGER IF NOT EXISTS open_review_totals_update AFTER UPDATE OF round_open, "
    "due, plan_id ON reviewer_assignments WHEN OLD.round_open IS NOT NEW.round_open OR "
    "OLD.due IS NOT NEW.due OR OLD.plan_id IS NOT NEW.plan_id BEGIN INSERT INTO "
    "open_review_totals (country, count) SELECT country, -1 FROM plans WHERE plans.id = "
    "OLD.plan_id AND OLD.round_open AND OLD.due IS NOT NULL ON CONFLICT (country) DO UPDATE"
    " SET count = open_review_totals.count + excluded.count; INSERT INTO open_review_totals"
    " (country, count) SELECT country, 1 FROM plans WHERE plans.id = NEW.plan_id AND "
    "NEW.round_open AND NEW.due IS NOT NULL ON CONFLICT (country) DO UPDATE SET count = "
    "open_review_totals.count + excluded.count; END",
]

POSTGRES_STATUS = [
    "CREATE OR REPLACE FUNCTION napflow_status_counts() RETURNS trigger LANGUAGE plpgsql AS"
    " $$ BEGIN IF TG_OP = 'INSERT' THEN INSERT INTO status_counts (audience, kind, country,"
    " name, count, body) SELECT audience, kind, country, name, delta, "
    "json_build_object('count', delta, 'country', country, kind, name)::text FROM (SELECT "
    "audience, kind, country, name, sum(delta) FROM (SELECT a.audience, k.kind, k.country, "
    "k.name, 1 AS delta FROM (SELECT p.country, p.committee_from_seq IS NOT NULL AS seen, "
    "'state' AS kind, p.state AS name FROM new_rows p UNION ALL SELECT p.country, "
    "p.committee_from_seq IS NOT NULL, 'role', w.role FROM new_rows p JOIN waiting_roles w "
    "ON w.workflow = p.workflow AND w.state = p.state) AS k JOIN (SELECT 'all' AS audience,"
    " false AS only_seen UNION ALL SELECT 'committee', true) AS a ON k.seen OR NOT "
    "a.only_seen) AS d GROUP BY audience, kind, country, name HAVING sum(delta) <> 0 ORDER "
    "BY audience, kind, country, name) AS r (audience, kind, country, name, delta) ON "
    "CONFLICT (audience, kind, country, name) DO UPDATE SET count = status_counts.count + "
    "excluded.count, body = json_build_object('count', status_counts.count + "
    "excluded.count, 'country', excluded.country, excluded.kind, excluded.name)::text; END "
    "IF; IF TG_OP = 'UPDATE' THEN INSERT INTO status_counts (audience, kind, country, name,"
    " count, body) SELECT audience, kind, country, name, delta, json_build_object('count', "
    "delta, 'country', country, kind, name)::text FROM (SELECT audience, kind, country, "
    "name, sum(delta) FROM (SELECT a.audience, k.kind, k.country, k.name, -1 AS delta FROM "
    "(SELECT p.country, p.committee_from_seq IS NOT NULL AS seen, 'state' AS kind, p.state "
    "AS name FROM old_rows p UNION ALL SELECT p.country, p.committee_from_seq IS NOT NULL, "
    "'role', w.role FROM old_rows p JOIN waiting_roles w ON w.workflow = p.workflow AND "
    "w.state = p.state) AS k JOIN (SELECT 'all' AS audience, false AS only_seen UNION ALL "
    "SELECT 'committee', true) AS a ON k.seen OR NOT a.only_seen UNION ALL SELECT "
    "a.audience, k.kind, k.country, k.name, 1 AS delta FROM (SELECT p.country, "
    "p.committee_from_seq IS NOT NULL AS seen, 'state' AS kind, p.state AS name FROM "
    "new_rows p UNION ALL SELECT p.country, p.committee_from_seq IS NOT NULL, 'role', "
    "w.role FROM new_rows p JOIN waiting_roles w ON w.workflow = p.workflow AND w.state = "
    "p.state) AS k JOIN (SELECT 'all' AS audience, false AS only_seen UNION ALL SELECT "
    "'committee', true) AS a ON k.seen OR NOT a.only_seen) AS d GROUP BY audience, kind, "
    "country, name HAVING sum(delta) <> 0 ORDER BY audience, kind, country, name) AS r "
    "(audience, kind, country, name, delta) ON CONFLICT (audience, kind, country, name) DO "
    "UPDATE SET count = status_counts.count + excluded.count, body = "
    "json_build_object('count', status_counts.count + excluded.count, 'country', "
    "excluded.country, excluded.kind, excluded.name)::text; END IF; IF TG_OP = 'DELETE' "
    "THEN INSERT INTO status_counts (audience, kind, country, name, count, body) SELECT "
    "audience, kind, country, name, delta, json_build_object('count', delta, 'country', "
    "country, kind, name)::text FROM (SELECT audience, kind, country, name, sum(delta) FROM"
    " (SELECT a.audience, k.kind, k.country, k.name, -1 AS delta FROM (SELECT p.country, "
    "p.committee_from_seq IS NOT NULL AS seen, 'state' AS kind, p.state AS name FROM "
    "old_rows p UNION ALL SELECT p.country, p.committee_from_seq IS NOT NULL, 'role', "
    "w.role FROM old_rows p JOIN waiting_roles w ON w.workflow = p.workflow AND w.state = "
    "p.state) AS k JOIN (SELECT 'all' AS audience, false AS only_seen UNION ALL SELECT "
    "'committee', true) AS a ON k.seen OR NOT a.only_seen) AS d GROUP BY audience, kind, "
    "country, name HAVING sum(delta) <> 0 ORDER BY audience, kind, country, name) AS r "
    "(audience, kind, country, name, delta) ON CONFLICT (audience, kind, country, name) DO "
    "UPDATE SET count = status_counts.count + excluded.count, body = "
    "json_build_object('count', status_counts.count + excluded.count, 'country', "
    "excluded.country, excluded.kind, excluded.name)::text; END IF; RETURN NULL; END $$",
    "CREATE TRIGGER status_counts_insert AFTER INSERT ON plans REFERENCING NEW TABLE AS "
    "new_rows FOR EACH STATEMENT EXECUTE FUNCTION napflow_status_counts()",
    "CREATE TRIGGER status_counts_update AFTER UPDATE ON plans REFERENCING OLD TABLE AS "
    "old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION "
    "napflow_status_counts()",
    "CREATE TRIGGER status_counts_delete AFTER DELETE ON plans REFERENCING OLD TABLE AS "
    "old_rows FOR EACH STATEMENT EXECUTE FUNCTION napflow_status_counts()",
]

POSTGRES_TOTALS = [
    "CREATE OR REPLACE FUNCTION napflow_open_review_totals() RETURNS trigger LANGUAGE "
    "plpgsql AS $$ BEGIN IF TG_OP = 'INSERT' THEN INSERT INTO open_review_totals (country, "
    "count) SELECT country, sum(delta) FROM (SELECT plans.country, 1 AS delta FROM new_rows"
    " r JOIN plans ON plans.id = r.plan_id WHERE r.round_open AND r.due IS NOT NULL) AS d "
    "GROUP BY country HAVING sum(delta) <> 0 ORDER BY country ON CONFLICT (country) DO "
    "UPDATE SET count = open_review_totals.count + excluded.count; END IF; IF TG_OP = "
    "'UPDATE' THEN INSERT INTO open_review_totals (country, count) SELECT country, "
    "sum(delta) FROM (SELECT plans.country, -1 AS delta FROM old_rows r JOIN plans ON "
    "plans.id = r.plan_id WHERE r.round_open AND r.due IS NOT NULL UNION ALL SELECT "
    "plans.country, 1 AS delta FROM new_rows r JOIN plans ON plans.id = r.plan_id WHERE "
    "r.round_open AND r.due IS NOT NULL) AS d GROUP BY country HAVING sum(delta) <> 0 ORDER"
    " BY country ON CONFLICT (country) DO UPDATE SET count = open_review_totals.count + "
    "excluded.count; END IF; IF TG_OP = 'DELETE' THEN INSERT INTO open_review_totals "
    "(country, count) SELECT country, sum(delta) FROM (SELECT plans.country, -1 AS delta "
    "FROM old_rows r JOIN plans ON plans.id = r.plan_id WHERE r.round_open AND r.due IS NOT"
    " NULL) AS d GROUP BY country HAVING sum(delta) <> 0 ORDER BY country ON CONFLICT "
    "(country) DO UPDATE SET count = open_review_totals.count + excluded.count; END IF; "
    "RETURN NULL; END $$",
    "CREATE TRIGGER open_review_totals_insert AFTER INSERT ON reviewer_assignments "
    "REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION "
    "napflow_open_review_totals()",
    "CREATE TRIGGER open_review_totals_update AFTER UPDATE ON reviewer_assignments "
    "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE "
    "FUNCTION napflow_open_review_totals()",
    "CREATE TRIGGER open_review_totals_delete AFTER DELETE ON reviewer_assignments "
    "REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION "
    "napflow_open_review_totals()",
]

FILL_TOTALS = (
    "INSERT INTO open_review_totals (country, count) SELECT plans.country, count(*) FROM "
    "reviewer_assignments r JOIN plans ON plans.id = r.plan_id WHERE r.round_open AND r.due"
    " IS NOT NULL GROUP BY 1"
)

SQLITE_FILL_STATUS = (
    "INSERT INTO status_counts (audience, kind, country, name, count, body) SELECT "
    "audience, kind, country, name, delta, json_object('count', delta, 'country', country, "
    "kind, name) FROM (SELECT audience, kind, country, name, sum(delta) AS delta FROM "
    "(SELECT a.audience, k.kind, k.country, k.name, 1 AS delta FROM (SELECT p.country, "
    "p.committee_from_seq IS NOT NULL AS seen, 'state' AS kind, p.state AS name FROM plans "
    "p UNION ALL SELECT p.country, p.committee_from_seq IS NOT NULL, 'role', w.role FROM "
    "plans p JOIN waiting_roles w ON w.workflow = p.workflow AND w.state = p.state) AS k "
    "JOIN (SELECT 'all' AS audience, false AS only_seen UNION ALL SELECT 'committee', true)"
    " AS a ON k.seen OR NOT a.only_seen) AS d GROUP BY audience, kind, country, name) AS r "
    "WHERE true ON CONFLICT (audience, kind, country, name) DO UPDATE SET count = "
    "status_counts.count + excluded.count, body = json_object('count', status_counts.count "
    "+ excluded.count, 'country', excluded.country, excluded.kind, excluded.name)"
)

POSTGRES_FILL_STATUS = (
    "INSERT INTO status_counts (audience, kind, country, name, count, body) SELECT "
    "audience, kind, country, name, delta, json_build_object('count', delta, 'country', "
    "country, kind, name)::text FROM (SELECT audience, kind, country, name, sum(delta) AS "
    "delta FROM (SELECT a.audience, k.kind, k.country, k.name, 1 AS delta FROM (SELECT "
    "p.country, p.committee_from_seq IS NOT NULL AS seen, 'state' AS kind, p.state AS name "
    "FROM plans p UNION ALL SELECT p.country, p.committee_from_seq IS NOT NULL, 'role', "
    "w.role FROM plans p JOIN waiting_roles w ON w.workflow = p.workflow AND w.state = "
    "p.state) AS k JOIN (SELECT 'all' AS audience, false AS only_seen UNION ALL SELECT "
    "'committee', true) AS a ON k.seen OR NOT a.only_seen) AS d GROUP BY audience, kind, "
    "country, name) AS r (audience, kind, country, name, delta) ON CONFLICT (audience, "
    "kind, country, name) DO UPDATE SET count = status_counts.count + excluded.count, body "
    "= json_build_object('count', status_counts.count + excluded.count, 'country', "
    "excluded.country, excluded.kind, excluded.name)::text"
)


def bytewise(length: int) -> sa.String:
    # PostgreSQL: the C collation, so that the key's order is /status's (byte order)
    if op.get_bind().dialect.name == "postgresql":
        return sa.String(length=length, collation="C")
    return sa.String(length=length)


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    op.create_table(
        "waiting_roles",
        sa.Column("workflow", sa.String(length=64), nullable=False),
        sa.Column("state", sa.String(length=64), nullable=False),
        sa.Column("role", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("workflow", "state", "role", name=op.f("pk_waiting_roles")),
    )
    op.create_table(
        "status_counts",
        sa.Column("audience", sa.String(length=16), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("country", bytewise(3), nullable=False),
        sa.Column("name", bytewise(64), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint(
            "audience", "kind", "country", "name", name=op.f("pk_status_counts")
        ),
        sqlite_with_rowid=False,
    )
    if dialect == "postgresql":
        op.create_index(
            "ix_status_counts_rows",
            "status_counts",
            ["audience", "kind", "country", "name"],
            unique=False,
            postgresql_include=["count", "body"],
        )
    op.create_table(
        "open_review_totals",
        sa.Column("country", bytewise(3), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("country", name=op.f("pk_open_review_totals")),
    )
    op.create_index(
        "ix_open_review_counts_ahead",
        "open_review_counts",
        ["country", "due", "count"],
        unique=False,
    )
    if dialect == "postgresql":
        op.create_index(
            "ix_open_review_counts_due",
            "open_review_counts",
            ["due"],
            unique=False,
            postgresql_include=["country", "count"],
        )
    # Filled before the triggers exist, so every row is counted once; status_counts gets the
    # state rows (its role rows join waiting_roles, empty until the roles' copy: see above).
    op.execute(FILL_TOTALS)
    op.execute(SQLITE_FILL_STATUS if dialect == "sqlite" else POSTGRES_FILL_STATUS)
    triggers = {
        "sqlite": SQLITE_STATUS + SQLITE_TOTALS,
        "postgresql": POSTGRES_STATUS + POSTGRES_TOTALS,
    }
    for statement in triggers[dialect]:
        op.execute(statement)
    for operation in ("insert", "update", "delete"):
        op.execute(
            f"DROP TRIGGER plan_counts_{operation}"
            + (" ON plans" if dialect == "postgresql" else "")
        )
    if dialect == "postgresql":
        op.execute("DROP FUNCTION napflow_plan_counts()")
    op.drop_table("plan_counts")


def downgrade() -> None:
    raise ForwardOnly(revision)
