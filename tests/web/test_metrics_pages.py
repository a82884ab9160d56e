"""What the pages report to /metrics: a transition pressed, a refusal shown on its form or as
an error page, a form sent twice (replayed, done once), a wrong password."""

import html
import re

from prometheus_client.parser import text_string_to_metric_families

TOKEN = "pages-scraper"


def samples(client) -> dict[tuple, float]:
    response = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(response.get_data(as_text=True))
            for s in family.samples if s.name.startswith(("napflow_transitions",
                                                          "napflow_refusals",
                                                          "napflow_idempotent_replays"))
            and not s.name.endswith("_created")}


def changed(before: dict, after: dict) -> dict:
    return {key: value - before.get(key, 0) for key, value in after.items()
            if value != before.get(key, 0)}


def refused(code: str) -> tuple:
    return ("napflow_refusals_total", (("code", code), ("surface", "page")))


def test_the_pages_report_what_they_did(web_app, make_plan, signed_in, browser):
    web_app.config["METRICS_TOKEN"] = TOKEN
    scraper = web_app.test_client()
    in_review, drafting = make_plan("stakeholder_review"), make_plan("draft")
    drafter = signed_in("drafter")
    new = drafter.get("/plans/new").get_data(as_text=True)
    key = re.search(r'name="form_key" value="([^"]+)"', new).group(1)
    before = samples(scraper)

    assert drafter.post(f"/plans/{in_review}/actions/endorse").status_code == 422
    assert drafter.get("/plans/999999").status_code == 404
    form = {"country": "THA", "title": "Sent twice", "form_key": key}
    assert drafter.post("/plans/new", form).status_code == 302
    assert drafter.post("/plans/new", form).status_code == 302  # done once
    assert drafter.post(f"/plans/{drafting}/reviewers",
                        {"username": "reviewer", "required": "y"}).status_code == 302
    page = drafter.get(f"/plans/{drafting}").get_data(as_text=True)
    etag = html.unescape(re.search(r'name="etag"[^>]* value="([^"]+)"', page).group(1))
    assert drafter.post(f"/plans/{drafting}/actions/submit_for_review",
                        {"etag": etag}).status_code == 302
    assert browser().sign_in("drafter", "not the password").status_code == 422

    assert changed(before, samples(scraper)) == {
        refused("guard_failed"): 1, refused("not_found"): 1, refused("sign_in_failed"): 1,
        ("napflow_idempotent_replays_total", (("surface", "page"),)): 1,
        ("napflow_transitions_total", (("trigger", "submit_for_review"),
                                       ("workflow", "nap-1540"))): 1,
    }
