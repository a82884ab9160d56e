"""Every page the walk does not pass, reached by its links as each person would, with the
demo's plans in their states: each passes checks.look (axe at 1280 and 320px, no sideways
scrolling) and leaves a screenshot. Error pages and forms showing errors included."""

from playwright.sync_api import Page, expect

from tests.browser.checks import look

# Demo plans (demo/data.py) whose pages show what a new plan's do not.
EDITED_IN_REVIEW = "Chemical security action plan 2027-2029"  # two versions, a review asking
IN_REVIEW = "Border and maritime enforcement plan 2026-2028"  # one approval of two


def heading(page: Page, text: str) -> None:
    expect(page.get_by_role("heading", level=1)).to_contain_text(text)


def follow(page: Page, link: str, title: str, name: str) -> None:
    """Follow the link, find the page titled `title`, and check it as `name`."""
    page.get_by_role("link", name=link, exact=True).click()
    heading(page, title)
    look(page, name)


def test_the_sign_in_page_and_its_errors(stranger):
    stranger.goto("/plans")  # signed in as nobody: sent to sign in
    heading(stranger, "Sign in to napflow")
    look(stranger, "sign-in")
    stranger.get_by_role("button", name="Sign in").click()
    expect(stranger.locator(".govuk-error-summary")).to_be_visible()
    look(stranger, "sign-in-errors")


def test_the_versions_their_changes_and_a_reviewers_page(person):
    health = person("tha-health")
    health.get_by_role("link", name="Plans", exact=True).click()
    follow(health, EDITED_IN_REVIEW, EDITED_IN_REVIEW, "plan-reviewer-outdated-decision")
    follow(health, "All versions of the content", "Versions of the content", "versions")
    follow(health, "Changes from version 1", "Changes from version 1 to version 2", "diff")


def test_status_overdue_reviews_and_the_account(person):
    auditor = person("auditor")
    follow(auditor, "Status", "Where the plans stand", "status")
    # The site's today is two months on (conftest.py): the demo's reviews are overdue.
    follow(auditor, "See every overdue review", "Overdue reviews", "overdue-reviews")
    expect(auditor.get_by_role("region", name="Reviews, the most overdue first")).to_be_visible()
    follow(auditor, "Your account", "Your account", "account")


def test_forms_with_errors_and_error_pages(person):
    drafter = person("tha-drafter")
    drafter.get_by_role("link", name="Plans", exact=True).click()
    drafter.get_by_role("button", name="Create a plan").click()
    drafter.get_by_role("button", name="Create the plan").click()  # no title
    expect(drafter.locator(".govuk-error-summary")).to_contain_text("Enter a title")
    look(drafter, "new-plan-errors")
    drafter.get_by_role("link", name="Plans", exact=True).click()
    drafter.get_by_role("link", name=IN_REVIEW).click()
    drafter.get_by_role("button", name="Request changes").click()
    drafter.get_by_role("button", name="Request changes").click()  # without the comment
    expect(drafter.locator(".govuk-error-summary")).to_contain_text("Enter a comment")
    look(drafter, "action-step-errors")
    drafter.goto("/plans/999999")
    heading(drafter, "Page not found")
    look(drafter, "error-404")
    viewer = person("tha-viewer")
    viewer.goto("/plans/new")  # only drafters create plans
    heading(viewer, "You cannot do this")
    look(viewer, "error-403")
