"""Published heads: one short digest over every chain's head, to keep outside napflow.

The chains detect any edit, deletion, insertion or reordering of events, and the heads kept on
the plan rows detect a cut-off tail. What a chain cannot detect on its own is someone with
write access to the database rewriting a whole chain consistently (recomputing every hash and
the stored head) or deleting a plan together with its whole history. A digest published at
some moment (printed, mailed to the Committee, filed in a register) pins every chain as it
stood then: `verify --against` recomputes it from today's database and any such rewrite of the
past shows as a mismatch.

Format: `napflow-head-v1:<watermark>:<sha256>`, where the watermark is the last audit event id
included, so the digest can be recomputed later however much the log has grown since.
"""

import hashlib
from dataclasses import dataclass

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from models import AuditEvent, canonical_json

PREFIX = "napflow-head-v1"


@dataclass(frozen=True)
class PublishedHead:
    watermark: int
    digest: str

    def __str__(self) -> str:
        return f"{PREFIX}:{self.watermark}:{self.digest}"

    @classmethod
    def parse(cls, value: str) -> "PublishedHead":
        prefix, _, rest = value.strip().partition(":")
        watermark, _, digest = rest.partition(":")
        if (prefix != PREFIX or not watermark.isdigit() or len(digest) != 64
                or any(c not in "0123456789abcdef" for c in digest)):
            raise ValueError(f"not a published head ({PREFIX}:<event id>:<64 hex digits>)")
        return cls(int(watermark), digest)


def chain_heads(session: Session, watermark: int) -> list[tuple[int | None, int, str]]:
    """(plan_id, seq, hash) of each chain's last event with id <= watermark, system chain
    first. Within a chain ids grow with seq: events are appended one at a time under a lock."""
    last = (select(func.max(AuditEvent.id).label("id")).where(AuditEvent.id <= watermark)
            .group_by(AuditEvent.plan_id).subquery())
    rows = session.execute(
        select(AuditEvent.plan_id, AuditEvent.seq, AuditEvent.hash)
        .join(last, last.c.id == AuditEvent.id)
        .order_by(AuditEvent.plan_id.is_not(None), AuditEvent.plan_id)).all()
    return [tuple(row) for row in rows]


def digest_at(session: Session, watermark: int) -> str:
    heads = [list(head) for head in chain_heads(session, watermark)]
    return hashlib.sha256(canonical_json(heads).encode("utf-8")).hexdigest()


def publish_head(session: Session) -> PublishedHead:
    """The digest of the log as it stands. Call it in a writing transaction: writers are held
    off while the watermark is read, so no event below it can still be uncommitted."""
    if session.get_bind().dialect.name == "postgresql":
        # Waits for transactions that already inserted events; SQLite's BEGIN IMMEDIATE
        # (the writing transaction) already excludes every other writer.
        session.execute(text("LOCK TABLE audit_events IN SHARE MODE"))
    watermark = last_event_id(session)
    return PublishedHead(watermark, digest_at(session, watermark))


def last_event_id(session: Session) -> int:
    """The newest event's id (0 for an empty log): below a published head's watermark, the
    log is behind what was published (an older backup restored, or its newest events cut)."""
    return session.scalar(select(func.coalesce(func.max(AuditEvent.id), 0)))


def matches(session: Session, published: PublishedHead) -> bool:
    return digest_at(session, published.watermark) == published.digest
