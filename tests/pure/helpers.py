"""Shared helpers for the pure tests: fixture paths and an HTML allow-list checker."""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "lessons"

# Every tag the renderer may write, with the attributes it may carry.
ALLOWED: dict[str, set[str]] = {
    "p": set(),
    "br": set(),
    "strong": set(),
    "em": set(),
    "code": {"class"},
    "pre": {"class"},
    "div": {"class"},
    "table": set(),
    "thead": set(),
    "tbody": set(),
    "tr": set(),
    "th": {"style"},
    "td": {"style"},
    "ul": set(),
    "ol": {"start"},
    "li": set(),
    "blockquote": set(),
    "hr": set(),
    "h1": set(),
    "h2": set(),
    "h3": set(),
    "h4": set(),
    "h5": set(),
    "h6": set(),
    "a": {"href"},
}


class _Collect(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def tags_of(html: str) -> list[tuple[str, list[tuple[str, str | None]]]]:
    p = _Collect()
    p.feed(html)
    p.close()
    return p.tags


def text_of(html: str) -> str:
    """What a browser shows as text (entities decoded)."""
    p = _Collect()
    p.feed(html)
    p.close()
    return "".join(p.text)


def unsafe_parts(html: str) -> list[str]:
    """Tags/attributes outside the allow-list, event handlers, and non-http(s)/mailto links."""
    bad = []
    for tag, attrs in tags_of(html):
        if tag not in ALLOWED:
            bad.append(f"<{tag}>")
            continue
        for name, value in attrs:
            if name not in ALLOWED[tag] or name.startswith("on"):
                bad.append(f"<{tag} {name}>")
            if name == "href" and not (value or "").lower().startswith(
                ("http://", "https://", "mailto:")
            ):
                bad.append(f"<{tag} href={value}>")
            if name == "style" and value not in (
                "text-align:left",
                "text-align:center",
                "text-align:right",
            ):
                bad.append(f"<{tag} style={value}>")
    return bad
