"""Bearer-token authentication: who is asking, checked before anything else."""

from flask import g, request

from runtime import db
from workflow import users
from workflow.errors import Unauthenticated
from workflow.users import Principal


def authenticate_request() -> Principal:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated("an 'Authorization: Bearer <token>' header is required")
    g.user = users.authenticate(db.session(), token.strip())
    return g.user


def current_user() -> Principal:
    return g.user
