"""The service navigation: the pages a signed-in user may open."""

from dataclasses import dataclass

from flask import request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user


@dataclass(frozen=True)
class Item:
    endpoint: str
    text: object  # a lazy string, translated when the page is drawn
    # Roles of which one must be held (any country); empty: every signed-in user.
    roles: tuple[str, ...] = ()


ITEMS = (
    Item("web.home", _l("My tasks")),
    Item("web.plans", _l("Plans")),
    Item("web.status", _l("Status")),
    # The audit log across plans; each plan's own history is on the plan page.
    Item("web.audit", _l("Audit log"), roles=("auditor", "admin")),
    Item("web.account", _l("Your account")),
)


def items() -> list[dict]:
    """The items this user sees, as the service navigation component takes them."""
    if not current_user.is_authenticated:
        return []
    shown = []
    for item in ITEMS:
        if item.roles and not any(current_user.countries_for(role) for role in item.roles):
            continue
        href = url_for(item.endpoint)
        # A plan's page is within Plans: the item is marked for its whole section.
        within = href != "/" and request.path.startswith(href.rstrip("/") + "/")
        shown.append({"href": href, "text": item.text,
                      "current": "page" if request.path == href else "true" if within else ""})
    return shown
