"""What every page visited in the browser must pass: axe-core at a desktop and at a 320px
width, no sideways scrolling of the page at 320px; and a screenshot of each, for people."""

from pathlib import Path

from axe_playwright_python.base import AXE_SCRIPT, AxeResults

# WCAG 2.2 A and AA, rule sets of every version (axe tags each rule with the version that
# introduced it).
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
AXE_OPTIONS = {"runOnly": {"type": "tag", "values": AXE_TAGS}, "resultTypes": ["violations"]}
# WCAG 1.4.10 (reflow): content readable at 320 CSS pixels without scrolling sideways.
WIDTHS = (1280, 320)
HEIGHT = 900
SCREENSHOTS = Path(__file__).parent / "screenshots"


def _axe_report(page) -> str | None:
    """axe-core's violations on the page as a readable report, or None. The script (the
    one axe-playwright-python bundles) is put in the page once for both widths."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(AXE_SCRIPT)
    found = AxeResults(page.evaluate("options => axe.run(document, options)", AXE_OPTIONS))
    return found.generate_report() if found.violations_count else None


def _too_wide(page, width: int) -> list[str]:
    """At a narrow width, a page wider than the window, naming what sticks out."""
    if width >= 1000:
        return []
    # Measured until the layout of the new width has settled (up to 3 s): a page that really
    # is too wide stays too wide.
    for _ in range(30):
        scroll, inner = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
        if scroll <= inner:
            return []
        page.wait_for_timeout(100)
    wide = page.evaluate(_WIDER_THAN_WINDOW)
    return [f"at {width}px the page is {scroll}px wide; too wide: {wide}"]


# The outermost elements that stick out of the window on the right, to name in a failure.
_WIDER_THAN_WINDOW = """() => [...document.querySelectorAll("body *")]
  .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1
          && !(e.parentElement.getBoundingClientRect().right > window.innerWidth + 1))
  .map(e => e.tagName.toLowerCase() + (e.className ? "." + e.className.split(" ").join(".") : ""))
  .slice(0, 5)"""


# Every sideways-scrolling region (components/scroll_region.html) must be named.
_UNNAMED_REGIONS = """() => [...document.querySelectorAll(".napflow-scroll-region")]
  .filter(e => !e.getAttribute("aria-label") || e.getAttribute("aria-label") === "None")
  .length"""


def look(page, name: str, js: bool = True) -> None:
    """Check the page shown at each width and save a screenshot of it at each, named
    `name-<width>.png`. With JavaScript off, the reflow check alone, and no screenshot (the
    page is the one shown with it on, less the enhancements): axe's promise never settles
    in a page whose scripts are off."""
    # A click that navigates returns once the new page has started loading (Playwright waits
    # for the navigation to begin, not to end): until it has loaded, its document may still be
    # empty (no documentElement; once measured half laid out, 587px wide at 320px).
    page.wait_for_load_state("load")
    problems = []
    SCREENSHOTS.mkdir(exist_ok=True)
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": HEIGHT})
        if js:
            problems += filter(None, [_axe_report(page)])
            page.screenshot(path=SCREENSHOTS / f"{name}-{width}.png", full_page=True)
        problems += _too_wide(page, width)
    if page.evaluate(_UNNAMED_REGIONS):
        problems.append("a scrolling region has no aria-label")
    page.set_viewport_size({"width": WIDTHS[0], "height": HEIGHT})
    assert not problems, f"{name} ({page.url}):\n" + "\n".join(problems)
