"""The one blueprint every page belongs to, and what each page request goes through first."""

from flask import Blueprint, current_app, redirect, request, url_for
from flask_login import current_user

bp = Blueprint("web", __name__, template_folder="templates", static_folder="static",
               static_url_path="/assets")

# Endpoints anyone may open without signing in.
PUBLIC = frozenset({"web.sign_in", "web.static"})


@bp.before_request
def _signed_in_and_csrf_checked():
    # CSRF first: a forged POST is refused even when the victim is signed in. The API is not
    # in this blueprint: its bearer tokens cannot be sent by another site's form.
    if current_app.config.get("WTF_CSRF_ENABLED", True):
        current_app.extensions["csrf"].protect()
    if request.endpoint not in PUBLIC and not current_user.is_authenticated:
        return redirect(url_for("web.sign_in", next=request.full_path.rstrip("?")))
    return None
