"""Reviewer assignments and reviews of a plan."""

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import RAISE

from api.auth import current_user
from api.plans import plan_listing
from api.schemas import (
    PageArgs,
    ReviewArgs,
    ReviewerArgs,
    ReviewerSchema,
    ReviewSchema,
    page_of,
)
from runtime import db
from workflow import queries, service

blp = Blueprint("reviews", __name__, url_prefix="/api/v1/plans",
                description="Stakeholder reviewers and their decisions")


@blp.route("/<int:plan_id>/reviewers")
class Reviewers(MethodView):
    @blp.doc(operationId="list_reviewers")
    @blp.arguments(PageArgs(), location="query", unknown=RAISE)
    @blp.response(200, page_of(ReviewerSchema))
    @blp.alt_response(403, response="FORBIDDEN")
    def get(self, args, plan_id):
        """The plan's assigned reviewers."""
        return plan_listing(queries.list_reviewers, args, plan_id)

    @blp.doc(operationId="assign_reviewer")
    @blp.arguments(ReviewerArgs())
    @blp.response(201, ReviewerSchema)
    @blp.alt_response(403, response="FORBIDDEN")
    def post(self, args, plan_id):
        """Assign a reviewer (a user holding `reviewer` for the plan's country)."""
        return service.assign_reviewer(db.session(), current_user(), plan_id, **args)


@blp.route("/<int:plan_id>/reviewers/<string:username>")
class ReviewerByName(MethodView):
    @blp.doc(operationId="remove_reviewer")
    @blp.response(204)
    @blp.alt_response(403, response="FORBIDDEN")
    def delete(self, plan_id, username):
        """Remove a reviewer (only while the plan is a draft)."""
        service.remove_reviewer(db.session(), current_user(), plan_id, username)


@blp.route("/<int:plan_id>/reviews")
class Reviews(MethodView):
    @blp.doc(operationId="list_reviews")
    @blp.arguments(PageArgs(), location="query", unknown=RAISE)
    @blp.response(200, page_of(ReviewSchema))
    @blp.alt_response(403, response="FORBIDDEN")
    def get(self, args, plan_id):
        """Every review recorded on the plan, oldest first."""
        return plan_listing(queries.list_reviews, args, plan_id)

    @blp.doc(operationId="record_review")
    @blp.arguments(ReviewArgs())
    @blp.response(201, ReviewSchema)
    @blp.alt_response(403, response="FORBIDDEN")
    def post(self, args, plan_id):
        """Record the caller's decision on the content version under review."""
        user = current_user()
        review = service.record_review(db.session(), user, plan_id, **args)
        # The reviewer is the caller: named from the request, not loaded from the database.
        return {"reviewer": user.username, **{name: getattr(review, name) for name in (
            "id", "decision", "comment", "revision", "content_version", "created_at")}}
