"""The built add-on in the real Anki, the way a learner gets it.

Build the .ankiaddon, install it into a fresh base folder with Anki's own
``AddonManager.install`` (the AnkiWeb download path), start the real Anki offscreen on a new
profile, import Lesson_4 through File > Import (``aqt.import_export.importing.import_file``
picks the add-on's entry in ``IMPORTERS``), press Import in the preview, open the lesson deck
in the reviewer; then, after Anki closed the profile, read its collection from disk.
Screenshots of the dialog and of the rendered card go to ``test-artifacts/``.
"""

from __future__ import annotations

import json
import shutil
import zipfile
from pathlib import Path

import pytest

from tools import demo

PROFILE = "learner"
CARD1_TAGS = {
    "lessons::lesson::04_transformers",
    "lessons::difficulty::easy",
    "lessons::concept::scaled_dot_product_attention",
    "lessons::bloom::remember",
    "lessons::key_concept::self_attention",
    "lessons::critical",
}


def image_has_content(path: Path) -> bool:
    """Not blank: the PNG has many distinct colours (text, badges, tables)."""
    from aqt.qt import QImage

    image = QImage(str(path))
    if image.isNull() or image.width() < 300 or image.height() < 200:
        return False
    colours = {
        image.pixel(x, y) for x in range(0, image.width(), 7) for y in range(0, image.height(), 7)
    }
    return len(colours) > 20


@pytest.mark.e2e
def test_built_addon_imports_lesson4_through_file_import_in_real_anki(
    tmp_path: Path, ankiaddon: Path, artifacts: Path, lesson4_path: Path
) -> None:
    base = tmp_path / "base"
    demo.make_base(base, PROFILE)

    # Anki's add-on manager installs the package as an AnkiWeb download would
    result = demo.install_addon(base, ankiaddon)
    assert result.name == "Lesson Flashcards" and result.compatible
    installed = base / "addons21" / "lesson_flashcards"
    with zipfile.ZipFile(ankiaddon) as zf:
        shipped = set(zf.namelist())
    on_disk = {p.relative_to(installed).as_posix() for p in installed.rglob("*") if p.is_file()}
    assert on_disk == shipped | {"meta.json"}
    meta = json.loads((installed / "meta.json").read_text(encoding="utf-8"))
    assert meta["human_version"] == "0.1.0" and meta["min_point_version"] == 260900

    shots = tmp_path / "shots"
    record, proc = demo.drive_import(base, PROFILE, [lesson4_path], shots, timeout=150)
    (artifacts / "e2e-anki-addon-record.json").write_text(
        json.dumps(record, indent=1), encoding="utf-8"
    )
    assert record["errors"] == [], "\n".join(record["errors"]) + proc.stderr[-3000:]

    # loaded by Anki from addons21, with its Tools menu and File > Import entry
    assert record["addon_loaded"] is True
    assert record["tools_menu_title"] == "Lesson Flashcards"
    assert record["tools_menu"] == [
        "Import lesson files…",
        "Sync lessons now",
        "Review critical knowledge",
        "Delete retired notes…",
        "Settings…",
    ]
    assert record["importer"].startswith("lesson_flashcards.gui.")
    assert record["importer"].endswith("LessonFileImporter")
    assert record["file_dialog_offers_md"] is True

    # Review critical knowledge on an empty collection: a message, no error dialog
    assert (
        "<b>Nothing critical to review</b><br>No critical cards are due or new"
        in record["empty_critical_message"]
    )
    assert record["empty_critical_modal"] is None
    assert record["state_after_empty_critical"] == "deckBrowser"

    # the preview, before anything changed
    assert record["notes_before"] == 0
    assert [(r[1], r[2]) for r in record["preview_rows"]] == [
        (f"Card {n}", "Add") for n in range(1, 6)
    ]
    assert record["preview_summary"].startswith("5 to add · 0 to update")
    assert record["import_enabled"] is True and record["errors_shown"] == ""

    # the import: a CollectionOp, one undo step
    assert record["result"]["added"] == 5 and record["result"]["conflicts"] == []
    assert record["summary"].startswith("5 added, 0 updated, 0 unchanged, 0 retired, 0 conflicts.")
    assert record["undo"] == "Import Lessons"
    assert record["notes_after"] == 5

    # the reviewer rendered the first card of the lesson, question and answer
    assert "Write the complete formula for scaled dot-product attention" in record["question_text"]
    assert "Critical" in record["question_text"]
    assert "Attention(Q, K, V)" in record["answer_text"]

    # Tools > Lesson Flashcards > Review critical knowledge filled and opened the filtered deck
    assert record["critical_deck"] == "Lessons::Critical Knowledge"

    # screenshots, kept for a person to look at
    for name in (
        "import-dialog.png",
        "reviewer-question.png",
        "reviewer-answer.png",
        "critical-overview.png",
    ):
        path = shots / name
        assert record["screenshots"][name] == str(path)
        assert image_has_content(path), f"{name} looks blank"
        shutil.copy(path, artifacts / f"e2e-{name}")

    # what Anki saved in the profile's collection (read after Anki closed it)
    summary = demo.collection_summary(base / PROFILE / "collection.anki2")
    assert summary["notes"] == 5
    assert summary["notes_per_difficulty"] == {"Easy": 2, "Hard": 1, "Medium": 2}
    assert summary["cards_per_deck"] == {
        "Lessons::Lesson 04 - Transformers::Easy": 2,
        "Lessons::Lesson 04 - Transformers::Hard": 1,
        "Lessons::Lesson 04 - Transformers::Medium": 2,
    }
    assert {"Lessons", "Lessons::Lesson 04 - Transformers"} <= set(summary["all_decks"])
    assert summary["tags"]["lessons::lesson::04_transformers"] == 5
    assert summary["tags"]["lessons::critical"] == 5

    from anki.collection import Collection

    col = Collection(str(base / PROFILE / "collection.anki2"))
    try:
        notes = [col.get_note(nid) for nid in col.find_notes('"note:Lesson Flashcard"')]
        [note] = [n for n in notes if n["Card"] == "1"]
        assert set(note.tags) >= CARD1_TAGS
        assert note["Difficulty"] == "Easy" and note["Concept"] == "Scaled Dot-Product Attention"
        assert "<table" in note["Back"]
        # the critical deck holds the critical cards that are not held back (suspended)
        critical = col.decks.id_for_name("Lessons::Critical Knowledge")
        assert critical is not None
        in_deck = sorted(col.find_cards(f"did:{critical}"))
        assert in_deck == record["critical_cards"]
        assert (
            set(in_deck) == set(col.find_cards('"tag:lessons::critical" -is:suspended')) and in_deck
        )
    finally:
        col.close()
