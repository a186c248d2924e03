"""The fast path of the renderer gives exactly the HTML of the line-by-line reference
(``render_markdown_reference``): on every card of every fixture, on Lesson_4, and on
random and mutated markdown."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from addon.lesson.errors import LessonError
from addon.lesson.parse import parse_text
from addon.lesson.render import render_markdown, render_markdown_reference
from tests.conftest import SHARED_LESSONS

from .helpers import FIXTURES

_SHARED = SHARED_LESSONS / "Lesson_4.md"
FILES = sorted(FIXTURES.glob("*.md")) + ([_SHARED] if _SHARED.exists() else [])


def _sides() -> list[str]:
    sides: list[str] = []
    for path in FILES:
        try:
            lesson = parse_text(path.read_bytes(), path.name, render=False)
        except LessonError:
            continue
        sides.extend(s for c in lesson.cards for s in (c.front_md, c.back_md))
    return sides


SIDES = _sides()

MARKUP = [
    "$", "$$", "\\", "*", "**", "_", "`", "```", "~~~", "|", "|---|:-:|\n", "\n", "\n\n", " ",
    "a", "> ", "- ", "1. ", "3) ", "  ", "   - x\n", "#", "## ", "### H\n", "[", "](", ")", "<",
    ">", '"', "&", "word ", "x_y ", "**B:** ", "javascript:", "https://", "\u2500", "\u2502",
    "\u2192", "\t", "\xa0", "\u3000", "   \n", "\n  \n", "| a | b |\n", "|---|---|\n", ":--|",
    "\n| x |\n", "\n- item\n", "\n2. two\n", "\n\n- a\n\n- b\n", "\n```\ncode\n```\n",
    "\n    ```\n", "\n~~~~\n", "---\n", "***",
]  # fmt: skip


def test_fixture_sides_were_found() -> None:
    assert len(SIDES) >= 10


@pytest.mark.parametrize("index", range(len(SIDES)))
def test_every_fixture_side_renders_like_the_reference(index: int) -> None:
    md = SIDES[index]
    assert render_markdown(md) == render_markdown_reference(md)


@st.composite
def mutated_side(draw: st.DrawFn) -> str:
    md = draw(st.sampled_from(SIDES))
    for _ in range(draw(st.integers(1, 6))):
        pos = draw(st.integers(0, len(md)))
        piece = draw(st.sampled_from(MARKUP) | st.text(max_size=4))
        op = draw(st.sampled_from(["insert", "delete", "replace"]))
        if op == "insert":
            md = md[:pos] + piece + md[pos:]
        elif op == "delete":
            md = md[:pos] + md[pos + draw(st.integers(1, 200)) :]
        else:
            md = md[:pos] + piece + md[pos + len(piece) :]
    return md


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(MARKUP) | st.text(max_size=3), max_size=50).map("".join))
def test_random_markdown_renders_like_the_reference(md: str) -> None:
    assert render_markdown(md) == render_markdown_reference(md)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated_side())
def test_mutated_cards_render_like_the_reference(md: str) -> None:
    assert render_markdown(md) == render_markdown_reference(md)


LIST_ENDINGS = [
    "1. **A**: one\n2. **B**: two\n\n**Key Insight:** after the list",
    "- **A**: one\n- **B**: two\n\n**Formula:**\n\n$$x$$",
    "- a\n- b\n\n* * *\n\nafter a rule",
    "- a\n- b\n\n---\n\nafter",
    "- a\n- b\n\n* c\n",
    "- a\n- b\n\n*emphasis* not an item",
    "1. a\n2. b\n\n3) c",
    "1. a\n2. b\n\n1.5 is a number",
    "- a\n- b\n\n  indented: the item goes on",
    "- a\n- b\n\n -\n",
    "- a\n- b\n\n+\tc",
    "- a\n- b\n\n\n\n-",
]


@pytest.mark.parametrize("md", LIST_ENDINGS)
def test_list_ends_like_the_reference(md: str) -> None:
    """After a blank line a simple list goes on only with an item or an indented line."""
    assert render_markdown(md) == render_markdown_reference(md)
