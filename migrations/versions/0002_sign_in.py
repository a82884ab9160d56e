"""Sign-in on the pages: users' password hash and session version, failed sign-ins counted.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-07

As `create_all` and init-db's added columns made them from the pages' foundation on (merged
2026-12-03, f680435; the window's index from e172793).
"""

import sqlalchemy as sa
from alembic import op

from migrations import ForwardOnly

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sign_in_attempts",
        sa.Column("username", sa.String(length=128), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("window_start", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("username", name=op.f("pk_sign_in_attempts")),
    )
    op.create_index(
        op.f("ix_sign_in_attempts_window_start"), "sign_in_attempts", ["window_start"], unique=False
    )
    op.add_column("users", sa.Column("password_hash", sa.String(length=255), nullable=True))
    # Every existing user starts at session version 1, as a new one does.
    op.add_column(
        "users", sa.Column("session_version", sa.Integer(), server_default="1", nullable=False)
    )


def downgrade() -> None:
    raise ForwardOnly(revision)
