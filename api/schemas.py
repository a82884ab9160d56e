"""marshmallow schemas: what the API accepts (…Args, unknown fields refused) and returns."""

import base64
import binascii
import json
from datetime import UTC, datetime
from functools import cache

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from models import as_utc, isoformat
from workflow.access import MAX_ID
from workflow.content import PlanContentSchema, not_blank
from workflow.countries import is_iso3
from workflow.engine import WAITING_ROLES

MAX_LIMIT = 500
CURSOR_FORMAT = ("Opaque; the `next_cursor` of the previous page. It is base64url JSON naming "
                 "the last plan of that page: `{\"after\": id}`, or with `sort=updated` "
                 "`{\"after\": id, \"updated_at\": \"2026-01-31T12:00:00.000000Z\"}`; a plan "
                 "changed while you page moves to the end and comes again, none is skipped")


def iso3(value: str) -> None:
    if not is_iso3(value):
        raise ValidationError("Not an upper-case ISO 3166-1 alpha-3 country code.")


class ContentField(fields.Nested):
    """Plan content, validated by PlanContentSchema and kept in its JSON normal form."""

    def __init__(self, **kwargs):
        super().__init__(PlanContentSchema, **kwargs)

    def _deserialize(self, value, attr, data, partial=None, **kwargs):
        loaded = super()._deserialize(value, attr, data, partial=partial, **kwargs)
        return self.schema.dump(loaded)


class Cursor(fields.String):
    """An opaque position in a list: the key of the last item of the previous page."""

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        try:
            after = json.loads(base64.urlsafe_b64decode(text.encode() + b"==="))["after"]
        except (ValueError, KeyError, TypeError, binascii.Error):
            raise ValidationError("Not a valid cursor.") from None
        if not isinstance(after, int) or isinstance(after, bool) or not 0 <= after <= MAX_ID:
            raise ValidationError("Not a valid cursor.")
        return after


class UtcQueryDateTime(fields.AwareDateTime):
    """A timestamp with its offset, as UTC; one that has no UTC equivalent is invalid."""

    def _deserialize(self, value, attr, data, **kwargs):
        moment = super()._deserialize(value, attr, data, **kwargs)
        try:
            return moment.astimezone(UTC)
        except OverflowError:
            raise ValidationError("Not a representable UTC time.") from None


class UtcDateTime(fields.DateTime):
    """Timestamps in the one form napflow shows them: UTC, microseconds, `Z`."""

    def _serialize(self, value, attr, obj, **kwargs):
        return None if value is None else isoformat(as_utc(value))


def encode_cursor(after: int | tuple[datetime, int]) -> str:
    """base64url (unpadded) of JSON: {"after": id}, or for sort=updated
    {"after": id, "updated_at": "<UTC ISO 8601>"} (the last plan of the page)."""
    key = ({"after": after[1], "updated_at": isoformat(after[0])} if isinstance(after, tuple)
           else {"after": after})
    return base64.urlsafe_b64encode(json.dumps(key).encode()).decode().rstrip("=")


class PlanCursor(Cursor):
    """A position in GET /plans: an id, or (updated_at, id) when sorted by update."""

    def _deserialize(self, value, attr, data, **kwargs):
        after = super()._deserialize(value, attr, data, **kwargs)
        key = json.loads(base64.urlsafe_b64decode(value.encode() + b"==="))
        if set(key) == {"after"}:
            return after
        try:
            at = datetime.fromisoformat(key["updated_at"])
        except (KeyError, TypeError, ValueError):
            raise ValidationError("Not a valid cursor.") from None
        if set(key) != {"after", "updated_at"} or at.tzinfo is None:
            raise ValidationError("Not a valid cursor.")
        return at.astimezone(UTC), after


# -- requests ----------------------------------------------------------------------------
class PageArgs(Schema):
    cursor = Cursor()
    limit = fields.Integer(load_default=50, validate=validate.Range(1, MAX_LIMIT))


class PlanListArgs(PageArgs):
    cursor = PlanCursor(metadata={"description": CURSOR_FORMAT})
    country = fields.String(validate=iso3)
    state = fields.String(validate=validate.Length(1, 64))
    workflow = fields.String(validate=validate.Length(1, 64))
    waiting_on = fields.String(validate=validate.OneOf(WAITING_ROLES), metadata={
        "description": "Plans waiting on this role: those in a state whose forward "
                       "triggers (not back to draft, not withdrawal) the role fires"})
    updated_since = UtcQueryDateTime(metadata={
        "description": "Plans changed at or after this time (ISO 8601 with offset)"})
    sort = fields.String(load_default="id", validate=validate.OneOf(("id", "updated")),
                         metadata={"description": "`id` (default): oldest plan first; "
                                                  "`updated`: least recently updated first"})

    @validates_schema
    def cursor_fits_sort(self, data, **kwargs):
        if "cursor" in data and isinstance(data["cursor"], tuple) != (data["sort"] == "updated"):
            raise ValidationError("The cursor belongs to another sort order.", "cursor")


class AuditFilterArgs(Schema):
    """The audit search's filters (workflow.audit_search.AuditFilters), each optional."""

    country = fields.String(validate=iso3, metadata={"description": "The plans' country"})
    plan = fields.Integer(validate=validate.Range(1, MAX_ID))
    actor = fields.String(validate=validate.Length(1, 64))
    action = fields.String(validate=validate.Length(1, 64),
                           metadata={"description": "A trigger, `create`, `edit`, `review`..."})
    from_state = fields.String(validate=validate.Length(1, 64))
    to_state = fields.String(validate=validate.Length(1, 64))
    since = UtcQueryDateTime(metadata={
        "description": "Events at or after this time (ISO 8601 with offset)"})
    until = UtcQueryDateTime(metadata={
        "description": "Events before this time (ISO 8601 with offset)"})


class AuditListArgs(PageArgs, AuditFilterArgs):
    pass


class AuditExportArgs(AuditFilterArgs):
    format = fields.String(load_default="jsonl", validate=validate.OneOf(("jsonl", "csv")),
                           metadata={"description": "`jsonl` (default): one event per line "
                                                    "as GET /audit shows it; `csv`: a header "
                                                    "row, then one row per event"})


class PlanCreateArgs(Schema):
    country = fields.String(required=True, validate=iso3)
    title = fields.String(required=True, validate=[not_blank, validate.Length(max=300)])
    workflow = fields.String(load_default="nap-1540", validate=validate.Length(1, 64))
    content = ContentField(load_default=dict)


class PlanEditArgs(Schema):
    title = fields.String(validate=[not_blank, validate.Length(max=300)])
    content = ContentField()


class TransitionArgs(Schema):
    trigger = fields.String(required=True, validate=validate.Length(1, 64))
    comment = fields.String(allow_none=True, validate=validate.Length(max=10000))
    data = fields.Dict(keys=fields.String(), load_default=dict)


class ReviewerArgs(Schema):
    username = fields.String(required=True, validate=validate.Length(1, 64))
    required = fields.Boolean(load_default=True)
    due = fields.Date(metadata={"description": "The day the review is due (today or later); "
                                               "default: the workflow's review_due_days after "
                                               "the plan enters review"})


class ReviewArgs(Schema):
    decision = fields.String(required=True,
                             validate=validate.OneOf(("approve", "request_changes")))
    comment = fields.String(allow_none=True, validate=validate.Length(max=10000))


# -- responses ---------------------------------------------------------------------------
class TriggerSchema(Schema):
    trigger = fields.String()
    ready = fields.Boolean()
    reasons = fields.List(fields.String())


class SubmissionSchema(Schema):
    reference = fields.String()
    submitted_at = fields.String()
    publication_consent = fields.Boolean()


class PlanSummarySchema(Schema):
    id = fields.Integer()
    country = fields.String()
    title = fields.String()
    workflow = fields.String()
    state = fields.String()
    revision = fields.Integer()
    content_version = fields.Integer()
    updated_at = UtcDateTime()


class PlanSchema(PlanSummarySchema):
    content = fields.Dict()
    submission = fields.Nested(SubmissionSchema, allow_none=True)
    available_triggers = fields.List(fields.Nested(TriggerSchema))
    created_by = fields.String()
    created_at = UtcDateTime()


class VersionSchema(Schema):
    number = fields.Integer()
    revision = fields.Integer()
    content = fields.Dict()
    author = fields.String()
    created_at = UtcDateTime()
    submitted = fields.Boolean()


class ReviewerSchema(Schema):
    username = fields.String()
    required = fields.Boolean()
    assigned_by = fields.String()
    assigned_at = UtcDateTime()
    due = fields.Date(required=True, allow_none=True,
                      metadata={"description": "null in draft until the plan enters review, "
                                               "unless the drafter gave a day"})


class ReviewSchema(Schema):
    id = fields.Integer()
    reviewer = fields.String()
    decision = fields.String()
    comment = fields.String(allow_none=True)
    revision = fields.Integer()
    content_version = fields.Integer()
    created_at = UtcDateTime()


class AuditEventSchema(Schema):
    plan_id = fields.Integer(allow_none=True)
    seq = fields.Integer()
    at = fields.String()
    actor = fields.String()
    action = fields.String()
    from_state = fields.String(allow_none=True)
    to_state = fields.String(allow_none=True)
    content_version = fields.Integer(allow_none=True)
    comment = fields.String(allow_none=True)
    data = fields.Dict(allow_none=True)
    prev_hash = fields.String()
    hash = fields.String()


@cache
def page_of(item_schema: type[Schema]) -> type[Schema]:
    """The list envelope every list answers with: {"items": [...], "next_cursor": ...}."""
    return type(f"{item_schema.__name__.removesuffix('Schema')}PageSchema", (Schema,), {
        "items": fields.List(fields.Nested(item_schema)),
        "next_cursor": fields.String(allow_none=True),
    })


class VerifySchema(Schema):
    valid = fields.Boolean()
    events = fields.Integer()
    head = fields.String()
    first_invalid_seq = fields.Integer(allow_none=True)


class MeSchema(Schema):
    username = fields.String()
    grants = fields.List(fields.String())


class StateCountSchema(Schema):
    country = fields.String(required=True)
    state = fields.String(required=True)
    count = fields.Integer(required=True)


class WaitingCountSchema(Schema):
    country = fields.String(required=True)
    role = fields.String(required=True, validate=validate.OneOf(WAITING_ROLES))
    count = fields.Integer(required=True)


class OverdueReviewSchema(Schema):
    plan_id = fields.Integer(required=True)
    country = fields.String(required=True)
    reviewer = fields.String(required=True)
    required = fields.Boolean(required=True)
    due = fields.Date(required=True)
    in_review_since = fields.String(required=True)


class StatusSchema(Schema):
    plans = fields.List(fields.Nested(StateCountSchema), required=True,
                        metadata={"description": "Visible plans by country and state"})
    waiting = fields.List(fields.Nested(WaitingCountSchema), required=True, metadata={
        "description": "Visible plans by country and the role they wait on"})
    overdue_reviews = fields.List(fields.Nested(OverdueReviewSchema), required=True, metadata={
        "description": "Reviews past their due day with no decision on the current version "
                       "(only on plans the caller sees nationally: never to the Committee)"})


class TaskSchema(Schema):
    kind = fields.String(required=True, validate=validate.OneOf(("transition", "review")),
                         metadata={"description": "`transition`: fire one of `triggers`; "
                                                  "`review`: record a review"})
    plan = fields.Nested(PlanSummarySchema, required=True)
    since = fields.String(required=True, metadata={
        "description": "When the task arose: the plan entered its state (for a review, or "
                       "the reviewer was assigned, whichever is later)"})
    triggers = fields.List(fields.Nested(TriggerSchema), required=True, metadata={
        "description": "The forward triggers the caller may fire now (all ready)"})
    due = fields.Date(required=True, allow_none=True,
                      metadata={"description": "For a review: the day it is due"})
    overdue = fields.Boolean(required=True)


class TaskListSchema(Schema):
    items = fields.List(fields.Nested(TaskSchema), required=True)
