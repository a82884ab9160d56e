"""Bearer-token authentication: who is asking, checked before anything else."""

from flask import g, request

from runtime import db
from workflow import users
from workflow.errors import Unauthenticated
from workflow.users import Principal


def bearer_token() -> str:
    """The request's bearer token, read from its header alone: a request without one is
    refused before it touches the database (no transaction, no lock on SQLite)."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated("an 'Authorization: Bearer <token>' header is required")
    return token.strip()


def authenticate(token: str) -> Principal:
    """The token's user, looked up in the request's transaction (a wrong token is 401)."""
    g.user = users.authenticate(db.session(), token)
    return g.user


def current_user() -> Principal:
    return g.user
