"""The shape of a plan's `content`, and its normal form as stored in a content version."""

from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from workflow.errors import ValidationFailed
from workflow.terms import StrictBoolean, Term, not_blank

OBLIGATIONS = ("OP1", "OP2", "OP3a", "OP3b", "OP3c", "OP3d")
DOMAINS = ("nuclear", "chemical", "biological", "delivery")
MEASURE_STATUSES = ("planned", "in_progress", "done")


class PeriodSchema(Schema):
    start = fields.Date(required=True)
    end = fields.Date(required=True)

    @validates_schema
    def end_not_before_start(self, data, **_kwargs):
        if data["end"] < data["start"]:
            raise ValidationError("End must not be before start.", field_name="end")


class MeasureSchema(Schema):
    obligation = Term("Obligation", OBLIGATIONS, required=True, metadata={
        "description": "OP1, OP2, and OP3a accounting, b physical protection, c border "
                       "controls, d export controls"})
    description = fields.String(required=True, validate=[not_blank, validate.Length(max=10000)])
    lead_agency = fields.String(required=True, validate=[not_blank, validate.Length(max=300)])
    due = fields.Date()
    domains = fields.List(Term("Domain", DOMAINS),
                          validate=validate.Length(max=len(DOMAINS)))
    assistance_needed = StrictBoolean(load_default=False)
    status = Term("MeasureStatus", MEASURE_STATUSES, load_default="planned")


class PlanContentSchema(Schema):
    summary = fields.String(validate=validate.Length(max=20000))
    period = fields.Nested(PeriodSchema)
    measures = fields.List(fields.Nested(MeasureSchema), load_default=list,
                           validate=validate.Length(max=1000))


_schema = PlanContentSchema()


def flatten_errors(messages: Any, prefix: str) -> dict[str, list[str]]:
    """marshmallow's nested messages as {"content.measures.0.description": [...]}."""
    flat: dict[str, list[str]] = {}
    if isinstance(messages, dict):
        for key, value in messages.items():
            path = prefix if key == "_schema" else f"{prefix}.{key}" if prefix else str(key)
            for sub, msgs in flatten_errors(value, path).items():
                flat.setdefault(sub, []).extend(msgs)
    elif isinstance(messages, list) and all(isinstance(m, str) for m in messages):
        flat[prefix] = list(messages)
    elif isinstance(messages, list):
        for msg in messages:
            for sub, msgs in flatten_errors(msg, prefix).items():
                flat.setdefault(sub, []).extend(msgs)
    else:
        flat[prefix] = [str(messages)]
    return flat


def normalize_content(raw: Any) -> dict[str, Any]:
    """Validate `raw` and return it in normal form (ISO dates, defaults filled in).

    Raises ValidationFailed with errors keyed by field path under `content`.
    """
    if not isinstance(raw, dict):
        raise ValidationFailed({"content": ["Must be a JSON object."]})
    try:
        loaded = _schema.load(raw)
    except ValidationError as err:
        raise ValidationFailed(flatten_errors(err.messages, "content")) from None
    return _schema.dump(loaded)
