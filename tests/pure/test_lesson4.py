"""The canonical lesson file (../shared/lessons/Lesson_4.md) parsed with every field right."""

from __future__ import annotations

import re
from html import unescape
from pathlib import Path

import pytest

from addon.lesson.model import Lesson
from addon.lesson.parse import parse_file, parse_text

from .helpers import tags_of, text_of, unsafe_parts

EXPECTED_CARDS = [
    # number, difficulty, level, concept, source section, line, interval, multiplier, review, terms
    (1, "easy", "Remember", "Scaled Dot-Product Attention", "Core Concepts - Concept 1", 24, 1, 2.5,
     "Foundation - review first", "Q/K/V, softmax, √d_k scaling"),
    (2, "easy", "Understand", "Multi-Head Attention", "Core Concepts - Concept 2", 61, 1, 2.5,
     "Review with Card 1", "Multi-head, subspaces, head specialization"),
    (3, "medium", "Apply", "Positional Encoding Selection", "Core Concepts - Concept 3", 104, 3, 2.0,
     "After mastering Cards 1-2", "RoPE, ALiBi, learned, sinusoidal"),
    (4, "medium", "Analyze", "Architecture Variant Selection", "Core Concepts - Concept 6", 160, 3,
     2.0, "Architecture decision skill", "Encoder, decoder, enc-dec, causal mask"),
    (5, "hard", "Synthesize", "Complete Transformer System Design",
     "All Core Concepts, Practical Applications, Case Study", 237, 7, 1.5,
     "Review after all others mastered", "Full system: encoding, retrieval, generation"),
]  # fmt: skip

CRITICAL_NOTES = {
    1: "Foundation of all transformer models",
    2: "Enables transformer expressiveness",
    3: "Position encoding determines max context capability",
    4: "Architecture selection is fundamental design decision",
    5: "Integrates all transformer concepts in production system",
}


@pytest.fixture
def lesson(lesson4_path: Path) -> Lesson:
    return parse_file(lesson4_path)


def test_header(lesson: Lesson, lesson4_path: Path) -> None:
    assert lesson.file == str(lesson4_path)
    assert lesson.source == "Lessons/Lesson_4.md"
    assert lesson.number == 4
    assert lesson.title == "Transformers"
    assert lesson.subject == (
        "AI Learning - Transformer Architecture: Attention Mechanisms, Model Variants, "
        "and Implementation"
    )
    assert lesson.date_generated == "2026-01-08"
    assert lesson.declared_total == 5
    assert lesson.declared_distribution == {"easy": 2, "medium": 2, "hard": 1}
    assert lesson.identity == "source:lessons/lesson_4.md"
    assert lesson.warnings == []


def test_key_concepts(lesson: Lesson) -> None:
    assert lesson.key_concepts == {
        "Self-Attention": [1, 2, 5],
        "Multi-Head Attention": [2, 4, 5],
        "Positional Encoding": [1, 3, 5],
        "Architecture Variants": [4, 5],
    }
    by_card = {c.number: c.key_concepts for c in lesson.cards}
    assert by_card == {
        1: ["Self-Attention", "Positional Encoding"],
        2: ["Self-Attention", "Multi-Head Attention"],
        3: ["Positional Encoding"],
        4: ["Multi-Head Attention", "Architecture Variants"],
        5: [
            "Self-Attention",
            "Multi-Head Attention",
            "Positional Encoding",
            "Architecture Variants",
        ],
    }


def test_cards_every_field(lesson: Lesson) -> None:
    assert [c.number for c in lesson.cards] == [1, 2, 3, 4, 5]
    assert lesson.schedule_declared is True
    for card, exp in zip(lesson.cards, EXPECTED_CARDS, strict=True):
        number, diff, level, concept, section, line, interval, mult, review, terms = exp
        assert card.number == number
        assert card.difficulty == diff
        assert card.cognitive_level == level
        assert card.concept == concept
        assert card.source_section == section
        assert card.line == line
        assert card.initial_interval_days == interval
        assert card.multiplier == mult
        assert card.recommended_review == review
        assert card.key_terminology == terms
        assert card.bloom_level == level
        assert card.critical is True
        assert card.critical_note == CRITICAL_NOTES[number]


def test_front_and_back_markdown(lesson: Lesson) -> None:
    c1, c2, c3, c4, c5 = lesson.cards
    assert c1.front_md == (
        "Write the complete formula for scaled dot-product attention and explain the purpose "
        "of each component."
    )
    assert c1.back_md.startswith("**Formula:**\n```\nAttention(Q, K, V)")
    assert c1.back_md.endswith("learned query-key compatibility.")
    # The front of card 4 runs over its "**Tasks:**" list up to the BACK label.
    assert c4.front_md.endswith("3. Translating legal contracts from English to German")
    # Nothing of the flag line or the --- rules after it leaks into the back.
    for c in lesson.cards:
        assert "Critical Knowledge Flag" not in c.back_md
        assert not c.back_md.rstrip().endswith("---")
        assert "FRONT" not in c.back_md and "BACK (Answer)" not in c.front_md
    # Card 4's answer keeps its inner --- rules between the three tasks.
    assert c4.back_md.count("\n---\n") == 2
    assert c5.back_md.endswith(
        "| Medical accuracy | Domain-adapted models; human review flagging |"
    )
    assert c2.back_md.startswith("**Why Multiple Heads:**")
    assert c3.back_md.endswith("scores = Q @ K^T + attention_bias\n```")


def test_card5_box_diagram_and_tables_render(lesson: Lesson) -> None:
    html = lesson.cards[4].back_html
    diagrams = re.findall(r'<pre class="lf-diagram">(.*?)</pre>', html, re.S)
    assert len(diagrams) == 2  # the system overview and the latency budget
    overview = diagrams[0].split("\n")
    assert overview[0] == "┌" + "─" * 65 + "┐"
    assert overview[1] == "│                     QUERY PROCESSING                            │"
    # Kept exactly as written (every space), so the boxes stay aligned in monospace.
    fences = re.findall(r"```\n(.*?)\n```", lesson.cards[4].back_md, re.S)
    assert [unescape(d) for d in diagrams] == [fences[0], fences[1]]
    assert "                          ▼" in overview
    assert "Input: &quot;" not in diagrams[0]  # quotes stay quotes in text
    assert 'Input: "What are side effects of metformin in elderly?"' in diagrams[0]
    # Six tables, each scrollable on a phone, with bold inside cells.
    assert html.count('<div class="lf-table"><table>') == 6
    assert "<th>Component</th><th>Architecture</th><th>Specific Model</th>" in html
    assert "<td><strong>Query Encoder</strong></td><td>Encoder-only</td>" in html
    assert unsafe_parts(html) == []


def test_tables_and_code_render(lesson: Lesson) -> None:
    c1, c2, c3, c4, _ = lesson.cards
    assert '<pre class="lf-code"><code>Attention(Q, K, V) = softmax(Q @ K^T / √d_k) @ V' in (
        c1.back_html
    )
    assert "<td><strong>√d_k</strong></td><td>Scaling factor</td>" in c1.back_html
    # The unescaped pipes of "m×|i-j|" stay inside their cell.
    row = re.search(
        r"<tr><td><strong>ALiBi</strong></td>(.*?)</tr>", c3.back_html.split("Mechanism")[1]
    )
    assert row is not None
    cells = re.findall(r"<td>(.*?)</td>", row.group(1))
    assert cells == [
        "Subtract m×|i-j| from attention scores",
        "Directly penalizes distant attention; no position in embedding; scales to arbitrary length",
    ]
    assert "<ol><li>Classifying customer support tickets by urgency</li>" in c4.front_html
    assert c4.back_html.count("<hr>") == 2
    assert "<ul><li>Average: 50K tokens (exceeds training max)</li>" in c3.back_html
    assert "\u201chappy\u201d" not in c2.back_html and '"happy" ↔ "joyful"' in text_of(c2.back_html)
    for c in lesson.cards:
        assert unsafe_parts(c.front_html) == [] and unsafe_parts(c.back_html) == []
        assert {t for t, _ in tags_of(c.back_html)} <= {
            "p", "br", "strong", "em", "code", "pre", "div", "table", "thead", "tbody",
            "tr", "th", "td", "ul", "ol", "li", "hr",
        }  # fmt: skip


def test_export_rows_matched(lesson: Lesson) -> None:
    tsv = [r for r in lesson.export_rows if r.kind == "tsv"]
    csv = [r for r in lesson.export_rows if r.kind == "csv"]
    assert [r.card_number for r in tsv] == [1, 2, 3, 4, 5]
    assert [r.card_number for r in csv] == [1, 2, 3, 4, 5]
    assert tsv[0].front == "Write scaled dot-product attention formula"
    assert tsv[0].back.startswith("Attention(Q,K,V) = softmax(QK^T/√d_k)V.")
    assert tsv[0].extra == ["easy::attention::transformer"]
    assert tsv[0].line == 384
    assert csv[4].front == "Design medical search transformer system"
    assert csv[4].extra == ["Hard", "System Design", "Synthesize"]
    assert csv[0].line == 394


def test_connections(lesson: Lesson) -> None:
    t = lesson.connections
    assert t is not None
    assert t.headers == [
        "Transformer Concept",
        "LLMs (Lesson 3)",
        "Prompt Engineering (Lesson 2)",
        "Agent Skills (Lesson 1)",
    ]
    assert len(t.rows) == 5
    assert t.rows[0][0] == "Self-Attention"
    assert t.rows[4] == [
        "Efficiency",
        "KV cache, quantization",
        "Long prompts hit efficiency limits",
        "Skill chains must consider latency",
    ]


def test_same_result_from_bytes_text_crlf_and_bom(lesson4_path: Path) -> None:
    data = lesson4_path.read_bytes()
    base = parse_text(data, "L4.md")
    variants = [
        data.decode("utf-8"),
        b"\xef\xbb\xbf" + data,
        data.replace(b"\n", b"\r\n"),
        "\ufeff" + data.decode("utf-8").replace("\n", "\r\n"),
    ]
    for v in variants:
        other = parse_text(v, "L4.md")
        assert other == base
