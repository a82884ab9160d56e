"""A plan's own pages: the plan, its actions and reviewers, editing, versions and their diff.

Each module adds its views to the one blueprint (web/blueprint.py) as it is imported.
"""

from web.plans import actions, edit, lifecycle, page, reviewers, versions  # noqa: F401
