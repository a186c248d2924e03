"""Property: whatever the input, the parser returns a Lesson or raises LessonError, nothing else;
and rendered HTML never contains a tag or attribute outside the renderer's own."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from addon.lesson.errors import LessonError
from addon.lesson.model import DIFFICULTIES, Lesson
from addon.lesson.parse import parse_text
from addon.lesson.render import render_markdown
from tests.conftest import SHARED_LESSONS

from .helpers import FIXTURES, unsafe_parts

_SHARED = SHARED_LESSONS / "Lesson_4.md"
SEEDS = [p.read_text(encoding="utf-8") for p in sorted(FIXTURES.glob("*.md"))]
if _SHARED.exists():
    SEEDS.append(_SHARED.read_text(encoding="utf-8"))

# Fragments that matter to the parser, to splice into real files.
TOKENS = [
    "### Card 1 | Easy\n", "### Card 2 — Hard\n", "### Card 2 | Tricky\n", "### Card\n",
    "**FRONT:**", "**BACK:**", "**FRONT (Question):**\n", "**Critical Knowledge Flag:** Yes -",
    "```", "~~~", "```csv\n", "\n---\n", "|", "| Card | Initial Interval | Difficulty Multiplier |\n",
    "|---|---|---|\n", "| 1 (Hard) | 0 days | 99999x |\n", "## Spaced Repetition Schedule\n",
    "## Export Formats\n", "## Source Mapping\n", "## Critical Knowledge Summary\n",
    "- **X**: Appears in Cards 1-999999999\n", "**Total Cards:** 99999999999999999999\n", "\t",
    "\r\n", "\ufeff", "$", "$$", "\\", "*", "_", "<script>", "[a](javascript:x)", "\x00", "\x02",
    "# Flashcard Set: Lesson 4 - T\n", "**Distribution:** 9 Easy\n", '"', "\n",
]  # fmt: skip

MARKUP = [
    "$", "$$", "\\", "*", "**", "_", "`", "```", "~~~", "|", "|---|:-:|\n", "\n", " ", "a", "> ",
    "- ", "1. ", "  ", "#", "## ", "[", "](", ")", "<", ">", '"', "'", "&", "<script>",
    "<img onerror=x>", "javascript:", "https://", "mailto:", "\u2500", "\u2502", "\t",
]  # fmt: skip


@st.composite
def mutated(draw: st.DrawFn) -> str:
    text = draw(st.sampled_from(SEEDS))
    for _ in range(draw(st.integers(1, 8))):
        pos = draw(st.integers(0, len(text)))
        op = draw(st.sampled_from(["insert", "delete", "replace", "dup"]))
        piece = draw(st.one_of(st.sampled_from(TOKENS), st.text(max_size=12)))
        if op == "insert":
            text = text[:pos] + piece + text[pos:]
        elif op == "delete":
            text = text[:pos] + text[pos + draw(st.integers(1, 400)) :]
        elif op == "replace":
            text = text[:pos] + piece + text[pos + len(piece) :]
        else:
            end = min(len(text), pos + draw(st.integers(1, 600)))
            text = text[:end] + text[pos:end] + text[end:]
    return text


def check(lesson: Lesson) -> None:
    assert lesson.cards
    numbers = [c.number for c in lesson.cards]
    assert len(set(numbers)) == len(numbers)
    for c in lesson.cards:
        assert c.difficulty in DIFFICULTIES
        assert c.front_md.strip() and c.back_md.strip()
        assert c.initial_interval_days >= 1 and c.multiplier > 0
        assert unsafe_parts(c.front_html) == [] and unsafe_parts(c.back_html) == []


def parse_or_refuse(data: str | bytes) -> None:
    try:
        lesson = parse_text(data, "Lesson_4.md")
    except LessonError as e:
        assert e.file == "Lesson_4.md" and e.line >= 1 and e.message
        assert str(e).startswith("Lesson_4.md:")
        return
    check(lesson)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated())
def test_mutated_files_parse_or_are_refused(text: str) -> None:
    parse_or_refuse(text)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=400) | mutated().map(lambda t: t.encode("utf-8", "surrogatepass")))
def test_random_bytes_parse_or_are_refused(data: bytes) -> None:
    parse_or_refuse(data)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(TOKENS) | st.text(max_size=5), max_size=60).map("".join))
def test_random_text_parse_or_are_refused(text: str) -> None:
    parse_or_refuse(text)


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(MARKUP), max_size=40).map("".join))
def test_render_output_only_has_our_tags(md: str) -> None:
    assert unsafe_parts(render_markdown(md)) == []
