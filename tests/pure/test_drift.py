"""Drift that hand-edited and generated files show is tolerated; wrong data is refused."""

from __future__ import annotations

import pytest

from addon.lesson.errors import LessonError
from addon.lesson.model import DEFAULT_SCHEDULE, Lesson
from addon.lesson.parse import parse_file, parse_text

from .helpers import FIXTURES


def parse(name: str) -> Lesson:
    return parse_file(FIXTURES / name)


def messages(lesson: Lesson) -> list[str]:
    return [f"{w.line}: {w.message}" for w in lesson.warnings]


# ----------------------------------------------------------------------------- tolerated


def test_minimal_file_number_from_name_and_default_schedule() -> None:
    lesson = parse("Lesson_6_minimal.md")
    assert lesson.number == 6
    assert lesson.title == ""
    assert lesson.source is None
    assert lesson.declared_total is None
    assert lesson.key_concepts == {}
    assert lesson.export_rows == []
    assert lesson.connections is None
    assert lesson.schedule_declared is False
    assert lesson.warnings == []
    assert [(c.number, c.difficulty) for c in lesson.cards] == [
        (1, "easy"),
        (2, "medium"),
        (3, "hard"),
    ]
    for c in lesson.cards:
        assert (c.initial_interval_days, c.multiplier) == DEFAULT_SCHEDULE[c.difficulty]
    c1, c2, c3 = lesson.cards
    # lower-case labels, "**front:** text" on the label's own line
    assert c1.cognitive_level == "Remember" and c1.concept == "Word Embeddings"
    assert c2.front_md == "How is cosine similarity computed?"
    assert c2.back_md.startswith("The dot product divided by the product of the norms:")
    assert "\\(\\cos\\theta = \\frac{a \\cdot b}{\\|a\\|\\|b\\|}\\)" in c2.back_html
    # the flag may come before the FRONT, with an en dash
    assert c3.critical is True and c3.critical_note == "drift silently breaks retrieval"
    assert c1.critical is False and c1.critical_note == ""
    assert "<ol><li>Re-embed" in c3.back_html and "<ul><li>keep the old index" in c3.back_html


def test_drifted_headings_labels_and_tables() -> None:
    lesson = parse("Lesson_2_prompting.md")
    assert lesson.warnings == [], messages(lesson)
    assert (lesson.number, lesson.title) == (2, "Prompt Engineering")
    assert lesson.source == "Lessons/Lesson_2.md"
    # "### Card 1 — Easy", "- Medium", "| Medium", "– Hard"
    assert [(c.number, c.difficulty) for c in lesson.cards] == [
        (1, "easy"),
        (2, "medium"),
        (3, "medium"),
        (4, "hard"),
    ]
    assert lesson.key_concepts == {"Few-Shot Prompting": [1, 3], "Chain of Thought": [2, 3, 4]}
    c1, c2, c3, c4 = lesson.cards
    assert c2.cognitive_level == "Understand"  # "**COGNITIVE LEVEL:**"
    assert c3.front_md.startswith("Write a prompt template")  # "**front (question):**"
    # "---" rules and the words "Card 7" inside an answer belong to the answer
    assert c1.back_md.endswith("See also Card 7 in Lesson 3 (not this file).")
    assert c1.critical is False
    assert c2.back_md.endswith("---\nCard 7 is mentioned here as plain text.")
    # a fenced block that looks like a card and a section is just code
    assert "### Card 9 | Easy\n## Export Formats" in c2.back_md
    assert c2.critical is True and c2.critical_note == "most-used reasoning technique"
    # flag with no note; card ends at the next card heading with no rule in between
    assert c3.critical is True and c3.critical_note == ""
    assert c3.back_md.endswith("$$\n\\sum_i w_i x_i\n$$")
    assert c4.back_md.endswith("- Check outputs against an allow-list")
    # columns found by header name, in any order, with extra columns
    assert [
        (c.initial_interval_days, c.multiplier, c.recommended_review) for c in lesson.cards
    ] == [
        (1, 2.5, "First"),
        (2, 2.2, "After card 1"),
        (3, 2.0, "With card 2"),
        (7, 1.3, "Last"),
    ]
    assert lesson.schedule_declared is True
    assert [c.key_terminology for c in lesson.cards] == [
        "examples, shots",
        "CoT, reasoning",
        "template, slots",
        "injection, delimiters",
    ]
    assert c4.bloom_level == "Evaluate"
    assert lesson.connections is not None and lesson.connections.rows == [
        ["Chain of Thought", "Attention over earlier reasoning tokens"]
    ]


@pytest.mark.parametrize(
    "transform",
    [
        lambda b: b.replace(b"\n", b"\r\n"),
        lambda b: b"\xef\xbb\xbf" + b,
        lambda b: b"\xef\xbb\xbf" + b.replace(b"\n", b"\r\n"),
        lambda b: b.replace(b"\n", b"\r"),  # old Mac line ends
    ],
    ids=["crlf", "bom", "bom+crlf", "cr"],
)
def test_line_endings_and_bom_change_nothing(transform: object) -> None:
    assert callable(transform)
    data = (FIXTURES / "Lesson_2_prompting.md").read_bytes()
    base = parse_text(data, "Lesson_2_prompting.md")
    other = parse_text(transform(data), "Lesson_2_prompting.md")
    assert other == base
    assert "\r" not in other.cards[1].back_md and "\ufeff" not in other.title


@pytest.mark.parametrize(
    "heading",
    [
        "### Card 3 | Medium",
        "### Card 3 — Medium",
        "### Card 3 – Medium",
        "### Card 3 - Medium",
        "### Card 3: Medium",
        "### Card 3 (Medium)",
        "### card 3 | MEDIUM",
        "###Card 3|medium",
        "### Card 3 | **Medium**",
    ],
)
def test_card_heading_separators(heading: str) -> None:
    text = f"{heading}\n**FRONT:**\nQ?\n\n**BACK:**\nA.\n"
    lesson = parse_text(text, "Lesson_5_x.md")
    assert [(c.number, c.difficulty) for c in lesson.cards] == [(3, "medium")]
    assert lesson.number == 5


@pytest.mark.parametrize(
    ("front_label", "back_label"),
    [
        ("**FRONT:**", "**BACK:**"),
        ("**FRONT (Question):**", "**BACK (Answer):**"),
        ("**Front (question)**:", "**Back (answer)**:"),
        ("**front:**", "**back:**"),
        ("FRONT:", "BACK:"),
        ("**Question:**", "**Answer:**"),
        ("#### Front", "#### Back"),
        ("**Q:**", "**A:**"),
        ("Q:", "A:"),
        ("- **Question**:", "- **A** :"),
        ("__Question:__", "__a (short):__"),
    ],
)
def test_front_back_labels(front_label: str, back_label: str) -> None:
    text = (
        "# Flashcard Set: Lesson 1 - Basics\n\n### Card 1 | Easy\n**Concept:** X\n\n"
        f"{front_label}\nWhat is X?\n\n{back_label}\nX is Y.\n\n**Critical Knowledge Flag:** No\n"
    )
    card = parse_text(text, "f.md").cards[0]
    assert (card.front_md, card.back_md, card.concept) == ("What is X?", "X is Y.", "X")


def test_front_keeps_lines_that_only_look_like_labels() -> None:
    """Bold terms with a colon, "Answer ...:" or "Aside:" inside a question are question text;
    only a BACK label (or the flag) ends it."""
    front = (
        "Answer the following:\n- **Streaming memory**: keeps *state*\n"
        "1. **Back pressure**: slows producers\nAside: a note\n**Critical path**: the longest"
    )
    text = (
        "# Flashcard Set: Lesson 1 - Basics\n\n### Card 1 | Easy\n\n"
        f"**FRONT:**\n{front}\n\n**BACK:**\nX is Y.\n\n**Critical Knowledge Flag:** Yes\n"
    )
    card = parse_text(text, "f.md").cards[0]
    assert (card.front_md, card.back_md, card.critical) == (front, "X is Y.", True)


def test_back_ends_at_next_section_without_flag() -> None:
    text = (
        "### Card 1 | Hard\n**FRONT:**\nQ\n**BACK:**\nA line\n\n---\n\n---\n\n"
        "## Source Mapping\n\n| Card | Key Terminology |\n|---|---|\n| 1 | a, b |\n"
    )
    lesson = parse_text(text, "Lesson_1.md")
    assert lesson.cards[0].back_md == "A line"
    assert lesson.cards[0].key_terminology == "a, b"


def test_headings_inside_fences_never_parsed() -> None:
    text = (
        "### Card 1 | Easy\n**FRONT:**\nShow a markdown file.\n**BACK:**\n"
        "~~~~\n### Card 2 | Hard\n**FRONT:**\nnot a card\n## Spaced Repetition Schedule\n"
        "| Card | Initial Interval |\n|---|---|\n| 1 | 30 days |\n~~~~\n"
    )
    lesson = parse_text(text, "Lesson_1.md")
    assert [c.number for c in lesson.cards] == [1]
    assert lesson.schedule_declared is False
    assert lesson.cards[0].initial_interval_days == 1
    assert '<pre class="lf-code"><code>### Card 2 | Hard' in lesson.cards[0].back_html


def test_schedule_missing_a_card_gets_defaults() -> None:
    lesson = parse("Lesson_3_llms_mismatch.md")
    c3 = lesson.card(3)
    assert c3 is not None and (c3.initial_interval_days, c3.multiplier) == (7, 1.5)
    assert c3.recommended_review == ""
    c1 = lesson.card(1)
    assert c1 is not None and (c1.initial_interval_days, c1.multiplier) == (2, 2.5)


def test_title_variants() -> None:
    body = "\n### Card 1 | Easy\n**FRONT:** q\n**BACK:** a\n"
    assert parse_text("# Lesson 12: Agents" + body, "x.md").number == 12
    assert parse_text("# Lesson 12: Agents" + body, "x.md").title == "Agents"
    plain = parse_text("# Some notes" + body, "Lesson_03_notes.md")
    assert (plain.number, plain.title) == (3, "Some notes")
    none = parse_text(body, "notes.md")
    assert (none.number, none.title) == (None, "")


# ----------------------------------------------------------------------------- warnings


def test_mismatches_warn_and_go_on() -> None:
    lesson = parse("Lesson_3_llms_mismatch.md")
    assert [c.number for c in lesson.cards] == [1, 2, 3]
    assert messages(lesson) == [
        "5: Total Cards says 4, but the file has 3 cards",
        "6: Distribution says 2 Easy, 1 Medium, 1 Hard, but the cards are 1 Easy, 1 Medium, 1 Hard",
        "10: Critical Knowledge Summary lists card 8 for 'Tokenization', but there is no card 8",
        "58: TSV export row 'Context window limit' says Hard, but card 2 is Medium",
        "60: TSV export row 'What is RLHF?' does not match any card (the file has 3 cards); "
        "remove it or add the card",
        "67: CSV export row names card 9, but there is no such card",
        "75: Source Mapping gives card 2 Bloom's level Apply, but the card says Cognitive Level: "
        "Understand",
        "76: Source Mapping names card 12, but there is no card 12",
        "83: Spaced Repetition Schedule says card 2 is Easy, but the card is Medium; the schedule "
        "row's interval and multiplier are used",
        "84: Spaced Repetition Schedule names card 9, but there is no card 9",
    ]
    assert all(w.file.endswith("Lesson_3_llms_mismatch.md") for w in lesson.warnings)
    assert str(lesson.warnings[0]).endswith(
        "Lesson_3_llms_mismatch.md:5: Total Cards says 4, but the file has 3 cards"
    )
    tsv = [r.card_number for r in lesson.export_rows if r.kind == "tsv"]
    assert tsv == [1, 2, 3, None]


def test_export_row_matched_by_content_not_position() -> None:
    # Card 2 was deleted but the export block still lists it.
    text = """## Flashcards
### Card 1 | Easy
**FRONT:** What is gradient descent?
**BACK:** Step against the gradient.
### Card 3 | Medium
**FRONT:** Why does a learning rate that is too high diverge?
**BACK:** Steps overshoot the minimum.

## Export Formats
```
What is gradient descent?	Step against the gradient.	easy::opt
What is momentum?	Running average of gradients.	easy::opt
Learning rate too high: why diverge?	Overshoot.	medium::opt
```
"""
    lesson = parse_text(text, "Lesson_1.md")
    assert [r.card_number for r in lesson.export_rows] == [1, None, 3]
    assert [w.line for w in lesson.warnings] == [12]
    assert "'What is momentum?' does not match any card" in lesson.warnings[0].message


def test_unreadable_schedule_values_warn_and_use_defaults() -> None:
    text = """### Card 1 | Medium
**FRONT:** q
**BACK:** a

## Spaced Repetition Schedule
| Card | Initial Interval | Difficulty Multiplier |
|------|------------------|-----------------------|
| 1 (Medium) | soon | -2x |
"""
    lesson = parse_text(text, "Lesson_1.md")
    c = lesson.cards[0]
    assert (c.initial_interval_days, c.multiplier) == (3, 2.0)
    assert len(lesson.warnings) == 2
    assert "cannot read the initial interval 'soon'" in lesson.warnings[0].message
    assert "cannot read the multiplier '-2x'" in lesson.warnings[1].message


def test_unclosed_fence_warns_and_does_not_swallow_cards() -> None:
    text = "### Card 1 | Easy\n**FRONT:** q\n**BACK:**\n```\ncode\n\n### Card 2 | Hard\n**FRONT:** q2\n**BACK:** a2\n"
    lesson = parse_text(text, "Lesson_1.md")
    assert [c.number for c in lesson.cards] == [1, 2]
    assert [w.line for w in lesson.warnings] == [4]
    assert "never closed" in lesson.warnings[0].message


# ----------------------------------------------------------------------------- refused


@pytest.mark.parametrize(
    ("name", "line", "words"),
    [
        ("refuse_duplicate.md", 19, ["two cards are numbered 2", "line 12", "its own number"]),
        ("refuse_no_back.md", 14, ["card 2 has no BACK", "**BACK (Answer):**"]),
        ("refuse_no_front.md", 5, ["card 1 has no FRONT", "**FRONT (Question):**"]),
        (
            "refuse_difficulty.md",
            9,
            ["'Tricky'", "not Easy, Medium or Hard", "### Card 2 | Medium"],
        ),
        ("refuse_no_cards.md", 1, ["no flashcards found", "line 7", "### Card N | Difficulty"]),
    ],
)
def test_refused_files(name: str, line: int, words: list[str]) -> None:
    path = FIXTURES / name
    with pytest.raises(LessonError) as info:
        parse_file(path)
    err = info.value
    assert (err.file, err.line) == (str(path), line)
    assert str(err).startswith(f"{path}:{line}: ")
    for w in words:
        assert w in err.message


def test_empty_front_or_back_refused() -> None:
    with pytest.raises(LessonError, match="card 1 has an empty FRONT"):
        parse_text("### Card 1 | Easy\n**FRONT:**\n\n---\n**BACK:** a\n", "x.md")
    with pytest.raises(LessonError, match="card 1 has an empty BACK"):
        parse_text("### Card 1 | Easy\n**FRONT:** q\n**BACK:**\n---\n", "x.md")


def test_missing_difficulty_refused() -> None:
    with pytest.raises(LessonError) as info:
        parse_text("# T\n\n### Card 4\n**FRONT:** q\n**BACK:** a\n", "x.md")
    assert info.value.line == 3
    assert "card 4 has no difficulty" in info.value.message


def test_difficulty_label_instead_of_heading_is_accepted() -> None:
    lesson = parse_text("### Card 4\n**Difficulty:** Hard\n**FRONT:** q\n**BACK:** a\n", "x.md")
    assert lesson.cards[0].difficulty == "hard"


def test_empty_and_prose_files_refused() -> None:
    for text in ["", "\ufeff", "Just some notes.\n\nCard 1: what is X?\n"]:
        with pytest.raises(LessonError, match="no flashcards found"):
            parse_text(text, "notes.md")


def test_not_utf8_reports_line_of_first_bad_byte() -> None:
    data = (
        "# Lesson 1 - Café\n\n### Card 1 | Easy\n**FRONT:** q\n".encode()
        + "**BACK:** naïve\n".encode("latin-1")
    )
    with pytest.raises(LessonError) as info:
        parse_text(data, "Lesson_1.md")
    assert info.value.line == 5
    assert "not UTF-8" in info.value.message and "save it as UTF-8" in info.value.message


def test_utf16_and_binary_refused(tmp_path: object) -> None:
    with pytest.raises(LessonError, match="UTF-16"):
        parse_text("### Card 1 | Easy".encode("utf-16"), "x.md")
    with pytest.raises(LessonError, match="NUL"):
        parse_text(b"### Card 1 | Easy\n**FRONT:** q\x00\n**BACK:** a\n", "x.md")
    with pytest.raises(LessonError) as info:
        parse_text(bytes(range(256)), "image.png")
    assert info.value.line == 2  # 0x0a comes before the first bad byte 0x80


def test_missing_file_is_a_lesson_error(tmp_path: object) -> None:
    with pytest.raises(LessonError, match="cannot read the file"):
        parse_file(FIXTURES / "does_not_exist.md")
