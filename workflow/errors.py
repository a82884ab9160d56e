"""Every refusal napflow makes, as a typed error carrying its HTTP status and problem `code`."""

from typing import Any


class NapflowError(Exception):
    status = 500
    code = "internal_error"
    title = "Internal error"

    def __init__(self, detail: str | None = None, **extra: Any):
        super().__init__(detail or self.title)
        self.detail = detail or self.title
        self.extra = extra


class BadRequest(NapflowError):
    status, code, title = 400, "bad_request", "Bad request"


class Unauthenticated(NapflowError):
    status, code, title = 401, "unauthenticated", "Authentication required"


class Forbidden(NapflowError):
    status, code, title = 403, "forbidden", "Forbidden"


class NotFound(NapflowError):
    status, code, title = 404, "not_found", "Not found"


class InvalidTransition(NapflowError):
    status, code, title = 409, "invalid_transition", "Transition not allowed from this state"

    def __init__(self, trigger: str, state: str, allowed_triggers: list[str]):
        super().__init__(
            f"'{trigger}' cannot be fired from state '{state}'",
            state=state, allowed_triggers=allowed_triggers,
        )


class NotEditable(NapflowError):
    status, code, title = 409, "not_editable", "Not editable in this state"


class IdempotencyKeyInUse(NapflowError):
    status, code, title = 409, "idempotency_key_in_use", "Idempotency key in use"


class PreconditionFailed(NapflowError):
    status, code, title = 412, "precondition_failed", "Precondition failed"


class PreconditionRequired(NapflowError):
    status, code, title = 428, "precondition_required", "Precondition required"


class ValidationFailed(NapflowError):
    status, code, title = 422, "validation_error", "Validation error"

    def __init__(self, errors: dict[str, list[str]], detail: str | None = None):
        super().__init__(detail or "The request has invalid fields", errors=errors)
        self.errors = errors


class UnknownTrigger(NapflowError):
    status, code, title = 422, "unknown_trigger", "Unknown trigger"

    def __init__(self, trigger: str, workflow: str, triggers: list[str]):
        super().__init__(f"workflow '{workflow}' has no trigger '{trigger}'", triggers=triggers)


class GuardFailed(NapflowError):
    status, code, title = 422, "guard_failed", "Guard failed"

    def __init__(self, trigger: str, reasons: list[str]):
        super().__init__(f"'{trigger}' cannot be fired yet: " + "; ".join(reasons),
                         reasons=reasons)
        self.reasons = reasons


class IdempotencyKeyReused(NapflowError):
    status, code, title = 422, "idempotency_key_reused", "Idempotency key reused"
