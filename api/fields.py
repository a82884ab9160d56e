"""marshmallow fields of the API: plan content, cursors, timestamps and patterned strings."""

import re
from datetime import UTC, datetime, timedelta

from marshmallow import ValidationError, fields

from models import as_utc, isoformat
from workflow import cursors
from workflow.content import PlanContentSchema
from workflow.countries import is_iso3

# Where they were: the schemas and views import them from here.
from workflow.cursors import (  # noqa: F401
    CURSOR_PATTERN,
    EPOCH,
    LATEST,
    OVERDUE_CURSOR_PATTERN,
    PLAN_CURSOR_PATTERN,
    TASK_CURSOR_PATTERN,
    encode_cursor,
)

LEAP_SECOND = re.compile(r"(?<=T\d\d:\d\d):60(\.\d+)?")

CURSOR_FORMAT = ("Opaque: the `next_cursor` of the previous page. Digits: the key of the "
                 "last item of that page (a number past the end gives an empty page)")
TASK_CURSOR_FORMAT = ("Opaque: the `next_cursor` of the previous page, naming its last task: "
                      "`<since in microseconds since 1970-01-01T00:00:00Z>.<plan id>.<kind: "
                      "0 review, 1 transition>`")
OVERDUE_CURSOR_FORMAT = ("Opaque: the `next_cursor` of the previous page, naming its last "
                         "review: `<due, days from 0001-01-01 counted from 1>.<plan id>."
                         "<assignment id>`")
PLAN_CURSOR_FORMAT = ("Opaque: the `next_cursor` of the previous page, naming its last plan: "
                      "`<id>`, or with `sort=updated` `<updated_at in microseconds since "
                      "1970-01-01T00:00:00Z>.<id>`. A plan changed while you page moves to the "
                      "end and comes again, none is skipped. A cursor of the other order is "
                      "read as a position in this one (`<id>` alone as time 0)")


def iso3(value: str) -> None:
    if not is_iso3(value):
        raise ValidationError("Not an upper-case ISO 3166-1 alpha-3 country code.")


class Pattern:
    """A validator that is the document's `pattern` itself: a value is refused only when the
    pattern does not match it (Python's reading of `$`, which accepts all that ECMA's does)."""

    def __init__(self, pattern: str, error: str):
        self.pattern, self.error = pattern, error
        self._compiled = re.compile(pattern)

    def __call__(self, value: str) -> None:
        if self._compiled.search(value) is None:
            raise ValidationError(self.error)


class ContentField(fields.Nested):
    """Plan content: validated by PlanContentSchema and kept in its JSON normal form, which
    is also what is stored, so it is shown as stored."""

    def __init__(self, **kwargs):
        super().__init__(PlanContentSchema, **kwargs)

    def _deserialize(self, value, attr, data, partial=None, **kwargs):
        loaded = super()._deserialize(value, attr, data, partial=partial, **kwargs)
        return self.schema.dump(loaded)

    def _serialize(self, nested_obj, attr, obj, **kwargs):
        return nested_obj


class Cursor(fields.String):
    """An opaque position in a list: the key of the last item of the previous page."""

    reader = cursors.BY_ID

    def __init__(self, **kwargs):
        kwargs.setdefault("metadata", {"description": CURSOR_FORMAT})
        super().__init__(**kwargs)

    @property
    def pattern(self) -> str:
        return self.reader.pattern

    # Checked in _deserialize, not as a validator: validators see the position it gives.
    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        try:
            return self.reader(text)
        except ValueError:
            raise ValidationError("Not a valid cursor.") from None


class PlanCursor(Cursor):
    """A position in GET /plans: an id, or (updated_at, id) as written by sort=updated."""

    reader = cursors.PLANS

    def __init__(self, **kwargs):
        super().__init__(metadata={"description": PLAN_CURSOR_FORMAT}, **kwargs)


class TaskCursor(Cursor):
    """A position in GET /me/tasks: (since, plan id, kind) of the last task of a page."""

    reader = cursors.TASKS

    def __init__(self, **kwargs):
        super().__init__(metadata={"description": TASK_CURSOR_FORMAT}, **kwargs)


class OverdueCursor(Cursor):
    """A position in GET /reviews/overdue: (due, plan id, assignment id) of the last review."""

    reader = cursors.OVERDUE

    def __init__(self, **kwargs):
        super().__init__(metadata={"description": OVERDUE_CURSOR_FORMAT}, **kwargs)


class UtcQueryDateTime(fields.AwareDateTime):
    """A timestamp with its offset, as UTC; one beyond the years UTC can show (0001-01-01T00:00
    +01:00) is clamped to the first or last representable moment: nothing is that old or new."""

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, str):
            # RFC 3339 allows a lower-case `t` and `z`, and a leap second (read as the last
            # microsecond before it), which Python's parser does not.
            value = LEAP_SECOND.sub(":59.999999", value.upper(), count=1)
        moment = super()._deserialize(value, attr, data, **kwargs)
        try:
            return moment.astimezone(UTC)
        except OverflowError:
            return datetime.min.replace(tzinfo=UTC) if moment.utcoffset() > timedelta(0) \
                else LATEST


class UtcDateTime(fields.DateTime):
    """Timestamps in the one form napflow shows them: UTC, microseconds, `Z`."""

    def _serialize(self, value, attr, obj, **kwargs):
        return None if value is None else isoformat(as_utc(value))
