"""``inspect FILE... [--json]``: parse lesson files and show what an import would read.

Needs no Anki collection (and imports nothing of anki). A refused file prints its
``FILE:LINE: message`` on stderr and the command exits with status 2.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from addon.lesson.errors import LessonError
from addon.lesson.model import Card, Lesson
from addon.lesson.parse import parse_file


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "inspect",
        help="parse lesson files and show their cards (no collection needed)",
        description=(
            "Parse lesson flashcard files and print what would be imported: header, cards, "
            "scheduling and warnings. A refused file exits with status 2 and prints "
            "FILE:LINE: what is wrong on stderr."
        ),
    )
    p.add_argument("files", nargs="+", metavar="FILE", help="lesson markdown files")
    p.add_argument("--json", action="store_true", help="print JSON instead of a summary")
    p.set_defaults(func=run)


def card_json(card: Card) -> dict[str, Any]:
    return {
        "number": card.number,
        "difficulty": card.difficulty,
        "cognitive_level": card.cognitive_level,
        "concept": card.concept,
        "source_section": card.source_section,
        "critical": card.critical,
        "critical_note": card.critical_note,
        "initial_interval_days": card.initial_interval_days,
        "multiplier": card.multiplier,
        "recommended_review": card.recommended_review,
        "key_terminology": card.key_terminology,
        "bloom_level": card.bloom_level,
        "key_concepts": list(card.key_concepts),
        "line": card.line,
        "front_md": card.front_md,
        "back_md": card.back_md,
        "front_html": card.front_html,
        "back_html": card.back_html,
    }


def lesson_json(lesson: Lesson) -> dict[str, Any]:
    return {
        "file": lesson.file,
        "source": lesson.source,
        "number": lesson.number,
        "title": lesson.title,
        "subject": lesson.subject,
        "date_generated": lesson.date_generated,
        "declared_total": lesson.declared_total,
        "declared_distribution": dict(lesson.declared_distribution),
        "key_concepts": {k: list(v) for k, v in lesson.key_concepts.items()},
        "schedule_declared": lesson.schedule_declared,
        "warnings": [str(w) for w in lesson.warnings],
        "export_rows": [
            {
                "kind": r.kind,
                "line": r.line,
                "front": r.front,
                "back": r.back,
                "extra": list(r.extra),
                "card_number": r.card_number,
            }
            for r in lesson.export_rows
        ],
        "connections": (
            {"headers": lesson.connections.headers, "rows": lesson.connections.rows}
            if lesson.connections
            else None
        ),
        "cards": [card_json(c) for c in lesson.cards],
    }


def summary(lesson: Lesson) -> str:
    head = f"Lesson {lesson.number}" if lesson.number is not None else "Lesson (no number)"
    if lesson.title:
        head += f" - {lesson.title}"
    out = [f"{lesson.file}: {head}"]
    if lesson.source:
        out.append(f"  source:   {lesson.source}")
    if lesson.subject:
        out.append(f"  subject:  {lesson.subject}")
    counts = {
        d: sum(1 for c in lesson.cards if c.difficulty == d) for d in ("easy", "medium", "hard")
    }
    declared = f" (declared {lesson.declared_total})" if lesson.declared_total is not None else ""
    out.append(
        f"  cards:    {len(lesson.cards)}{declared}: "
        + ", ".join(f"{n} {d}" for d, n in counts.items())
        + f"; {sum(c.critical for c in lesson.cards)} critical"
    )
    sched = "from the file" if lesson.schedule_declared else "defaults (no schedule in the file)"
    out.append(f"  schedule: {sched}")
    for name, nums in lesson.key_concepts.items():
        out.append(f"  key concept {name}: cards {', '.join(map(str, nums))}")
    for c in lesson.cards:
        flag = " [critical]" if c.critical else ""
        out.append(
            f"  #{c.number:<3} {c.difficulty:<6} {c.cognitive_level or '-':<11} "
            f"{c.initial_interval_days}d x{c.multiplier:g}  {c.concept or '(no concept)'}{flag}"
        )
    if lesson.export_rows:
        out.append(f"  export rows: {len(lesson.export_rows)}")
    for w in lesson.warnings:
        out.append(f"  warning: {w}")
    return "\n".join(out)


def run(args: argparse.Namespace) -> int:
    lessons: list[Lesson] = []
    status = 0
    for name in args.files:
        try:
            lessons.append(parse_file(name))
        except LessonError as e:
            print(str(e), file=sys.stderr)
            status = 2
    if status:
        return status
    if args.json:
        json.dump(
            {"lessons": [lesson_json(le) for le in lessons]},
            sys.stdout,
            ensure_ascii=False,
            indent=2,
        )
        sys.stdout.write("\n")
    else:
        print("\n\n".join(summary(le) for le in lessons))
    return 0
