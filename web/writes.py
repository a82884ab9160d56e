"""A page action's writing transaction, run again whole when PostgreSQL abandons it.

web/transaction.writing() is one attempt; an action given to `write` is re-run in a new
transaction after a deadlock, a serialization failure or a lock timeout (runtime/db.py):
that attempt changed nothing, so the user gets the normal answer and the work is done
once, as for the API's requests (api/transactions.py).
"""

from collections.abc import Callable
from typing import TypeVar

from sqlalchemy.orm import Session

from runtime import db
from web.transaction import writing

T = TypeVar("T")


def write(action: Callable[[Session], T]) -> T:
    """`action(session)` in one writing transaction, committed when it returns; a refusal
    it raises rolls everything back and reaches the caller. Read what the page needs from
    the result inside `action`: after a re-run only the last attempt's objects are real."""
    def attempt() -> T:
        with writing() as session:
            return action(session)
    return db.run_again_if_abandoned(attempt)
