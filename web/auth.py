"""Signing in and out: the form, the throttle's answer, and where the user goes next."""

import logging
from datetime import timedelta
from urllib.parse import urlsplit

from flask import Flask, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user, login_user, logout_user
from flask_wtf import CSRFProtect, FlaskForm
from wtforms import HiddenField, PasswordField, StringField
from wtforms.validators import DataRequired, Length, Regexp

from models import TRIED_NAME_LENGTH
from runtime import metrics
from web import session as page_session
from web.blueprint import bp
from web.transaction import writing
from workflow import sign_in as signing
from workflow.passwords import MAX_LENGTH, Hashing

log = logging.getLogger(__name__)


class SignInForm(FlaskForm):
    username = StringField(_l("Username"), validators=[
        DataRequired(_l("Enter your username")),
        Length(max=TRIED_NAME_LENGTH, message=_l("Enter your username")),
        # NUL: no username holds one, and PostgreSQL text cannot store one to count it.
        Regexp(r"^[^\x00]*$", message=_l("Enter your username"))])
    # No rule on what a password looks like: a refusal here would tell a guesser something.
    # The bound only keeps one request from making the server hash megabytes.
    password = PasswordField(_l("Password"), validators=[
        DataRequired(_l("Enter your password")),
        Length(max=MAX_LENGTH, message=_l("Enter your password"))])
    next = HiddenField()


def init_app(app: Flask) -> None:
    page_session.init_app(app)
    # Checked per page request by the blueprint (WTF_CSRF_CHECK_DEFAULT is off: not the API).
    CSRFProtect(app)


def safe_next(target: str | None) -> str:
    """`target` when it is a path on this site, else the home page: never an open redirect
    (`//evil.example`, `/\\evil.example`, `https://evil.example` all go home)."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return url_for("web.home")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or any(c in target for c in "\\\r\n\t\x00"):
        return url_for("web.home")
    return target


@bp.route("/sign-in", methods=["GET", "POST"])
def sign_in():
    form = SignInForm()
    if request.method == "GET":
        form.next.data = safe_next(request.args.get("next"))
        if current_user.is_authenticated:
            return redirect(form.next.data)
    if not form.validate_on_submit():
        return _sign_in_page(form, 422 if request.method == "POST" else 200)
    config = current_app.config
    throttle = signing.Throttle(config["SIGN_IN_MAX_FAILURES"],
                                timedelta(minutes=config["SIGN_IN_WINDOW_MINUTES"]))
    try:
        signed_in = signing.sign_in(writing, form.username.data, form.password.data,
                                    Hashing.from_config(config), throttle)
    except signing.SignInFailed:
        # Not in the audit log (web/README.md says why), and not the name typed either: it
        # may be a password typed in the wrong field. A throttled name is logged: by then it
        # is a name someone keeps trying.
        log.info("sign-in refused from %s", request.remote_addr)
        form.form_errors.append(_l("The username or password is not right"))
        metrics.count_refusal("page", "sign_in_failed")
        return _sign_in_page(form, 422)
    except signing.TooManySignIns as refused:
        log.warning("sign-in throttled for %r from %s", signing.normalize(form.username.data),
                    request.remote_addr)
        minutes = -(-refused.retry_after // 60)
        form.form_errors.append(ngettext(
            "Too many failed sign-ins for this username. Try again in %(num)d minute.",
            "Too many failed sign-ins for this username. Try again in %(num)d minutes.",
            minutes))
        metrics.count_refusal("page", "too_many_sign_ins")
        response = _sign_in_page(form, 429)
        response.headers["Retry-After"] = str(refused.retry_after)
        return response
    # A new session for the signed-in user: nothing from before (a planted session id, an
    # old CSRF token) carries over.
    session.clear()
    session.permanent = True  # ends after PERMANENT_SESSION_LIFETIME unused, browser open or not
    login_user(page_session.PageUser.of(signed_in))
    return redirect(safe_next(form.next.data))


def _sign_in_page(form: SignInForm, status: int):
    return current_app.make_response((render_template("auth/sign_in.html", form=form), status))


@bp.route("/sign-out", methods=["POST"])
def sign_out():
    with writing() as db_session:
        signing.sign_out(db_session, current_user._get_current_object())
    logout_user()
    session.clear()
    flash(_l("You have signed out. Your sessions in other browsers have ended too."),
          "success")
    return redirect(url_for("web.sign_in"))
