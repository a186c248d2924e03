"""Time our card renderer against Python-Markdown on the cards of Lesson_4.

    python -m tools.bench_render [LESSON.md] [--rounds N]

Prints milliseconds per card for both, and how many times faster ours is.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from addon.lesson.parse import parse_file
from addon.lesson.render import render_markdown

DEFAULT_LESSON = (
    Path(__file__).resolve().parent.parent.parent / "shared" / "lessons" / "Lesson_4.md"
)


def per_card_ms(render: object, sides: list[str], rounds: int) -> float:
    assert callable(render)
    best = float("inf")
    for _ in range(rounds):
        t0 = time.perf_counter()
        for side in sides:
            render(side)
        best = min(best, time.perf_counter() - t0)
    return best * 1000 / (len(sides) / 2)  # two sides per card


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m tools.bench_render", description=__doc__)
    ap.add_argument("lesson", nargs="?", default=str(DEFAULT_LESSON))
    ap.add_argument("--rounds", type=int, default=50)
    args = ap.parse_args(argv)
    lesson = parse_file(args.lesson)
    sides = [s for c in lesson.cards for s in (c.front_md, c.back_md)]
    size = sum(len(s) for s in sides) / len(lesson.cards)
    ours = per_card_ms(render_markdown, sides, args.rounds)
    print(f"{len(lesson.cards)} cards, {size:.0f} characters of markdown per card on average")
    print(f"lesson.render.render_markdown: {ours:.3f} ms per card")
    try:
        import markdown
    except ImportError:  # pragma: no cover - Anki ships it
        print("Python-Markdown is not installed")
        return 0
    md = markdown.Markdown(extensions=["tables", "fenced_code"])

    def python_markdown(text: str) -> str:
        md.reset()
        return md.convert(text)

    theirs = per_card_ms(python_markdown, sides, max(3, args.rounds // 10))
    print(f"Python-Markdown (tables, fenced_code): {theirs:.3f} ms per card")
    print(f"ours is {theirs / ours:.0f}x faster")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
