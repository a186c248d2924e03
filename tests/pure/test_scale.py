"""Parsing stays linear in the number of cards (the benchmark imports 10,000 at once)."""

from __future__ import annotations

import time

from addon.lesson.parse import parse_text

CARD = """### Card {n} | {diff}
**Cognitive Level:** Apply
**Concept:** Concept {n}
**Source Section:** Part {n}

**FRONT (Question):**
Question number {n}: why does *this* matter for `topic_{n}`?

**BACK (Answer):**
**Answer {n}:**

| Aspect | Detail |
|--------|--------|
| **One** | first detail of {n} |
| **Two** | second detail of {n} |

```
code line for {n}
```

**Critical Knowledge Flag:** Yes - card {n}

---
"""


def lesson_text(n: int) -> str:
    diffs = ("Easy", "Medium", "Hard")
    cards = "".join(CARD.format(n=k, diff=diffs[k % 3]) for k in range(1, n + 1))
    tsv = "\n".join(f"Question number {k}: why	answer	x" for k in range(1, n + 1))
    sched = "\n".join(f"| {k} ({diffs[k % 3]}) | 2 days | 2.0x | r |" for k in range(1, n + 1))
    return (
        f"# Flashcard Set: Lesson 1 - Big\n\n**Total Cards:** {n}\n\n## Flashcards\n\n{cards}\n"
        f"## Export Formats\n\n```\n{tsv}\n```\n\n## Spaced Repetition Schedule\n\n"
        "| Card | Initial Interval | Difficulty Multiplier | Recommended Review |\n"
        f"|---|---|---|---|\n{sched}\n"
    )


def cpu_seconds(text: str) -> float:
    best = float("inf")
    for _ in range(2):
        t0 = time.process_time()
        lesson = parse_text(text, "Lesson_1.md")
        best = min(best, time.process_time() - t0)
    assert lesson.warnings == []
    assert all(r.card_number is not None for r in lesson.export_rows)
    return best


def test_parse_time_grows_linearly() -> None:
    small, big = lesson_text(250), lesson_text(2000)
    ratio = cpu_seconds(big) / cpu_seconds(small)
    assert ratio < 16, f"8x the cards took {ratio:.1f}x the time (quadratic somewhere?)"
