"""Cursors: the text naming a position in a list (a page's `next_cursor`), read and written.

The API's query fields (api/fields.py) and the pages' page links (web/) read the same text,
so a cursor from either works in both and means the same position.
"""

import re
from datetime import UTC, date, datetime, timedelta

from models import as_utc
from workflow.access import MAX_ID

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MICROSECOND = timedelta(microseconds=1)
LATEST = datetime.max.replace(tzinfo=UTC)
MAX_MICROS = (LATEST - EPOCH) // MICROSECOND

# Cursors are digits so that a pattern can say exactly which are accepted: every string it
# matches names a position, and a number past the end gives an empty page, not an error.
CURSOR_PATTERN = r"^[0-9]+$"
PLAN_CURSOR_PATTERN = r"^[0-9]+(\.[0-9]+)?$"
TASK_CURSOR_PATTERN = r"^[0-9]+\.[0-9]+\.[0-9]+$"
OVERDUE_CURSOR_PATTERN = TASK_CURSOR_PATTERN


def _number(digits: str, top: int) -> int:
    digits = digits.lstrip("0") or "0"
    # Past the end, whatever its length (and int() refuses numbers of thousands of digits).
    return top if len(digits) > len(str(top)) else min(int(digits), top)


def _moment(micros: str) -> datetime:
    return EPOCH + _number(micros, MAX_MICROS) * MICROSECOND


def id_position(text: str) -> int:
    """A position by id (audit events, versions, plans by id...)."""
    return _number(text, MAX_ID)


def plan_position(text: str) -> int | tuple[datetime, int]:
    """A position among plans: an id, or (updated_at, id) as written by sort=updated."""
    micros, _, last = text.rpartition(".")
    return _number(last, MAX_ID) if not micros else (_moment(micros), _number(last, MAX_ID))


def task_position(text: str) -> tuple[datetime, int, int]:
    """(since, plan id, kind) of the last task of a page."""
    micros, plan_id, kind = text.split(".")
    return _moment(micros), _number(plan_id, MAX_ID), _number(kind, MAX_ID)


def overdue_position(text: str) -> tuple[date, int, int]:
    """(due, plan id, assignment id) of the last overdue review of a page."""
    day, plan_id, assignment_id = text.split(".")
    return (date.fromordinal(max(1, _number(day, date.max.toordinal()))),
            _number(plan_id, MAX_ID), _number(assignment_id, MAX_ID))


class Reader:
    """Reads one kind of cursor: its pattern, then the position it names."""

    def __init__(self, pattern: str, position):
        self.pattern, self.position = pattern, position
        self._compiled = re.compile(pattern)

    def matches(self, text: str) -> bool:
        # Python's reading of `$` (a final newline allowed), as the API's document says it.
        return self._compiled.search(text) is not None

    def __call__(self, text: str):
        """The position `text` names; ValueError when it is not a cursor of this kind."""
        if not self.matches(text):
            raise ValueError("not a valid cursor")
        return self.position(text.rstrip("\n"))


BY_ID = Reader(CURSOR_PATTERN, id_position)
PLANS = Reader(PLAN_CURSOR_PATTERN, plan_position)
TASKS = Reader(TASK_CURSOR_PATTERN, task_position)
OVERDUE = Reader(OVERDUE_CURSOR_PATTERN, overdue_position)


def encode_cursor(after: int | tuple) -> str:
    """The `next_cursor` naming the last item of a page: `<id>`, or a key whose first part
    is a moment (`<micros>.<id>...`) or a day (`<ordinal>.<id>...`)."""
    if not isinstance(after, tuple):
        return str(after)
    first, *rest = after
    lead = ((as_utc(first) - EPOCH) // MICROSECOND if isinstance(first, datetime)
            else first.toordinal())
    return ".".join(str(part) for part in (lead, *rest))
