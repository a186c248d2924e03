"""Typed representation of a parsed lesson flashcard file (pure Python)."""

from __future__ import annotations

from dataclasses import dataclass, field

from .errors import LessonWarning

DIFFICULTIES = ("easy", "medium", "hard")

# The document's own defaults when a file has no Spaced Repetition Schedule:
# difficulty -> (initial interval in days, multiplier)
DEFAULT_SCHEDULE: dict[str, tuple[int, float]] = {
    "easy": (1, 2.5),
    "medium": (3, 2.0),
    "hard": (7, 1.5),
}


@dataclass
class Card:
    number: int
    difficulty: str  # one of DIFFICULTIES
    cognitive_level: str
    concept: str
    source_section: str
    front_md: str  # markdown as written in the file
    back_md: str
    critical: bool
    critical_note: str  # text after "Yes -" (may be empty)
    line: int  # line of the "### Card N" heading (1-based)
    # From the Spaced Repetition Schedule (or defaults by difficulty):
    initial_interval_days: int = 1
    multiplier: float = 2.5
    recommended_review: str = ""
    # From the Source Mapping table:
    key_terminology: str = ""
    bloom_level: str = ""
    # Rendered safe HTML (filled by the parser through lesson.render):
    front_html: str = ""
    back_html: str = ""
    # Key concepts (Critical Knowledge Summary) naming this card:
    key_concepts: list[str] = field(default_factory=list)


@dataclass
class Table:
    headers: list[str]
    rows: list[list[str]]
    line: int = 0


@dataclass
class ExportRow:
    kind: str  # "tsv" or "csv"
    line: int
    front: str
    back: str
    extra: list[str]  # remaining columns (tags for TSV; difficulty, concept, level for CSV)
    card_number: int | None = None  # card matched to this row, if any


@dataclass
class Lesson:
    file: str  # path as given
    source: str | None  # **Source:** header, e.g. "Lessons/Lesson_4.md"
    number: int | None
    title: str
    subject: str
    date_generated: str
    declared_total: int | None
    declared_distribution: dict[str, int]  # difficulty -> count as declared
    key_concepts: dict[str, list[int]]  # concept -> card numbers (Critical Knowledge Summary)
    cards: list[Card]
    export_rows: list[ExportRow] = field(default_factory=list)
    schedule_declared: bool = False  # False: defaults were used
    connections: Table | None = None  # Connection to Other Lessons
    warnings: list[LessonWarning] = field(default_factory=list)

    @property
    def identity(self) -> str:
        """Stable identity: the Source header, else lesson number and title; never the path."""
        if self.source:
            return "source:" + self.source.strip().replace("\\", "/").lower()
        title = " ".join(self.title.lower().split())
        return f"lesson:{self.number if self.number is not None else ''}:{title}"

    def card(self, number: int) -> Card | None:
        for c in self.cards:
            if c.number == number:
                return c
        return None
