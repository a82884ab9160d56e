"""napflow's SQLAlchemy models, one aggregate per module."""

from models.audit import AuditEvent, SystemChainHead, canonical_json, event_hash
from models.base import Base, as_utc, isoformat, utcnow
from models.counts import OpenReviewCount, OpenReviewTotal
from models.form_key import FORM_KEY_LENGTH, FormKey
from models.idempotency import IdempotencyRecord
from models.plan import GENESIS_HASH, ContentVersion, Plan
from models.review import DECISIONS, Review, ReviewerAssignment
from models.sign_in import TRIED_NAME_LENGTH, SignInAttempts
from models.status_counts import StatusCount, WaitingRole
from models.user import (
    COUNTRY_ROLES,
    GLOBAL_ROLES,
    ROLES,
    ApiToken,
    Grant,
    GrantHolder,
    User,
    hash_token,
    token_usable,
)

__all__ = [
    "AuditEvent", "SystemChainHead", "canonical_json", "event_hash", "Base", "as_utc",
    "isoformat", "utcnow", "FORM_KEY_LENGTH", "FormKey", "IdempotencyRecord",
    "OpenReviewCount", "OpenReviewTotal", "GENESIS_HASH",
    "ContentVersion", "Plan", "DECISIONS", "Review", "ReviewerAssignment", "TRIED_NAME_LENGTH",
    "SignInAttempts", "StatusCount", "WaitingRole", "COUNTRY_ROLES", "GLOBAL_ROLES", "ROLES",
    "ApiToken", "Grant", "GrantHolder", "User", "hash_token", "token_usable",
]
