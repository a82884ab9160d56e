"""The ceiling a transition is measured against: Flask + SQLAlchemy Core doing only the
unavoidable work of one (token hash lookup, plan read, guarded state update with the row
version checked, previous-hash read, hashed audit insert, commit), on napflow's own tables.

Served by gunicorn exactly like napflow (`gunicorn bench.bare_app:app`), on the same database
(`NAPFLOW_DATABASE_URL`). It knows the two transitions the benchmark cycles through and answers
the plan's new state and row version as JSON.
"""

import hashlib
import os

from flask import Flask, jsonify, request
from sqlalchemy import insert, select, update

from models import ApiToken, AuditEvent, Grant, Plan, event_hash, isoformat, utcnow
from models.db import WRITE_LOCK, make_engine

# trigger -> (source state, destination state): the lifecycle work napflow does for the bench.
CYCLE = {"submit_for_review": ("draft", "stakeholder_review"),
         "request_changes": ("stakeholder_review", "draft")}

plans, tokens, grants, events = (Plan.__table__, ApiToken.__table__, Grant.__table__,
                                 AuditEvent.__table__)


def create_app() -> Flask:
    app = Flask(__name__)
    engine = make_engine(os.environ["NAPFLOW_DATABASE_URL"])

    @app.post("/api/v1/plans/<int:plan_id>/transitions")
    def transition(plan_id: int):
        secret = request.headers.get("Authorization", "").partition(" ")[2]
        digest = hashlib.sha256(secret.encode()).hexdigest()
        body = request.get_json()
        trigger, comment = body["trigger"], body.get("comment")
        with engine.connect().execution_options(**{WRITE_LOCK: True}) as conn, conn.begin():
            user = conn.execute(
                select(ApiToken.user_id, ApiToken.revoked_at).where(
                    ApiToken.token_hash == digest)).one_or_none()
            if user is None or user.revoked_at is not None:
                return jsonify(code="unauthenticated"), 401
            plan = conn.execute(select(plans).where(plans.c.id == plan_id)
                                .with_for_update()).one_or_none()
            if plan is None:
                return jsonify(code="not_found"), 404
            drafter = conn.execute(select(grants.c.id).where(
                grants.c.user_id == user.user_id, grants.c.role == "drafter",
                grants.c.country == plan.country)).first()
            source, dest = CYCLE[trigger]
            if drafter is None or plan.state != source:
                return jsonify(code="invalid_transition"), 409
            fields = {"plan_id": plan_id, "seq": plan.audit_seq + 1, "at": isoformat(utcnow()),
                      "actor": "bench", "action": trigger, "from_state": source,
                      "to_state": dest, "content_version": plan.content_version,
                      "comment": comment, "data": None, "prev_hash": plan.audit_head}
            digest = event_hash(fields)
            changed = conn.execute(
                update(plans).where(plans.c.id == plan_id,
                                    plans.c.row_version == plan.row_version)
                .values(state=dest, row_version=plan.row_version + 1,
                        audit_seq=fields["seq"], audit_head=digest, updated_at=utcnow()))
            if changed.rowcount != 1:
                return jsonify(code="conflict"), 409
            conn.execute(insert(events).values(**fields, hash=digest))
        return jsonify(id=plan_id, state=dest, row_version=plan.row_version + 1)

    return app


app = create_app()
