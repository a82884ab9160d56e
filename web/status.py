"""Status: where the plans stand, by country and state, whom they wait on, and overdue reviews.

What is counted is workflow/overview.py's (the API's GET /status and /reviews/overdue): a
State sees its own plans, the Committee those submitted to it, a global auditor all.
"""

from flask import current_app, render_template
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from runtime import db
from runtime.clock import today
from web.blueprint import bp
from web.i18n import number_filter
from web.listing import CountryField, FilterForm, listing
from web.terms import name
from web.words import ngettext, once
from workflow import cursors, overview
from workflow.access import national_countries
from workflow.vocabulary import states

PAGE = 50


# Whom a plan waits on, in words: each sentence whole, so that a translator sees it whole,
# and each in an ngettext call of its own, so that pybabel extracts both of its forms.
WAITING = {
    "drafter": lambda n, country: ngettext(
        "%(count)s plan waits for its drafters in %(country)s",
        "%(count)s plans wait for their drafters in %(country)s",
        n, count=once(number_filter, n), country=country),
    "reviewer": lambda n, country: ngettext(
        "%(count)s plan waits for stakeholder review in %(country)s",
        "%(count)s plans wait for stakeholder review in %(country)s",
        n, count=once(number_filter, n), country=country),
    "approver": lambda n, country: ngettext(
        "%(count)s plan waits for national approval in %(country)s",
        "%(count)s plans wait for national approval in %(country)s",
        n, count=once(number_filter, n), country=country),
    "submitter": lambda n, country: ngettext(
        "%(count)s plan waits for submission to the Committee in %(country)s",
        "%(count)s plans wait for submission to the Committee in %(country)s",
        n, count=once(number_filter, n), country=country),
    "committee": lambda n, country: ngettext(
        "%(count)s plan from %(country)s waits for the Committee to acknowledge it",
        "%(count)s plans from %(country)s wait for the Committee to acknowledge them",
        n, count=once(number_filter, n), country=country),
}


def waiting_sentence(role: str, n: int, country: str) -> str:
    sentence = WAITING.get(role)
    if sentence is not None:
        return sentence(n, country)
    # A role a later workflow makes others wait on: its name, in a sentence of its own.
    return ngettext("%(count)s plan waits for the role %(role)s in %(country)s",
                    "%(count)s plans wait for the role %(role)s in %(country)s",
                    n, count=once(number_filter, n), role=once(name, "role", role),
                    country=country)


def state_bars(plans: list[dict]) -> list[dict]:
    """Plans by state over every visible country, as bars: the states in their workflows'
    order, each as wide as its share of the largest."""
    totals: dict[str, int] = {}
    for row in plans:
        totals[row["state"]] = totals.get(row["state"], 0) + row["count"]
    top = max(totals.values(), default=0)
    order = {state: i for i, state in enumerate(states())}
    return [{"label": name("state", state), "text": once(number_filter, n),
             # at least a sliver, so that a state with a few plans among thousands shows
             "percent": max(round(100 * n / top, 1), 0.5)}
            for state, n in sorted(totals.items(), key=lambda item: order.get(item[0], 0))]


@bp.route("/status")
def status():
    found = overview.status(db.session(), current_user, today())
    order = {state: i for i, state in enumerate(states())}
    plans = [(r["country"], once(name, "state", r["state"]), once(number_filter, r["count"]))
             for r in sorted(found["plans"],
                             key=lambda r: (r["country"], order.get(r["state"], 0)))]
    total = sum(row["count"] for row in found["plans"])
    # Counts in sentences are formatted here: the template's own filters would nest their
    # output inside the sentence's translation.
    return render_template(
        "status/index.html", plans=plans, bars=state_bars(found["plans"]),
        seen=ngettext("You can see %(count)s plan.", "You can see %(count)s plans.", total,
                      count=number_filter(total)),
        waiting=[waiting_sentence(r["role"], r["count"], r["country"])
                 for r in found["waiting"]],
        overdue=[{"country": r["country"], "text": ngettext(
            "%(count)s review overdue", "%(count)s reviews overdue", r["count"],
            count=number_filter(r["count"]))} for r in found["overdue"]],
        # The Committee is never told who has yet to review (national business).
        sees_reviews=bool(national_countries(current_user)))


class OverdueFilters(FilterForm):
    country = CountryField(_l("Country"))


@bp.route("/reviews/overdue")
def overdue_reviews():
    form = OverdueFilters()
    found = listing(cursors.OVERDUE, lambda after: overview.overdue_reviews(
        db.session(), current_user, today(), after=after, limit=PAGE, **form.chosen()), form)
    page = render_template("status/overdue.html", form=form, listing=found)
    return current_app.make_response((page, found.status))
