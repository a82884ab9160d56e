"""marshmallow schemas: what the API accepts (…Args, unknown fields refused) and returns.

Every field of a response schema is `required`: it is always there, `null` where it says
`allow_none`. Names from a closed set are `term`s, shown as named enums in the document.
"""

from functools import cache

from marshmallow import Schema, fields, post_load, validate

from api.fields import (
    CURSOR_PATTERN,
    EPOCH,
    OVERDUE_CURSOR_PATTERN,
    PLAN_CURSOR_PATTERN,
    TASK_CURSOR_PATTERN,
    ContentField,
    Cursor,
    OverdueCursor,
    Pattern,
    PlanCursor,
    TaskCursor,
    UtcDateTime,
    UtcQueryDateTime,
)
from api.fields import encode_cursor as encode_cursor  # where it was: views import it from here
from models import COUNTRY_ROLES, GLOBAL_ROLES
from workflow.access import MAX_ID
from workflow.terms import StrictBoolean, not_blank
from workflow.users import USERNAME
from workflow.vocabulary import term

MAX_LIMIT = 500
HASH = r"^[0-9a-f]{64}$"
# `role` or `role:ISO3`: the auditor may hold either.
GRANT = (r"^({}|({}):[A-Z]{{3}})$".format("|".join(sorted(GLOBAL_ROLES | {"auditor"})),
                                            "|".join(sorted(COUNTRY_ROLES | {"auditor"}))))
TITLE = [not_blank, validate.Length(max=300)]
WHEN = {"format": "date-time"}  # a timestamp kept as text: still UTC ISO 8601 with `Z`


def always(field_type: type[fields.Field], *args, **kwargs) -> fields.Field:
    """A response field that is always present."""
    return field_type(*args, required=True, **kwargs)


# -- requests ----------------------------------------------------------------------------
class PageArgs(Schema):
    cursor = Cursor()
    limit = fields.Integer(load_default=50, validate=validate.Range(1, MAX_LIMIT))


class PlanListArgs(PageArgs):
    cursor = PlanCursor()
    country = term("Country")
    state = term("State")
    workflow = term("WorkflowKey")
    waiting_on = term("Role", metadata={
        "description": "Plans waiting on this role: those in a state whose forward "
                       "triggers (not back to draft, not withdrawal) the role fires"})
    updated_since = UtcQueryDateTime(metadata={
        "description": "Plans changed at or after this time (ISO 8601 with offset)"})
    sort = fields.String(load_default="id", validate=validate.OneOf(("id", "updated")),
                         metadata={"description": "`id` (default): oldest plan first; "
                                                  "`updated`: least recently updated first"})

    @post_load
    def cursor_in_this_order(self, data, **kwargs):
        """Any cursor names a position in the order asked for (see PLAN_CURSOR_FORMAT)."""
        after = data.get("cursor")
        if isinstance(after, tuple) and data["sort"] != "updated":
            data["cursor"] = after[1]
        elif isinstance(after, int) and data["sort"] == "updated":
            data["cursor"] = (EPOCH, after)
        return data


class TaskListArgs(PageArgs):
    cursor = TaskCursor()


class OverdueListArgs(PageArgs):
    cursor = OverdueCursor()
    country = term("Country", metadata={"description": "The plans' country"})


class AuditFilterArgs(Schema):
    """The audit search's filters (workflow.audit_search.AuditFilters), each optional."""

    country = term("Country", metadata={"description": "The plans' country"})
    plan = fields.Integer(validate=validate.Range(1, MAX_ID))
    actor = fields.String(validate=validate.Length(1, 64))
    action = term("AuditAction", metadata={
        "description": "A trigger, `create`, `edit`, `review`, a user or grant change..."})
    from_state = term("State")
    to_state = term("State")
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
    country = term("Country", required=True)
    title = fields.String(required=True, validate=TITLE)
    workflow = term("WorkflowKey", load_default="nap-1540")
    content = ContentField(load_default=dict)


class PlanEditArgs(Schema):
    title = fields.String(validate=TITLE)
    content = ContentField()


class TransitionDataSchema(Schema):
    """What a transition's request guards read: only those of the trigger fired are taken."""

    reference = fields.String(allow_none=True, metadata={
        "description": "submit_to_committee: the note verbale or letter reference"})
    publication_consent = StrictBoolean(allow_none=True, metadata={
        "description": "submit_to_committee: whether the Committee may publish the plan"})


class TransitionArgs(Schema):
    # Not refused here: a trigger the plan's workflow lacks is the contract's `unknown_trigger`.
    trigger = term("Trigger", required=True, check=False)
    comment = fields.String(allow_none=True, validate=validate.Length(max=10000), metadata={
        "description": "Required, not blank, by triggers whose workflow guards name `comment`"})
    data = fields.Nested(TransitionDataSchema, load_default=dict)


class ReviewerArgs(Schema):
    username = fields.String(required=True, validate=Pattern(USERNAME.pattern,
                                                             "Not a valid username."))
    required = StrictBoolean(load_default=True)
    due = fields.Date(metadata={"description": "The day the review is due (today or later); "
                                               "default: the workflow's review_due_days after "
                                               "the plan enters review"})


class ReviewArgs(Schema):
    decision = term("Decision", required=True)
    comment = fields.String(allow_none=True, validate=validate.Length(max=10000), metadata={
        "description": "Required, not blank, with request_changes"})


# -- responses ---------------------------------------------------------------------------
class AvailableTriggerSchema(Schema):
    trigger = always(term, "Trigger")
    ready = always(fields.Boolean)
    reasons = always(fields.List, fields.String(), metadata={
        "description": "Why it is not ready: each unmet condition"})


class SubmissionSchema(Schema):
    reference = always(fields.String)
    submitted_at = always(fields.String, metadata=WHEN)
    publication_consent = always(fields.Boolean)


class PlanSummarySchema(Schema):
    id = always(fields.Integer)
    country = always(term, "Country")
    title = always(fields.String)
    workflow = always(term, "WorkflowKey")
    state = always(term, "State")
    revision = always(fields.Integer)
    content_version = always(fields.Integer)
    updated_at = always(UtcDateTime)


class PlanSchema(PlanSummarySchema):
    content = always(ContentField)
    submission = always(fields.Nested, SubmissionSchema, allow_none=True, metadata={
        "description": "Set by submit_to_committee; null until then"})
    available_triggers = always(fields.List, fields.Nested(AvailableTriggerSchema), metadata={
        "description": "Each trigger the caller's roles may fire from the current state"})
    created_by = always(fields.String)
    created_at = always(UtcDateTime)


class VersionSchema(Schema):
    number = always(fields.Integer)
    revision = always(fields.Integer)
    content = always(ContentField)
    author = always(fields.String)
    created_at = always(UtcDateTime)
    submitted = always(fields.Boolean)


class ReviewerSchema(Schema):
    username = always(fields.String)
    required = always(fields.Boolean)
    assigned_by = always(fields.String)
    assigned_at = always(UtcDateTime)
    due = always(fields.Date, allow_none=True, metadata={
        "description": "null in draft until the plan enters review, unless the drafter gave "
                       "a day"})


class ReviewSchema(Schema):
    id = always(fields.Integer)
    reviewer = always(fields.String)
    decision = always(term, "Decision")
    comment = always(fields.String, allow_none=True)
    revision = always(fields.Integer)
    content_version = always(fields.Integer)
    created_at = always(UtcDateTime)


class AuditEventSchema(Schema):
    plan_id = always(fields.Integer, allow_none=True, metadata={
        "description": "null for events about users and grants (their own chain)"})
    seq = always(fields.Integer)
    # Text, not a date-time to parse: the hash is over exactly these characters.
    at = always(fields.String, metadata={"description": "UTC ISO 8601 with microseconds and "
                                                       "`Z`, exactly as hashed"})
    actor = always(fields.String)
    action = always(term, "AuditAction")
    from_state = always(term, "State", allow_none=True)
    to_state = always(term, "State", allow_none=True)
    content_version = always(fields.Integer, allow_none=True)
    comment = always(fields.String, allow_none=True)
    data = always(fields.Dict, allow_none=True)
    prev_hash = always(fields.String, validate=validate.Regexp(HASH))
    hash = always(fields.String, validate=validate.Regexp(HASH))


@cache
def page_of(item_schema: type[Schema], cursor: str = CURSOR_PATTERN) -> type[Schema]:
    """The list envelope every list answers with: {"items": [...], "next_cursor": ...}."""
    return type(f"{item_schema.__name__.removesuffix('Schema')}PageSchema", (Schema,), {
        "items": always(fields.List, fields.Nested(item_schema)),
        "next_cursor": always(fields.String, allow_none=True, validate=Pattern(cursor, ""),
                              metadata={"description": "The cursor of the next page; null on "
                                                       "the last"}),
    })


def plan_page() -> type[Schema]:
    return page_of(PlanSummarySchema, PLAN_CURSOR_PATTERN)


class VerifySchema(Schema):
    valid = always(fields.Boolean)
    events = always(fields.Integer)
    head = always(fields.String, validate=validate.Regexp(HASH))
    first_invalid_seq = always(fields.Integer, allow_none=True)


class MeSchema(Schema):
    username = always(fields.String)
    grants = always(fields.List, fields.String(validate=validate.Regexp(GRANT)))


class WorkflowStateSchema(Schema):
    name = always(term, "State")
    editable = always(fields.Boolean, metadata={"description": "Content may change"})
    reviewers = always(term, "ReviewerPolicy", metadata={
        "description": "Whether reviewers may be assigned (and removed) in this state"})
    reviews_open = always(fields.Boolean, metadata={"description": "Reviews are recorded"})
    final = always(fields.Boolean)


class WorkflowTransitionSchema(Schema):
    trigger = always(term, "Trigger")
    source = always(fields.List, term("State"))
    dest = always(term, "State")
    roles = always(fields.List, term("TransitionRole"))
    guards = always(fields.List, term("Guard"), metadata={
        "description": "What must hold: on the plan, and on the request (a comment, data)"})
    effects = always(fields.List, term("Effect"))


class WorkflowSchema(Schema):
    key = always(term, "WorkflowKey")
    title = always(fields.String)
    initial = always(term, "State")
    review_due_days = always(fields.Integer, allow_none=True)
    states = always(fields.List, fields.Nested(WorkflowStateSchema))
    transitions = always(fields.List, fields.Nested(WorkflowTransitionSchema))


class StateCountSchema(Schema):
    country = always(term, "Country")
    state = always(term, "State")
    count = always(fields.Integer)


class WaitingCountSchema(Schema):
    country = always(term, "Country")
    role = always(term, "Role")
    count = always(fields.Integer)


class OverdueReviewSchema(Schema):
    plan_id = always(fields.Integer)
    country = always(term, "Country")
    reviewer = always(fields.String)
    required = always(fields.Boolean)
    due = always(fields.Date)
    in_review_since = always(fields.String, metadata=WHEN)


class OverdueCountSchema(Schema):
    country = always(term, "Country")
    count = always(fields.Integer)


class StatusSchema(Schema):
    plans = always(fields.List, fields.Nested(StateCountSchema), metadata={
        "description": "Visible plans by country and state"})
    waiting = always(fields.List, fields.Nested(WaitingCountSchema), metadata={
        "description": "Visible plans by country and the role they wait on"})
    overdue = always(fields.List, fields.Nested(OverdueCountSchema), metadata={
        "description": "Reviews past their due day with no decision on the current version, "
                       "by country (only on plans the caller sees nationally: never to the "
                       "Committee); GET /reviews/overdue lists them"})


class TaskSchema(Schema):
    kind = always(term, "TaskKind", metadata={
        "description": "`transition`: fire one of `triggers`; `review`: record a review"})
    plan = always(fields.Nested, PlanSummarySchema)
    since = always(fields.String, metadata={
        **WHEN, "description": "When the task arose: the plan entered its state (for a "
                               "review, or the reviewer was assigned, whichever is later)"})
    triggers = always(fields.List, fields.Nested(AvailableTriggerSchema), metadata={
        "description": "The forward triggers the caller may fire now (all ready)"})
    due = always(fields.Date, allow_none=True,
                 metadata={"description": "For a review: the day it is due"})
    overdue = always(fields.Boolean)


def task_page() -> type[Schema]:
    return page_of(TaskSchema, TASK_CURSOR_PATTERN)


def overdue_page() -> type[Schema]:
    return page_of(OverdueReviewSchema, OVERDUE_CURSOR_PATTERN)
