"""Plans: create, list, read, edit, fire transitions, and read their content versions."""

from flask import request, url_for
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import RAISE

from api.auth import current_user
from api.fields import encode_cursor
from api.openapi import ETAG, LOCATION
from api.schemas import (
    PageArgs,
    PlanCreateArgs,
    PlanEditArgs,
    PlanListArgs,
    PlanSchema,
    TransitionArgs,
    VersionSchema,
    page_of,
    plan_page,
)
from runtime import db
from workflow import queries, service
from workflow.access import load_plan

blp = Blueprint("plans", __name__, url_prefix="/api/v1/plans",
                description="National action plans and their lifecycle")


def listing(found: queries.Page) -> dict:
    return {"items": found.items,
            "next_cursor": encode_cursor(found.next_after) if found.next_after else None}


def plan_listing(list_of, args: dict, plan_id: int) -> dict:
    """One page of a plan's sub-list (`queries.list_versions`, `history`...), if visible."""
    session, user = db.session(), current_user()
    plan = load_plan(session, user, plan_id)
    return listing(list_of(session, user, plan, args.get("cursor"), args["limit"]))


def shown(plan, status: int = 200, **headers):
    session, user = db.session(), current_user()
    return queries.plan_view(session, user, plan), status, {"ETag": plan.etag, **headers}


@blp.route("")
class Plans(MethodView):
    @blp.doc(operationId="list_plans")
    @blp.arguments(PlanListArgs(), location="query", unknown=RAISE)
    @blp.response(200, plan_page())
    def get(self, args):
        """List the plans the caller may see."""
        after, limit = args.pop("cursor", None), args.pop("limit")
        return listing(queries.list_plans(db.session(), current_user(), after=after,
                                          limit=limit, **args))

    @blp.doc(operationId="create_plan")
    @blp.arguments(PlanCreateArgs())
    @blp.response(201, PlanSchema, headers={**ETAG, **LOCATION})
    @blp.alt_response(403, response="FORBIDDEN")
    def post(self, args):
        """Create a plan in its workflow's initial state (drafters of that country)."""
        plan = service.create_plan(db.session(), current_user(), **args)
        return shown(plan, 201, Location=url_for("plans.PlanById", plan_id=plan.id))


@blp.route("/<int:plan_id>")
class PlanById(MethodView):
    @blp.doc(operationId="get_plan")
    @blp.response(200, PlanSchema, headers=ETAG)
    def get(self, plan_id):
        """A plan, with the triggers the caller may fire now."""
        return shown(load_plan(db.session(), current_user(), plan_id))

    @blp.doc(operationId="edit_plan")
    @blp.arguments(PlanEditArgs())
    @blp.response(200, PlanSchema, headers=ETAG)
    @blp.alt_response(403, response="FORBIDDEN")
    @blp.alt_response(412, response="PRECONDITION_FAILED")
    @blp.alt_response(428, response="PRECONDITION_REQUIRED")
    def patch(self, args, plan_id):
        """Change the title or replace the content of a draft (If-Match required)."""
        return shown(service.edit_plan(db.session(), current_user(), plan_id,
                                       if_match=request.headers.get("If-Match"),
                                       require_if_match=True, **args))


@blp.route("/<int:plan_id>/transitions")
class Transitions(MethodView):
    @blp.doc(operationId="fire_transition")
    @blp.arguments(TransitionArgs())
    @blp.response(200, PlanSchema, headers=ETAG)
    @blp.alt_response(403, response="FORBIDDEN")
    @blp.alt_response(412, response="PRECONDITION_FAILED")
    def post(self, args, plan_id):
        """Fire a trigger: the state change, its effects and its audit event happen together."""
        plan = service.fire(db.session(), current_user(), plan_id, args["trigger"],
                            comment=args.get("comment"), data=args["data"],
                            if_match=request.headers.get("If-Match"))
        return shown(plan)


@blp.route("/<int:plan_id>/versions")
class Versions(MethodView):
    @blp.doc(operationId="list_versions")
    @blp.arguments(PageArgs(), location="query", unknown=RAISE)
    @blp.response(200, page_of(VersionSchema))
    def get(self, args, plan_id):
        """The plan's content versions, oldest first."""
        return plan_listing(queries.list_versions, args, plan_id)


@blp.route("/<int:plan_id>/versions/<int:number>")
class VersionByNumber(MethodView):
    @blp.doc(operationId="get_version")
    @blp.response(200, VersionSchema)
    def get(self, plan_id, number):
        """One content version."""
        session, user = db.session(), current_user()
        return queries.get_version(session, user, load_plan(session, user, plan_id), number)
