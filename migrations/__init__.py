"""napflow's Alembic migrations: env.py, the revision template and versions/, one file per
schema change. runtime/schema.py runs them from code on the app's engine (no alembic.ini)."""

from pathlib import Path

# Where Alembic finds env.py and versions/: beside this file, wherever napflow is installed.
LOCATION = Path(__file__).parent


class ForwardOnly(Exception):
    """napflow's migrations go forward only: going back would drop columns and tables that
    hold data (the audit log's among them). Restore a backup taken before the upgrade."""

    def __init__(self, revision: str):
        super().__init__(
            f"migration {revision} cannot be undone: napflow migrates forward "
            "only; restore the backup taken before the upgrade instead"
        )
