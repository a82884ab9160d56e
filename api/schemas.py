"""marshmallow schemas: what the API accepts (…Args, unknown fields refused) and returns."""

import base64
import binascii
import json
from datetime import UTC
from functools import cache

from marshmallow import Schema, ValidationError, fields, validate

from models import as_utc, isoformat
from workflow.access import MAX_ID
from workflow.content import PlanContentSchema, not_blank
from workflow.countries import is_iso3

MAX_LIMIT = 500


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


def encode_cursor(after: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"after": after}).encode()).decode().rstrip("=")


# -- requests ----------------------------------------------------------------------------
class PageArgs(Schema):
    cursor = Cursor()
    limit = fields.Integer(load_default=50, validate=validate.Range(1, MAX_LIMIT))


class PlanListArgs(PageArgs):
    country = fields.String(validate=iso3)
    state = fields.String(validate=validate.Length(1, 64))
    workflow = fields.String(validate=validate.Length(1, 64))


class AuditListArgs(PageArgs):
    country = fields.String(validate=iso3)
    plan = fields.Integer(validate=validate.Range(1, MAX_ID))
    actor = fields.String(validate=validate.Length(1, 64))
    action = fields.String(validate=validate.Length(1, 64))
    since = UtcQueryDateTime()
    until = UtcQueryDateTime()


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


class StatusSchema(Schema):
    plans = fields.List(fields.Dict())
    overdue_reviews = fields.List(fields.Dict())
