"""Reading a page as its user does: the text of its main part, its links, its error summary."""

import html
from dataclasses import dataclass, field
from html.parser import HTMLParser


@dataclass
class Link:
    text: str
    href: str
    rel: str | None


@dataclass
class Page:
    text: str  # <main>'s text, whitespace collapsed
    links: list[Link] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # the error summary's items
    headings: list[str] = field(default_factory=list)  # <main>'s h1 to h4, in order

    def link(self, text: str) -> str:
        """The address of the link whose text contains `text` (exactly one)."""
        [found] = [link.href for link in self.links if text in link.text]
        return found

    def rel(self, rel: str) -> str | None:
        found = [link.href for link in self.links if link.rel == rel]
        return found[0] if found else None


class _Reader(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.page, self.in_main, self.words = Page(""), False, []
        self.link: dict | None = None
        self.in_summary, self.item, self.heading = False, None, None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "main":
            self.in_main = True
        if "govuk-error-summary__list" in (attrs.get("class") or ""):
            self.in_summary = True  # a list of its own: it ends at the next </ul>
        if tag == "li" and self.in_summary:
            self.item = []
        if tag in ("h1", "h2", "h3", "h4") and self.in_main:
            self.heading = []
        if tag == "a" and self.in_main:
            self.link = {"href": attrs.get("href", ""), "rel": attrs.get("rel"), "text": []}

    def handle_endtag(self, tag):
        if tag == "main":
            self.in_main = False
        if tag == "a" and self.link is not None:
            self.page.links.append(Link(" ".join("".join(self.link["text"]).split()),
                                        html.unescape(self.link["href"]), self.link["rel"]))
            self.link = None
        if tag == "li" and self.item is not None:
            self.page.problems.append(" ".join("".join(self.item).split()))
            self.item = None
        if tag == "ul":
            self.in_summary = False
        if tag in ("h1", "h2", "h3", "h4") and self.heading is not None:
            self.page.headings.append(" ".join("".join(self.heading).split()))
            self.heading = None

    def handle_data(self, data):
        if not self.in_main:
            return
        self.words.append(data)
        if self.link is not None:
            self.link["text"].append(data)
        if self.item is not None:
            self.item.append(data)
        if self.heading is not None:
            self.heading.append(data)


def read(response) -> Page:
    """The page a response shows, as its reader sees it."""
    reader = _Reader()
    reader.feed(response.get_data(as_text=True))
    reader.page.text = " ".join(" ".join(reader.words).split())
    return reader.page
