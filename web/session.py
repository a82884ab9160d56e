"""Page sessions: a signed cookie naming the user and their session version (flask-login)."""

from dataclasses import dataclass

from flask import Flask, request
from flask.sessions import SecureCookieSessionInterface
from flask_babel import lazy_gettext as _l
from flask_login import LoginManager

from runtime import db
from workflow.sign_in import SignedIn, session_principal
from workflow.users import Principal


@dataclass(frozen=True)
class PageUser(Principal):
    """The `Principal` the API builds from a token, built here from the session: pages pass
    it to the same operations, which check its grants as they check an API caller's."""

    session_version: int = 0

    # flask-login's user protocol
    is_authenticated = True
    is_active = True
    is_anonymous = False

    def get_id(self) -> str:
        # The version is part of the id: once the user row's version moves on (sign-out, new
        # password), no cookie carrying the old one loads a user any more.
        return f"{self.id}:{self.session_version}"

    @classmethod
    def of(cls, signed_in: SignedIn) -> "PageUser":
        who = signed_in.principal
        return cls(who.id, who.username, who.grants, signed_in.session_version)


class SessionCookies(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, with the cookie marked Secure whenever the request
    came over HTTPS (behind a proxy, as the proxy reports it), and never sent over plain HTTP
    after that; over HTTP (`make run`) a Secure cookie would never come back."""

    def get_cookie_secure(self, app: Flask) -> bool:
        return bool(app.config["SESSION_COOKIE_SECURE"]) or request.is_secure


def init_app(app: Flask) -> None:
    app.session_interface = SessionCookies()
    manager = LoginManager(app)
    manager.login_view = "web.sign_in"
    manager.login_message = _l("Sign in to see this page.")
    manager.login_message_category = "important"
    manager.user_loader(load_user)


def load_user(login_id: str) -> PageUser | None:
    user_id, _, version = login_id.partition(":")
    if not all(part.isdigit() and len(part) <= 9 for part in (user_id, version)):
        return None  # not an id this app wrote (and never a number a database column refuses)
    found = session_principal(db.session(), int(user_id), int(version))
    return PageUser.of(found) if found else None
