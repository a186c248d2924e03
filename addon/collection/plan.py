"""What an import will do (the plan) and what it did (the result).

Plans are computed without changing the collection, so a preview dialog can show them
and tests can assert on them; ``importer.apply_plan`` carries one out as one undo step.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..lesson.model import Card, Lesson

ACTION_KINDS = ("add", "update", "unchanged", "retire", "conflict")


@dataclass
class CardAction:
    kind: str  # one of ACTION_KINDS
    card_number: int | None  # number in the file (None when the card is gone from the file)
    note_id: int | None  # existing note, None for "add"
    # The question as plain text, shortened, or how to make it when first asked for.
    preview: str | Callable[[], str]
    detail: str = (
        ""  # e.g. "answer changed", "renumbered 2 -> 3", "edited in Anki since last import"
    )
    card: Card | None = None  # the card from the file (None for "retire")

    @property
    def front_preview(self) -> str:
        if not isinstance(self.preview, str):
            self.preview = self.preview()
        return self.preview


@dataclass
class LessonPlan:
    file: str
    label: str  # "Lesson 04 - Transformers"
    deck_name: str
    lesson: Lesson | None  # None when the file is byte-identical to its last import (not parsed)
    actions: list[CardAction] = field(default_factory=list)
    skipped_unchanged: int = 0  # notes of an unparsed, unchanged file
    # Internal to the importer: everything apply_plan needs.
    work: Any = field(default=None, repr=False, compare=False)

    def count(self, kind: str) -> int:
        n = sum(1 for a in self.actions if a.kind == kind)
        if kind == "unchanged":
            n += self.skipped_unchanged
        return n

    @property
    def warnings(self) -> list[str]:
        return [str(w) for w in self.lesson.warnings] if self.lesson else []


@dataclass
class ImportPlan:
    lessons: list[LessonPlan] = field(default_factory=list)
    on_conflict: str = "keep"
    # Internal to the importer: file name -> (LessonFile.stat, when it was looked at, in ns).
    file_stamps: dict[str, tuple[list[int], int]] = field(default_factory=dict, repr=False)
    # Internal to the importer: the cache file as read when planning (path, records).
    cache: tuple[Path | None, dict[str, Any]] | None = field(
        default=None, repr=False, compare=False
    )

    @property
    def warnings(self) -> list[str]:
        return [w for lp in self.lessons for w in lp.warnings]

    def count(self, kind: str) -> int:
        return sum(lp.count(kind) for lp in self.lessons)

    @property
    def has_changes(self) -> bool:
        return any(
            a.kind not in ("unchanged", "conflict") for lp in self.lessons for a in lp.actions
        )


@dataclass
class ImportResult:
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    retired: int = 0
    conflicts: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)  # e.g. how FSRS was handled
    lessons: list[str] = field(default_factory=list)  # lesson deck names
    changes: Any = None  # anki OpChanges of the merged undo step, for CollectionOp

    def to_json(self) -> dict[str, Any]:
        return {
            "added": self.added,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "retired": self.retired,
            "conflicts": list(self.conflicts),
            "warnings": list(self.warnings),
            "messages": list(self.messages),
            "lessons": list(self.lessons),
        }

    def summary(self) -> str:
        if not (self.added or self.updated or self.retired or self.conflicts):
            head = f"Nothing to change: all {self.unchanged} cards unchanged."
        else:
            head = (
                f"{self.added} added, {self.updated} updated, {self.unchanged} unchanged, "
                f"{self.retired} retired, {len(self.conflicts)} conflicts."
            )
        lines = [head]
        lines += [f"Conflict: {c}" for c in self.conflicts]
        lines += self.messages
        return "\n".join(lines)
