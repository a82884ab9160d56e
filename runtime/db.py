"""Shim until main's layout move lands: runtime/db.py is api/db.py moved, under its new name."""

from api.db import Database, begin_write, database, init_app, locks_all_on_begin, session

__all__ = ["Database", "begin_write", "database", "init_app", "locks_all_on_begin", "session"]
