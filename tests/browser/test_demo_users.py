"""Every demo user (the README's first lines name them and their password) signs in through
the sign-in page and lands on their tasks with their name in the header, and signs out: the
walks sign in only as the people whose steps they need."""

from playwright.sync_api import expect

from demo.data import demo_users


def test_every_demo_user_signs_in_to_their_tasks_and_out(person):
    users = [username for username, _ in demo_users()]
    assert len(users) > 20  # every country's cast and the global users
    for username in users:
        page = person(username, js=False)  # the pages work without it; the walks cover JS
        expect(page.get_by_role("heading", level=1)).to_have_text("My tasks")
        expect(page.locator(".napflow-account__name")).to_have_text(username)
        page.get_by_role("button", name="Sign out").click()
        page.goto("/plans")  # signed out: sent to sign in
        expect(page.get_by_role("heading", level=1)).to_have_text("Sign in to napflow")
        page.close()  # its renderer; the context is closed by the fixture
