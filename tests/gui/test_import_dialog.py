"""The import dialog (pytest-qt, offscreen) on a real collection in a temp dir.

The dialog is driven like a user would: it is shown, its preview rows are read as displayed,
the option combo is changed and the Import button is clicked. Inside Anki the dialog runs its
work through ``CollectionOp``; here (no main window) the runner calls the same operation
synchronously on the same real collection. The CollectionOp path itself is covered by
tests/e2e/test_anki_addon.py in real Anki.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from anki.collection import Collection

from addon.collection import importer
from addon.config import Config
from addon.gui.import_dialog import LessonImportDialog
from tests.collection import lesson_variants as lv
from tests.conftest import REPO

FIXTURES = REPO / "tests" / "fixtures" / "lessons"
CONFIG = Config.from_dict()


class Runner:
    """Runs the dialog's operation at once on the collection it was given (records calls)."""

    def __init__(self, col: Collection) -> None:
        self.col = col
        self.calls = 0
        self.before: Callable[[], object] | None = None  # something that happens meanwhile

    def __call__(
        self,
        op: Callable[[Collection], Any],
        success: Callable[[Any], None],
        failure: Callable[[Exception], None],
    ) -> None:
        self.calls += 1
        if self.before is not None:
            self.before()
        try:
            result = op(self.col)
        except Exception as e:
            failure(e)
        else:
            success(result)


def make_dialog(
    qtbot: Any, col: Collection, paths: list[Path], config: Config = CONFIG, **kw: Any
) -> tuple[LessonImportDialog, Runner]:
    runner = Runner(col)
    messages: list[str] = []
    dialog = LessonImportDialog(
        None, col, config, [str(p) for p in paths], runner=runner, notify=messages.append, **kw
    )
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.messages = messages  # type: ignore[attr-defined]
    return dialog, runner


def kinds(dialog: LessonImportDialog) -> list[tuple[str, str]]:
    return [(first, action) for _lesson, first, action, _q, _d in dialog.preview_rows()]


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_first_import_previews_adds_and_imports_in_one_undo_step(
    qtbot: Any, col: Collection, lesson4_path: Path
) -> None:
    imported: list[Any] = []
    dialog, runner = make_dialog(qtbot, col, [lesson4_path], on_imported=imported.append)
    assert kinds(dialog) == [(f"Card {n}", "Add") for n in range(1, 6)]
    rows = dialog.preview_rows()
    assert {r[0] for r in rows} == {"Lesson 04 - Transformers"}
    assert "scaled dot-product attention" in rows[0][3].lower()
    assert dialog.summary_label.text().startswith(
        "5 to add · 0 to update · 0 unchanged · 0 to retire · 0 conflicts"
    )
    assert dialog.errors_box.isHidden()
    assert dialog.import_button.isEnabled()
    # nothing was written by the preview
    assert col.note_count() == 0

    qtbot.mouseClick(dialog.import_button, pytest.importorskip("aqt.qt").Qt.MouseButton.LeftButton)
    assert runner.calls == 1
    assert dialog.import_result is not None and dialog.import_result.added == 5
    assert imported and imported[0].summary().startswith(
        "5 added, 0 updated, 0 unchanged, 0 retired, 0 conflicts"
    )
    assert not dialog.isVisible()
    assert col.note_count() == 5
    assert col.undo_status().undo == "Import Lessons"
    col.undo()
    assert col.note_count() == 0


def test_reimport_preview_shows_update_unchanged_retire_add_and_conflict(
    qtbot: Any, col: Collection, lesson4_text: str, tmp_path: Path
) -> None:
    importer.import_files(col, [("Lesson_4.md", lesson4_text.encode())], CONFIG)
    # the learner edits card 1 in Anki
    [nid1] = [
        n for n in col.find_notes('"note:Lesson Flashcard"') if col.get_note(n)["Card"] == "1"
    ]
    note = col.get_note(nid1)
    note["Back"] += "<p>my mnemonic</p>"
    col.update_note(note)
    # the file: card 1 and card 2 changed, card 4 removed, a new card 6
    text = lv.replace_in_card(
        lesson4_text, 1, "Write the complete formula", "Write out the complete formula"
    )
    text = lv.replace_in_card(text, 2, "h = 8 to 32 heads", "h = 8 to 64 heads")
    text = lv.remove_card(text, 4)
    text = lv.append_card(
        text,
        lv.new_card(
            6, "Medium", "What does layer normalization normalize?", "Each token's features."
        ),
    )
    path = write(tmp_path / "Lesson_4.md", text)

    dialog, _ = make_dialog(qtbot, col, [path])
    shown = kinds(dialog)
    assert ("Card 1", "Conflict") in shown
    assert ("Card 2", "Update") in shown
    assert ("Card 3", "Unchanged") in shown and ("Card 5", "Unchanged") in shown
    assert ("(gone)", "Retire") in shown
    assert ("Card 6", "Add") in shown
    details = {first: detail for _l, first, _a, _q, detail in dialog.preview_rows()}
    assert "your edit is kept" in details["Card 1"]
    assert "card 4 is gone" in details["(gone)"]
    assert (
        "1 to add · 1 to update · 2 unchanged · 1 to retire · 1 conflict"
        in dialog.summary_label.text()
    )
    # the lesson row says where it goes
    top = dialog.tree.topLevelItem(0)
    assert top is not None and top.text(2) == "into Lessons::Lesson 04 - Transformers"

    # option: take the file's version -> the conflict becomes an update that overwrites the edit
    dialog.set_on_conflict("overwrite")
    shown = kinds(dialog)
    assert ("Card 1", "Update") in shown and ("Card 1", "Conflict") not in shown
    details = {first: detail for _l, first, _a, _q, detail in dialog.preview_rows()}
    assert "overwritten" in details["Card 1"]
    # the preview wrote nothing:
    assert "my mnemonic" in col.get_note(nid1)["Back"]

    dialog.import_button.click()
    result = dialog.import_result
    assert result is not None
    assert (result.added, result.updated, result.retired, result.conflicts) == (1, 2, 1, [])
    assert "my mnemonic" not in col.get_note(nid1)["Back"]
    assert "Write out the complete formula" in col.get_note(nid1)["Front"]
    assert len(col.find_notes('"tag:lessons::retired"')) == 1


def test_refused_file_shows_file_line_and_disables_import(
    qtbot: Any, col: Collection, lesson4_path: Path
) -> None:
    bad = FIXTURES / "refuse_duplicate.md"
    dialog, runner = make_dialog(qtbot, col, [lesson4_path, bad])
    assert dialog.errors_box.isVisible()
    text = dialog.errors_box.toPlainText()
    assert f"{bad}:19: two cards are numbered 2" in text
    assert not dialog.import_button.isEnabled()
    assert dialog.preview_rows() == []
    assert "Nothing was changed" in dialog.summary_label.text()
    dialog.start_import()  # even if called, nothing happens
    assert runner.calls == 0 and col.note_count() == 0


def test_two_files_of_one_lesson_are_an_error(
    qtbot: Any, col: Collection, lesson4_path: Path, lesson4_text: str, tmp_path: Path
) -> None:
    copy = write(tmp_path / "Lesson_4_copy.md", lesson4_text)
    dialog, _ = make_dialog(qtbot, col, [lesson4_path, copy])
    assert "same lesson" in dialog.errors_box.toPlainText()
    assert str(copy) + ":1:" in dialog.errors_box.toPlainText()
    assert not dialog.import_button.isEnabled()


def test_warnings_are_rows_with_their_line(qtbot: Any, col: Collection) -> None:
    dialog, _ = make_dialog(qtbot, col, [FIXTURES / "Lesson_3_llms_mismatch.md"])
    warnings = [r for r in dialog.preview_rows() if r[2] == "Warning"]
    assert ("line 5", "Total Cards says 4, but the file has 3 cards") in [
        (r[1], r[4]) for r in warnings
    ]
    assert len(warnings) == 10 and dialog.summary_label.text().endswith(" · 10 warnings")
    assert dialog.import_button.isEnabled()  # warnings do not stop an import


def test_more_files_join_the_open_preview(qtbot: Any, col: Collection, lesson4_path: Path) -> None:
    dialog, _ = make_dialog(qtbot, col, [lesson4_path])
    dialog.add_paths([str(FIXTURES / "Lesson_2_prompting.md"), str(lesson4_path)])
    labels = [dialog.tree.topLevelItem(i).text(0) for i in range(dialog.tree.topLevelItemCount())]
    assert len(labels) == 2 and labels[0] == "Lesson 04 - Transformers"
    assert dialog.files_label.text().startswith("2 files: Lesson_4.md, Lesson_2_prompting.md")
    assert dialog.summary_label.text().startswith("9 to add")
    dialog.import_button.click()
    assert col.note_count() == 9


def test_nothing_to_change_disables_import(qtbot: Any, col: Collection, lesson4_path: Path) -> None:
    importer.import_files(col, importer.read_files([lesson4_path]), CONFIG)
    dialog, _ = make_dialog(qtbot, col, [lesson4_path])
    assert kinds(dialog) == [(f"Card {n}", "Unchanged") for n in range(1, 6)]
    assert "nothing to import" in dialog.summary_label.text()
    assert not dialog.import_button.isEnabled()


def test_collection_changed_after_preview_refreshes_instead_of_importing(
    qtbot: Any, col: Collection, lesson4_path: Path
) -> None:
    dialog, runner = make_dialog(qtbot, col, [lesson4_path])
    # meanwhile (e.g. a lesson sync) the same lesson gets imported
    runner.before = lambda: importer.import_files(col, importer.read_files([lesson4_path]), CONFIG)
    dialog.import_button.click()
    assert dialog.import_result is None
    assert dialog.isVisible()
    assert "changed since the preview" in dialog.summary_label.text()
    assert dialog.messages and "changed since the preview" in dialog.messages[0]  # type: ignore[attr-defined]
    assert kinds(dialog) == [(f"Card {n}", "Unchanged") for n in range(1, 6)]
    assert col.note_count() == 5  # the other import only


def test_per_lesson_critical_review_button(qtbot: Any, col: Collection, lesson4_path: Path) -> None:
    rf = pytest.importorskip("addon.collection.review_filter")
    dialog, _ = make_dialog(qtbot, col, [lesson4_path])
    [button] = dialog.critical_buttons()
    assert not button.isEnabled() and "Import the lesson first" in button.toolTip()
    dialog.import_button.click()

    opened: list[int] = []
    dialog, _ = make_dialog(qtbot, col, [lesson4_path], open_deck=opened.append)
    [button] = dialog.critical_buttons()
    assert button.isEnabled()
    button.click()
    assert len(opened) == 1
    deck = col.decks.get(opened[0])
    assert deck is not None and deck["dyn"] and "Transformers" in deck["name"]
    # Lesson_4 flags all five cards; cards held back until others are mastered stay out
    expected = set(col.find_cards('"tag:lessons::critical" -is:suspended'))
    assert expected and set(col.find_cards(f"did:{opened[0]}")) == expected
    assert rf.lesson_critical_deck_name(CONFIG, "Lesson 04 - Transformers") == deck["name"]


def test_initial_option_follows_config(qtbot: Any, col: Collection, lesson4_path: Path) -> None:
    dialog, _ = make_dialog(
        qtbot, col, [lesson4_path], config=Config.from_dict({"on_conflict": "overwrite"})
    )
    assert dialog.conflict_combo.currentData() == "overwrite"
    assert dialog.config.on_conflict == "overwrite"
