"""The look is napflow's own and served by napflow: GOV.UK Frontend built without its brand,
nothing fetched from elsewhere, and a Content-Security-Policy that would refuse it anyway."""

import json
import os
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import pytest

STATIC = Path(__file__).resolve().parents[2] / "web" / "static"
FRONTEND = STATIC.parent / "frontend"


def test_the_built_css_has_no_gds_font_no_crown_and_fetches_nothing():
    css = (STATIC / "napflow.css").read_text()
    assert len(css) > 50_000  # the whole of GOV.UK Frontend's components, compressed
    assert "\n" not in css.strip()
    assert "GDS Transport" not in css and "@font-face" not in css
    assert "url(" not in css and "@import" not in css
    assert "crown" not in css.lower() and "crest" not in css.lower()
    assert "system-ui" in css  # the system font stack napflow.scss sets


def test_the_javascript_and_its_licence_are_the_pinned_govuk_frontend():
    lock = json.loads((FRONTEND / "package-lock.json").read_text())
    package = json.loads((FRONTEND / "package.json").read_text())
    pinned = package["devDependencies"]["govuk-frontend"]
    assert lock["packages"]["node_modules/govuk-frontend"]["version"] == pinned
    assert re.fullmatch(r"\d+\.\d+\.\d+", package["devDependencies"]["sass"])
    script = (STATIC / "govuk-frontend.min.js").read_text()
    assert f'version="{pinned}"' in script and "sourceMappingURL" not in script
    assert "MIT License" in (STATIC / "govuk-frontend-LICENSE.txt").read_text()


class _Assets(HTMLParser):
    def __init__(self):
        super().__init__()
        self.urls, self.inline = [], []

    def handle_starttag(self, tag, attrs):
        values = dict(attrs)
        for name in ("href", "src"):
            if name in values and tag in ("link", "script", "img", "source", "iframe"):
                self.urls.append(values[name])
        if tag == "script" and "src" not in values:
            self.inline.append("<script>")
        self.inline += [f"{tag} {name}" for name, _ in attrs
                        if name == "style" or name.startswith("on")]


def test_every_asset_a_page_uses_is_served_by_napflow(signed_in, browser):
    pages = {"/sign-in": browser().get("/sign-in")}
    drafter = signed_in("drafter")
    for path in ("/account", "/no/such/page"):
        pages[path] = drafter.get(path)
    for path, response in pages.items():
        csp = response.headers["Content-Security-Policy"]
        assert "default-src 'self'" in csp and "unsafe-inline" not in csp, path
        found = _Assets()
        found.feed(response.get_data(as_text=True))
        assert found.inline == [], path  # the policy would block them: there must be none
        assert found.urls, path
        for url in found.urls:
            parts = urlsplit(url)
            assert not parts.scheme and not parts.netloc, (path, url)
            assert fetch(browser(), url)[0] == 200, (path, url)
    # the module script imports GOV.UK Frontend by a relative path: that is served too
    status, script = fetch(browser(), "/assets/napflow.js")
    assert 'from "./govuk-frontend.min.js"' in script
    assert fetch(browser(), "/assets/govuk-frontend.min.js")[0] == 200


def fetch(pages, url: str) -> tuple[int, str]:
    """An asset's status and text, its file closed (a static file is streamed from disk)."""
    response = pages.get(url)
    try:
        return response.status_code, response.get_data(as_text=True)
    finally:
        response.close()


def test_pages_carry_the_security_headers_and_the_api_does_not_need_them(browser, client):
    page = browser().get("/sign-in")
    assert page.headers["X-Content-Type-Options"] == "nosniff"
    assert page.headers["X-Frame-Options"] == "DENY"
    assert page.headers["Cache-Control"] == "no-store"
    assert "frame-ancestors 'none'" in page.headers["Content-Security-Policy"]
    assert "Content-Security-Policy" not in client.get("/openapi.json").headers


@pytest.mark.skipif(not (FRONTEND / "node_modules" / "govuk-frontend").is_dir()
                    or shutil.which("npx") is None,
                    reason="web/frontend/node_modules absent (CI never runs npm): "
                           "`cd web/frontend && npm ci` to compare a fresh build")
def test_the_committed_build_is_what_the_sources_build(tmp_path):
    subprocess.run([str(FRONTEND / "build.sh")], check=True, capture_output=True,
                   env={**os.environ, "NAPFLOW_STATIC_OUT": str(tmp_path)}, timeout=300)
    for name in ("napflow.css", "govuk-frontend.min.js", "govuk-frontend-LICENSE.txt"):
        assert (tmp_path / name).read_bytes() == (STATIC / name).read_bytes(), (
            f"web/static/{name} is not what web/frontend builds: run web/frontend/build.sh")
