"""The signed-in user's own page: who they are and what their grants let them do."""

from flask import render_template
from flask_login import current_user

from web.blueprint import bp


@bp.route("/account")
def account():
    return render_template("account.html", grants=current_user.grants)
