"""Deck names, tags and slugs derived from a lesson (pure functions, no collection)."""

from __future__ import annotations

import functools
import re
import unicodedata

from ..config import Config
from ..lesson.model import Lesson

_SLUG_DROP = re.compile(r"[^a-z0-9]+")


@functools.lru_cache(maxsize=4096)  # the same concepts and levels come back card after card
def slug(text: str) -> str:
    """'Scaled Dot-Product Attention' -> 'scaled_dot_product_attention' (ASCII, for tags)."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return _SLUG_DROP.sub("_", folded.lower()).strip("_") or "untitled"


def clean_deck_part(text: str) -> str:
    """A deck name component: no '::' (it would nest), no control characters, single spaces."""
    text = unicodedata.normalize("NFC", text).replace("::", ":").replace('"', "'")
    text = "".join(ch for ch in text if ch.isprintable())
    return " ".join(text.split()) or "Untitled"


def normalize_deck_name(name: str) -> str:
    """A deck name as Anki stores it (NFC, no control characters, each component trimmed, an
    empty one named "blank"), so that names compare equal to the ones Anki reads back."""
    parts = []
    for part in unicodedata.normalize("NFC", name).split("::"):
        part = "".join(ch for ch in part if ch.isprintable() or ch == " ").strip()
        parts.append(part or "blank")
    return "::".join(parts)


def lesson_label(lesson: Lesson) -> str:
    """'Lesson 04 - Transformers' (or just the title when the lesson has no number)."""
    title = clean_deck_part(lesson.title) if lesson.title else ""
    if lesson.number is None:
        return title or "Untitled lesson"
    head = f"Lesson {lesson.number:02d}"
    return f"{head} - {title}" if title else head


def deck_root_name(config: Config, deck_root: str | None = None) -> str:
    return normalize_deck_name((deck_root or config.deck_root).strip().strip(":"))


def lesson_deck_name(lesson: Lesson, config: Config, deck_root: str | None = None) -> str:
    return normalize_deck_name(f"{deck_root_name(config, deck_root)}::{lesson_label(lesson)}")


def lesson_tag_part(lesson: Lesson) -> str:
    """'04_transformers' for the tag lessons::lesson::04_transformers."""
    parts = []
    if lesson.number is not None:
        parts.append(f"{lesson.number:02d}")
    if lesson.title:
        parts.append(slug(lesson.title))
    return "_".join(parts) or "untitled"


def lesson_tag(lesson: Lesson, config: Config) -> str:
    return f"{config.tag_root}::lesson::{lesson_tag_part(lesson)}"


def critical_tag(config: Config) -> str:
    return f"{config.tag_root}::critical"


def retired_tag(config: Config) -> str:
    return f"{config.tag_root}::retired"


def waiting_tag(config: Config) -> str:
    return f"{config.tag_root}::waiting"
