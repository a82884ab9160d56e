"""One plan from draft to acknowledged, each step by the demo user whose step it is, through
the pages alone (signing in, links, forms, buttons), with JavaScript on and off; then its
history shows every step and a verified chain. Each page on the way passes checks.look."""

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.checks import look

# The history's words for each event of the walk, in order (web/events.py).
WALKED = ["Plan created", "Content changed", "Reviewer assigned", "Reviewer assigned",
          "Sent for review", "Review recorded", "Review recorded", "Endorsed", "Approved",
          "Submitted to the Committee", "Receipt acknowledged"]
# GOV.UK Frontend's focus colour (#ffdd00), as computed style gives it.
FOCUS_COLOUR = "rgb(255, 221, 0)"


def done(page: Page, text: str) -> None:
    """The page says, in its success banner, that the step was done."""
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text(text)


def open_task(page: Page, title: str) -> None:
    """From My tasks, the plan waiting on this person."""
    page.get_by_role("link", name="My tasks").click()
    page.get_by_role("link", name=title).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(title)


def fire(page: Page, trigger: str, state: str) -> None:
    """Press the trigger's button on the plan page; the plan is then in `state`."""
    page.get_by_role("button", name=trigger, exact=True).click()
    done(page, f"The plan is now in the state “{state}”")


def draft(page: Page, title: str, js: bool) -> int:
    """The drafter creates the plan, writes its content and assigns both reviewers."""
    look(page, "tasks", js)
    page.get_by_role("link", name="Plans", exact=True).click()
    look(page, "plans", js)
    page.get_by_role("button", name="Create a plan").click()
    look(page, "new-plan", js)
    page.get_by_label("Title").fill(title)
    page.get_by_role("button", name="Create the plan").click()
    done(page, "Plan created")
    plan_id = int(re.search(r"/plans/(\d+)$", page.url).group(1))
    look(page, "plan-new-draft", js)

    page.get_by_role("button", name="Edit the draft").click()
    look(page, "edit", js)
    page.get_by_label("Summary (optional)").fill("Radioactive sources in hospitals and ports.")
    page.get_by_label("Start (optional)").fill("2027-01-01")
    page.get_by_label("End (optional)").fill("2029-12-31")
    page.get_by_label("Obligation").select_option("OP3b")
    page.get_by_label("Description").fill("Secure every category 1 to 3 source")
    page.get_by_label("Lead agency").fill("Office of Atoms for Peace")
    page.get_by_label("Nuclear").check()
    page.get_by_role("button", name="Save changes").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(title)

    for reviewer in ("tha-customs", "tha-health"):
        page.get_by_label("Reviewer", exact=True).select_option(reviewer)
        page.get_by_role("button", name="Assign", exact=True).click()
        expect(page.get_by_role("region", name="Reviewers")).to_contain_text(reviewer)
    look(page, "plan-draft-with-reviewers", js)
    fire(page, "Send for review", "Stakeholder review")
    return plan_id


def review(page: Page, title: str, js: bool) -> None:
    open_task(page, title)
    look(page, "plan-to-review", js)
    page.get_by_label("Approve", exact=True).check()
    page.get_by_role("button", name="Record your decision").click()
    expect(page.get_by_role("region", name="Reviewers")).to_contain_text("Approve")


def review_by_keyboard(page: Page, title: str) -> None:
    """The same review with the keyboard alone: Tab to the skip link (the first stop),
    Enter to skip the navigation, Tab to the decision, Space to choose it, Tab to the button,
    Enter to send. Playwright presses keys; nothing is clicked."""
    open_task(page, title)
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to main content")).to_be_focused()
    page.keyboard.press("Enter")
    tab_to(page, page.get_by_label("Approve", exact=True))
    page.keyboard.press("Space")
    expect(page.get_by_label("Approve", exact=True)).to_be_checked()
    button = page.get_by_role("button", name="Record your decision")
    tab_to(page, button)
    # Focus is seen (WCAG 2.4.7): GOV.UK's focus state, the button turned yellow.
    expect(button).to_have_css("background-color", FOCUS_COLOUR)
    page.keyboard.press("Enter")
    expect(page.get_by_role("region", name="Reviewers")).not_to_contain_text("No decision yet")


def tab_to(page: Page, target, most: int = 40) -> None:
    """Press Tab until `target` has focus (at most `most` times)."""
    for _ in range(most):
        page.keyboard.press("Tab")
        if target.evaluate("element => element === document.activeElement"):
            return
    pytest.fail(f"{most} presses of Tab never reached {target}")


def submit(page: Page, title: str, js: bool) -> None:
    """The permanent mission's step: reference and consent, the answers checked, submitted."""
    open_task(page, title)
    page.get_by_role("button", name="Submit to the Committee").click()
    look(page, "submission-step", js)
    page.get_by_label("Note verbale or letter reference").fill("NV/THA/2027/0042")
    page.get_by_label("Yes, the Committee may publish it").check()
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Check your answers before submitting to the Committee")
    expect(page.locator(".govuk-summary-list")).to_contain_text("NV/THA/2027/0042")
    look(page, "check-submission", js)
    fire(page, "Submit to the Committee", "Submitted")


def history(page: Page, plan_id: int, js: bool) -> None:
    """The auditor finds the plan's events in the audit log, and opens its history."""
    page.get_by_role("link", name="Audit log").click()
    page.get_by_label("Plan number").fill(str(plan_id))
    page.get_by_role("button", name="Search").click()
    look(page, "audit", js)
    page.get_by_role("link", name=f"Plan {plan_id}, event 1", exact=True).first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("History of")
    look(page, "history", js)
    expect(page.locator(".govuk-tag", has_text="Chain verified")).to_be_visible()
    assert page.locator("main ol > li h2").all_inner_texts() == WALKED  # oldest first


@pytest.mark.parametrize("js", [True, False], ids=["javascript", "no-javascript"])
def test_a_plan_goes_from_draft_to_acknowledged_through_the_pages(person, js):
    title = f"Radioactive source security plan, JavaScript {'on' if js else 'off'}"
    drafter = person("tha-drafter", js=js)
    # The pages' script ran (it marks the body for GOV.UK Frontend) exactly when it is on.
    assert drafter.evaluate("document.body.classList.contains('govuk-frontend-supported')") is js
    plan_id = draft(drafter, title, js)
    review(person("tha-customs", js=js), title, js)
    if js:
        review_by_keyboard(person("tha-health", js=js), title)
    else:
        review(person("tha-health", js=js), title, js)
    open_task(drafter, title)
    fire(drafter, "Endorse", "National approval")
    approver = person("tha-approver", js=js)
    open_task(approver, title)
    fire(approver, "Approve", "Approved")
    submit(person("tha-submitter", js=js), title, js)
    committee = person("committee", js=js)
    open_task(committee, title)
    look(committee, "plan-submitted-committee", js)
    fire(committee, "Acknowledge receipt", "Acknowledged")
    history(person("tha-auditor", js=js), plan_id, js)
