"""Fixtures shared by every test folder."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from anki.collection import Collection

# No interval fuzz in the real scheduler, and Qt without a display.
os.environ.setdefault("ANKI_TEST_MODE", "1")
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("QTWEBENGINE_CHROMIUM_FLAGS", "--no-sandbox")

REPO = Path(__file__).resolve().parent.parent


def _shared_lessons() -> Path:
    """../shared/lessons beside the repository; a clone elsewhere can point to it with
    LESSON_FLASHCARDS_SHARED_LESSONS; without either, the copy of Lesson_4.md the demo ships."""
    candidates = [REPO.parent / "shared" / "lessons"]
    if os.environ.get("LESSON_FLASHCARDS_SHARED_LESSONS"):
        candidates.insert(0, Path(os.environ["LESSON_FLASHCARDS_SHARED_LESSONS"]))
    for path in candidates:
        if (path / "Lesson_4.md").exists():
            return path
    return REPO / "tools" / "sample"


SHARED_LESSONS = _shared_lessons()


@pytest.fixture
def lesson4_path() -> Path:
    path = SHARED_LESSONS / "Lesson_4.md"
    if not path.exists():  # pragma: no cover - the shared folder is part of the set-up
        pytest.fail(f"{path} is missing: tests read the shared lesson files from ../shared/lessons")
    return path


@pytest.fixture
def lesson4_text(lesson4_path: Path) -> str:
    return lesson4_path.read_text(encoding="utf-8")


@pytest.fixture
def col(tmp_path: Path) -> Iterator[Collection]:
    from anki.collection import Collection

    c = Collection(str(tmp_path / "collection.anki2"))
    try:
        yield c
    finally:
        c.close()
