"""The one writing transaction of a page action: committed when the block ends, else undone."""

from contextlib import AbstractContextManager

from sqlalchemy.orm import Session

from models.db import committing
from runtime import db


def writing() -> AbstractContextManager[Session]:
    """Begin the request's writing transaction (on SQLite: the write lock, taken up front),
    committed when the block ends; a refusal raised inside leaves nothing half-done."""
    return committing(db.begin_write())
