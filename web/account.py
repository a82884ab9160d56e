"""The signed-in user's own page: who they are and what their grants let them do."""

from flask import redirect, render_template, url_for
from flask_login import current_user

from web.blueprint import bp


@bp.route("/")
def home():
    # "/" belongs to My tasks, the landing page (issue 7, part 2); until it is registered
    # here, the account page is where a signed-in user lands.
    return redirect(url_for("web.account"))


@bp.route("/account")
def account():
    return render_template("account.html", grants=current_user.grants)
