"""Settings…: the config keys in a form, checked by the one config loader before saving."""

from __future__ import annotations

from typing import Any

from addon.config import Config, load_defaults
from addon.gui.settings import SettingsDialog, text_to_sources
from tests.conftest import REPO


def make(qtbot: Any, current: dict[str, Any] | None) -> tuple[SettingsDialog, list[dict[str, Any]]]:
    saved: list[dict[str, Any]] = []
    help_md = (REPO / "config.md").read_text(encoding="utf-8")
    dialog = SettingsDialog(None, current, saved.append, help_md)
    qtbot.addWidget(dialog)
    dialog.show()
    return dialog, saved


def test_shows_the_stored_values_and_saves_edits(qtbot: Any) -> None:
    stored = load_defaults() | {
        "on_conflict": "overwrite",
        "sources": [
            "/home/me/Lessons",
            {"location": "https://example.org/index.txt", "deck_root": "Course"},
        ],
        "my_own_key": 42,
    }
    dialog, saved = make(qtbot, stored)
    assert dialog.tag_root.text() == "lessons"
    assert dialog.on_conflict.currentData() == "overwrite"
    assert dialog.sources.toPlainText().splitlines() == [
        "/home/me/Lessons",
        '{"location": "https://example.org/index.txt", "deck_root": "Course"}',
    ]
    assert "tag_root" in dialog.help.toPlainText()  # config.md beside the form

    dialog.deck_root.setText("My Lessons")
    dialog.hold.setChecked(False)
    dialog.retention["hard"].setValue(0.97)
    dialog.mastery.setValue(30)
    dialog.accept()
    assert len(saved) == 1
    values = saved[0]
    assert values["deck_root"] == "My Lessons" and values["hold_until_mastered"] is False
    assert (
        values["fsrs_desired_retention"]["hard"] == 0.97 and values["mastery_interval_days"] == 30
    )
    assert values["my_own_key"] == 42  # keys the form does not know are kept
    assert values["sources"][1] == {
        "location": "https://example.org/index.txt",
        "deck_root": "Course",
    }
    config = Config.from_dict(values)
    assert config.deck_root == "My Lessons" and config.sources[1].deck_root == "Course"
    assert not dialog.isVisible()


def test_invalid_values_are_not_saved(qtbot: Any) -> None:
    dialog, saved = make(qtbot, None)
    dialog.tag_root.setText("has spaces")
    dialog.accept()
    assert saved == []
    assert dialog.isVisible()
    assert "tag_root must be a non-empty tag without spaces" in dialog.error_label.text()
    dialog.tag_root.setText("lessons")
    dialog.sources.setPlainText('{"location": broken')
    dialog.accept()
    assert saved == [] and "sources, line 1" in dialog.error_label.text()


def test_unchanged_settings_write_nothing(qtbot: Any) -> None:
    dialog, saved = make(qtbot, load_defaults())
    dialog.accept()
    assert saved == [] and not dialog.isVisible()


def test_sources_text() -> None:
    assert text_to_sources("  a  \n\n https://x/y.md \n") == ["a", "https://x/y.md"]
