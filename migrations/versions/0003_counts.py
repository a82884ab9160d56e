"""Counts kept by triggers (/status) and review rounds' open flag (/reviews/overdue).

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-07

As napflow made them from 346e8c1 and 5c8d14b (2026-12-03) on: reviewer_assignments.round_open
set from each plan (then kept by the service), plan_counts and open_review_counts filled from
the rows they count and then kept by triggers (per row on SQLite, per statement over transition
tables on PostgreSQL). The SQL is copied from models/counts.py and workflow/review_rounds.py as
they were; the models' triggers must stay equal to these (tests/migrations/test_same_schema.py).
"""

import sqlalchemy as sa
from alembic import op

from migrations import ForwardOnly

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

# A round is open when the plan is in a state with reviews open (nap-1540's
# stakeholder_review, the only such state of the only workflow then) and the reviewer has no
# decision on the plan's current revision and content version.
OPEN_ROUNDS = (
    "UPDATE reviewer_assignments SET round_open = true WHERE EXISTS (SELECT 1 FROM plans "
    "WHERE plans.id = reviewer_assignments.plan_id AND plans.workflow = 'nap-1540' AND "
    "plans.state = 'stakeholder_review' AND NOT EXISTS (SELECT 1 FROM reviews WHERE "
    "reviews.plan_id = plans.id AND reviews.user_id = reviewer_assignments.user_id AND "
    "reviews.revision = plans.revision AND reviews.content_version = plans.content_version))"
)

SQLITE_PLANS = [
    "CREATE TRIGGER IF NOT EXISTS plan_counts_insert AFTER INSERT ON plans BEGIN INSERT "
    "INTO plan_counts (country, workflow, state, committee, count) SELECT NEW.country, "
    "NEW.workflow, NEW.state, NEW.committee_from_seq IS NOT NULL, 1 WHERE true ON CONFLICT "
    "(country, workflow, state, committee) DO UPDATE SET count = plan_counts.count + "
    "excluded.count; END",
    "CREATE TRIGGER IF NOT EXISTS plan_counts_delete AFTER DELETE ON plans BEGIN INSERT "
    "INTO plan_counts (country, workflow, state, committee, count) SELECT OLD.country, "
    "OLD.workflow, OLD.state, OLD.committee_from_seq IS NOT NULL, -1 WHERE true ON "
    "CONFLICT (country, workflow, state, committee) DO UPDATE SET count = "
    "plan_counts.count + excluded.count; END",
    "CREATE TRIGGER IF NOT EXISTS plan_counts_update AFTER UPDATE OF country, workflow, "
    "state, committee_from_seq ON plans WHEN OLD.country IS NOT NEW.country OR "
    "OLD.workflow IS NOT NEW.workflow OR OLD.state IS NOT NEW.state OR "
    "(OLD.committee_from_seq IS NULL) IS NOT (NEW.committee_from_seq IS NULL) BEGIN INSERT "
    "INTO plan_counts (country, workflow, state, committee, count) SELECT OLD.country, "
    "OLD.workflow, OLD.state, OLD.committee_from_seq IS NOT NULL, -1 WHERE true ON "
    "CONFLICT (country, workflow, state, committee) DO UPDATE SET count = "
    "plan_counts.count + excluded.count; INSERT INTO plan_counts (country, workflow, "
    "state, committee, count) SELECT NEW.country, NEW.workflow, NEW.state, "
    "NEW.committee_from_seq IS NOT NULL, 1 WHERE true ON CONFLICT (country, workflow, "
    "state, committee) DO UPDATE SET count = plan_counts.count + excluded.count; END",
]

SQLITE_REVIEWS = [
    "CREATE TRIGGER IF NOT EXISTS open_review_counts_insert AFTER INSERT ON "
    "reviewer_assignments BEGIN INSERT INTO open_review_counts (country, due, count) "
    "SELECT country, NEW.due, 1 FROM plans WHERE plans.id = NEW.plan_id AND NEW.round_open "
    "AND NEW.due IS NOT NULL ON CONFLICT (country, due) DO UPDATE SET count = "
    "open_review_counts.count + excluded.count; END",
    "CREATE TRIGGER IF NOT EXISTS open_review_counts_delete AFTER DELETE ON "
    "reviewer_assignments BEGIN INSERT INTO open_review_counts (country, due, count) "
    "SELECT country, OLD.due, -1 FROM plans WHERE plans.id = OLD.plan_id AND "
    "OLD.round_open AND OLD.due IS NOT NULL ON CONFLICT (country, due) DO UPDATE SET count "
    "= open_review_counts.count + excluded.count; END",
    "CREATE TRIGGER IF NOT EXISTS open_review_counts_update AFTER UPDATE OF round_open, "
    "due, plan_id ON reviewer_assignments WHEN OLD.round_open IS NOT NEW.round_open OR "
    "OLD.due IS NOT NEW.due OR OLD.plan_id IS NOT NEW.plan_id BEGIN INSERT INTO "
    "open_review_counts (country, due, count) SELECT country, OLD.due, -1 FROM plans WHERE "
    "plans.id = OLD.plan_id AND OLD.round_open AND OLD.due IS NOT NULL ON CONFLICT "
    "(country, due) DO UPDATE SET count = open_review_counts.count + excluded.count; "
    "INSERT INTO open_review_counts (country, due, count) SELECT country, NEW.due, 1 FROM "
    "plans WHERE plans.id = NEW.plan_id AND NEW.round_open AND NEW.due IS NOT NULL ON "
    "CONFLICT (country, due) DO UPDATE SET count = open_review_counts.count + "
    "excluded.count; END",
]

POSTGRES_PLANS = [
    "CREATE OR REPLACE FUNCTION napflow_plan_counts() RETURNS trigger LANGUAGE plpgsql AS "
    "$$ BEGIN IF TG_OP = 'INSERT' THEN INSERT INTO plan_counts (country, workflow, state, "
    "committee, count) SELECT country, workflow, state, committee, sum(delta) FROM (SELECT "
    "country, workflow, state, committee_from_seq IS NOT NULL AS committee, 1 AS delta "
    "FROM new_rows) AS d GROUP BY country, workflow, state, committee HAVING sum(delta) <> "
    "0 ORDER BY country, workflow, state, committee ON CONFLICT (country, workflow, state, "
    "committee) DO UPDATE SET count = plan_counts.count + excluded.count; END IF; IF TG_OP "
    "= 'UPDATE' THEN INSERT INTO plan_counts (country, workflow, state, committee, count) "
    "SELECT country, workflow, state, committee, sum(delta) FROM (SELECT country, "
    "workflow, state, committee_from_seq IS NOT NULL AS committee, -1 AS delta FROM "
    "old_rows UNION ALL SELECT country, workflow, state, committee_from_seq IS NOT NULL AS "
    "committee, 1 AS delta FROM new_rows) AS d GROUP BY country, workflow, state, "
    "committee HAVING sum(delta) <> 0 ORDER BY country, workflow, state, committee ON "
    "CONFLICT (country, workflow, state, committee) DO UPDATE SET count = "
    "plan_counts.count + excluded.count; END IF; IF TG_OP = 'DELETE' THEN INSERT INTO "
    "plan_counts (country, workflow, state, committee, count) SELECT country, workflow, "
    "state, committee, sum(delta) FROM (SELECT country, workflow, state, "
    "committee_from_seq IS NOT NULL AS committee, -1 AS delta FROM old_rows) AS d GROUP BY "
    "country, workflow, state, committee HAVING sum(delta) <> 0 ORDER BY country, "
    "workflow, state, committee ON CONFLICT (country, workflow, state, committee) DO "
    "UPDATE SET count = plan_counts.count + excluded.count; END IF; RETURN NULL; END $$",
    "CREATE TRIGGER plan_counts_insert AFTER INSERT ON plans REFERENCING NEW TABLE AS "
    "new_rows FOR EACH STATEMENT EXECUTE FUNCTION napflow_plan_counts()",
    "CREATE TRIGGER plan_counts_update AFTER UPDATE ON plans REFERENCING OLD TABLE AS "
    "old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION "
    "napflow_plan_counts()",
    "CREATE TRIGGER plan_counts_delete AFTER DELETE ON plans REFERENCING OLD TABLE AS "
    "old_rows FOR EACH STATEMENT EXECUTE FUNCTION napflow_plan_counts()",
]

POSTGRES_REVIEWS = [
    "CREATE OR REPLACE FUNCTION napflow_open_review_counts() RETURNS trigger LANGUAGE "
    "plpgsql AS $$ BEGIN IF TG_OP = 'INSERT' THEN INSERT INTO open_review_counts (country, "
    "due, count) SELECT country, due, sum(delta) FROM (SELECT plans.country, r.due, 1 AS "
    "delta FROM new_rows r JOIN plans ON plans.id = r.plan_id WHERE r.round_open AND r.due "
    "IS NOT NULL) AS d GROUP BY country, due HAVING sum(delta) <> 0 ORDER BY country, due "
    "ON CONFLICT (country, due) DO UPDATE SET count = open_review_counts.count + "
    "excluded.count; END IF; IF TG_OP = 'UPDATE' THEN INSERT INTO open_review_counts "
    "(country, due, count) SELECT country, due, sum(delta) FROM (SELECT plans.country, "
    "r.due, -1 AS delta FROM old_rows r JOIN plans ON plans.id = r.plan_id WHERE "
    "r.round_open AND r.due IS NOT NULL UNION ALL SELECT plans.country, r.due, 1 AS delta "
    "FROM new_rows r JOIN plans ON plans.id = r.plan_id WHERE r.round_open AND r.due IS "
    "NOT NULL) AS d GROUP BY country, due HAVING sum(delta) <> 0 ORDER BY country, due ON "
    "CONFLICT (country, due) DO UPDATE SET count = open_review_counts.count + "
    "excluded.count; END IF; IF TG_OP = 'DELETE' THEN INSERT INTO open_review_counts "
    "(country, due, count) SELECT country, due, sum(delta) FROM (SELECT plans.country, "
    "r.due, -1 AS delta FROM old_rows r JOIN plans ON plans.id = r.plan_id WHERE "
    "r.round_open AND r.due IS NOT NULL) AS d GROUP BY country, due HAVING sum(delta) <> 0 "
    "ORDER BY country, due ON CONFLICT (country, due) DO UPDATE SET count = "
    "open_review_counts.count + excluded.count; END IF; RETURN NULL; END $$",
    "CREATE TRIGGER open_review_counts_insert AFTER INSERT ON reviewer_assignments "
    "REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION "
    "napflow_open_review_counts()",
    "CREATE TRIGGER open_review_counts_update AFTER UPDATE ON reviewer_assignments "
    "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE "
    "FUNCTION napflow_open_review_counts()",
    "CREATE TRIGGER open_review_counts_delete AFTER DELETE ON reviewer_assignments "
    "REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION "
    "napflow_open_review_counts()",
]

FILL_PLANS = (
    "INSERT INTO plan_counts (country, workflow, state, committee, count) SELECT country, "
    "workflow, state, committee_from_seq IS NOT NULL, count(*) FROM plans GROUP BY 1, 2, 3, 4"
)

FILL_REVIEWS = (
    "INSERT INTO open_review_counts (country, due, count) SELECT plans.country, r.due, "
    "count(*) FROM reviewer_assignments r JOIN plans ON plans.id = r.plan_id WHERE "
    "r.round_open AND r.due IS NOT NULL GROUP BY 1, 2"
)


def upgrade() -> None:
    op.add_column(
        "reviewer_assignments",
        sa.Column("round_open", sa.Boolean(), server_default=sa.false(), nullable=False),
    )
    op.create_index(
        "ix_reviewer_assignments_open_due",
        "reviewer_assignments",
        ["round_open", "due", "plan_id", "id"],
        unique=False,
    )
    op.execute(OPEN_ROUNDS)
    op.create_table(
        "plan_counts",
        sa.Column("country", sa.String(length=3), nullable=False),
        sa.Column("workflow", sa.String(length=64), nullable=False),
        sa.Column("state", sa.String(length=64), nullable=False),
        sa.Column("committee", sa.Boolean(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(
            "country", "workflow", "state", "committee", name=op.f("pk_plan_counts")
        ),
    )
    op.create_table(
        "open_review_counts",
        sa.Column("country", sa.String(length=3), nullable=False),
        sa.Column("due", sa.Date(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("country", "due", name=op.f("pk_open_review_counts")),
    )
    # Filled before the triggers exist, so every row is counted once.
    op.execute(FILL_PLANS)
    op.execute(FILL_REVIEWS)
    triggers = {
        "sqlite": SQLITE_PLANS + SQLITE_REVIEWS,
        "postgresql": POSTGRES_PLANS + POSTGRES_REVIEWS,
    }
    for statement in triggers[op.get_bind().dialect.name]:
        op.execute(statement)


def downgrade() -> None:
    raise ForwardOnly(revision)
