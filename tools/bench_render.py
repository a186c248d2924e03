"""Time our card renderer against Python-Markdown on the cards of Lesson_4.

    python -m tools.bench_render [LESSON.md] [--rounds N]

Prints CPU milliseconds per card for both, how many times faster ours is, and the whole
parse (with and without rendering) per card as a fraction of Python-Markdown's render
time measured in the same run (the machine may be busy: compare within one run only).
"""

from __future__ import annotations

import argparse
import gc
import time
from collections.abc import Callable
from pathlib import Path

from addon.lesson.parse import parse_file, parse_text
from addon.lesson.render import render_markdown

DEFAULT_LESSON = (
    Path(__file__).resolve().parent.parent.parent / "shared" / "lessons" / "Lesson_4.md"
)


REPEAT = 10  # renders of every side per round (rounds last long enough to time)


def per_card_ms(render: object, sides: list[str], rounds: int) -> float:
    assert callable(render)
    # CPU time of this process, best of several rounds: other work on the machine
    # (tests running in parallel) does not count against us.
    best = float("inf")
    gc.collect()
    gc.disable()  # as inside parse_text, which renders with the cyclic GC paused
    try:
        for _ in range(rounds):
            t0 = time.process_time()
            for _ in range(REPEAT):
                for side in sides:
                    render(side)
            best = min(best, (time.process_time() - t0) / REPEAT)
    finally:
        gc.enable()
    return best * 1000 / (len(sides) / 2)  # two sides per card


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m tools.bench_render", description=__doc__)
    ap.add_argument("lesson", nargs="?", default=str(DEFAULT_LESSON))
    ap.add_argument("--rounds", type=int, default=20)
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
    data = Path(args.lesson).read_bytes()
    n = len(lesson.cards)
    full = per_call_ms(lambda: parse_text(data, args.lesson), args.rounds) / n
    bare = per_call_ms(lambda: parse_text(data, args.lesson, render=False), args.rounds) / n
    print(f"parse_text: {full:.3f} ms per card ({full / theirs:.3f} x Python-Markdown's render)")
    print(f"parse_text(render=False): {bare:.3f} ms per card ({bare / theirs:.3f} x)")
    return 0


def per_call_ms(call: Callable[[], object], rounds: int) -> float:
    """Best CPU time of one call, in ms (parse_text pauses the GC itself)."""
    best = float("inf")
    gc.collect()
    for _ in range(rounds):
        t0 = time.process_time()
        for _ in range(REPEAT):
            call()
        best = min(best, (time.process_time() - t0) / REPEAT)
    return best * 1000


if __name__ == "__main__":
    raise SystemExit(main())
