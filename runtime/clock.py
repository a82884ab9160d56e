"""The running app's today, API and pages alike: what makes a review overdue."""

from datetime import date

from flask import current_app

from models import utcnow


def today() -> date:
    """Today in UTC, by the app's CLOCK (a callable giving an aware datetime; tests set it)."""
    return (current_app.config.get("CLOCK") or utcnow)().date()
