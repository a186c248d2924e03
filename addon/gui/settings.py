"""Settings…: the keys of config.json in a small form, with config.md beside it.

Values are checked with the one config loader (``Config.from_dict``) before anything is
saved; keys the form does not know are kept as they are. Anki's own JSON editor
(Tools > Add-ons > Lesson Flashcards > Config) edits the same stored config.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from aqt.qt import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QSpinBox,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from ..config import Config, ConfigError, load_defaults

DIFFICULTIES = ("easy", "medium", "hard")


def sources_to_text(sources: Any) -> str:
    lines = []
    for s in sources or []:
        lines.append(s if isinstance(s, str) else json.dumps(s, ensure_ascii=False))
    return "\n".join(lines)


def text_to_sources(text: str) -> list[Any]:
    """One source per line: a folder, a file or a URL; or a JSON object such as
    ``{"location": "...", "deck_root": "My Course"}``."""
    out: list[Any] = []
    for n, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line:
            continue
        if line.startswith("{"):
            try:
                out.append(json.loads(line))
            except ValueError as e:
                raise ConfigError(f"sources, line {n}: not a valid JSON object ({e})") from None
        else:
            out.append(line)
    return out


class SettingsDialog(QDialog):
    def __init__(
        self,
        parent: QWidget | None,
        current: Mapping[str, Any] | None,
        save: Callable[[dict[str, Any]], None],
        help_markdown: str = "",
    ) -> None:
        super().__init__(parent)
        self.setObjectName("LessonFlashcardsSettings")
        self.setWindowTitle("Lesson Flashcards Settings")
        self.save = save
        self.stored: dict[str, Any] = dict(load_defaults())
        self.stored.update(dict(current or {}))
        self.saved: dict[str, Any] | None = None
        self._build(help_markdown)
        self._load(self.stored)

    def _build(self, help_markdown: str) -> None:
        self.resize(900, 560)
        outer = QVBoxLayout(self)
        row = QHBoxLayout()
        form_host = QWidget()
        form = QFormLayout(form_host)
        self.tag_root = QLineEdit()
        form.addRow("Tag root (tag_root)", self.tag_root)
        self.deck_root = QLineEdit()
        form.addRow("Parent deck (deck_root)", self.deck_root)
        self.on_conflict = QComboBox()
        self.on_conflict.addItem("Keep my edits in Anki (report a conflict)", "keep")
        self.on_conflict.addItem("Take the file's version", "overwrite")
        form.addRow("On conflict (on_conflict)", self.on_conflict)
        self.critical_deck = QLineEdit()
        form.addRow("Critical deck (critical_deck)", self.critical_deck)
        self.hold = QCheckBox("Hold cards until the cards they build on are mastered")
        form.addRow("hold_until_mastered", self.hold)
        self.mastery = QSpinBox()
        self.mastery.setRange(1, 3650)
        self.mastery.setSuffix(" days")
        form.addRow("Mastered at interval (mastery_interval_days)", self.mastery)
        self.retention: dict[str, QDoubleSpinBox] = {}
        for d in DIFFICULTIES:
            box = QDoubleSpinBox()
            box.setRange(0.70, 0.99)
            box.setSingleStep(0.01)
            box.setDecimals(2)
            self.retention[d] = box
            form.addRow(f"FSRS desired retention, {d}", box)
        self.sources = QPlainTextEdit()
        self.sources.setPlaceholderText("One folder, file or https:// URL per line")
        self.sources.setMaximumHeight(90)
        form.addRow("Sources (sources)", self.sources)
        self.sync_open = QCheckBox("Sync lesson sources when the profile opens")
        form.addRow("sync_on_profile_open", self.sync_open)
        self.sync_before = QCheckBox("Sync lesson sources before Anki syncs")
        form.addRow("sync_before_anki_sync", self.sync_before)
        self.max_mb = QDoubleSpinBox()
        self.max_mb.setRange(0.1, 1000)
        self.max_mb.setSuffix(" MB")
        form.addRow("Largest download (max_download_mb)", self.max_mb)
        self.timeout = QDoubleSpinBox()
        self.timeout.setRange(1, 600)
        self.timeout.setSuffix(" s")
        form.addRow("Network time-out (request_timeout_seconds)", self.timeout)
        row.addWidget(form_host, 3)
        self.help = QTextBrowser()
        self.help.setOpenExternalLinks(True)
        if help_markdown:
            self.help.setMarkdown(help_markdown)
            row.addWidget(self.help, 2)
        else:
            self.help.setVisible(False)
        outer.addLayout(row, 1)
        self.error_label = QLabel()
        self.error_label.setStyleSheet("color: #c62828;")
        self.error_label.setWordWrap(True)
        self.error_label.setVisible(False)
        outer.addWidget(self.error_label)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok
            | QDialogButtonBox.StandardButton.Cancel
            | QDialogButtonBox.StandardButton.RestoreDefaults
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        restore = buttons.button(QDialogButtonBox.StandardButton.RestoreDefaults)
        assert restore is not None
        restore.clicked.connect(lambda: self._load(load_defaults()))
        self.buttons = buttons
        outer.addWidget(buttons)

    def _load(self, values: Mapping[str, Any]) -> None:
        self.tag_root.setText(str(values.get("tag_root", "")))
        self.deck_root.setText(str(values.get("deck_root", "")))
        idx = self.on_conflict.findData(str(values.get("on_conflict", "keep")).lower())
        self.on_conflict.setCurrentIndex(max(idx, 0))
        self.critical_deck.setText(str(values.get("critical_deck", "")))
        self.hold.setChecked(bool(values.get("hold_until_mastered", True)))
        self.mastery.setValue(int(values.get("mastery_interval_days", 21)))
        retention = dict(values.get("fsrs_desired_retention") or {})
        for d, box in self.retention.items():
            box.setValue(float(retention.get(d, 0.9)))
        self.sources.setPlainText(sources_to_text(values.get("sources")))
        self.sync_open.setChecked(bool(values.get("sync_on_profile_open", True)))
        self.sync_before.setChecked(bool(values.get("sync_before_anki_sync", True)))
        self.max_mb.setValue(float(values.get("max_download_mb", 5)))
        self.timeout.setValue(float(values.get("request_timeout_seconds", 20)))

    def values(self) -> dict[str, Any]:
        """The stored config with the form's values on top (raises ConfigError)."""
        out = dict(self.stored)
        retention = dict(out.get("fsrs_desired_retention") or {})
        retention.update({d: round(box.value(), 2) for d, box in self.retention.items()})
        out.update(
            {
                "tag_root": self.tag_root.text().strip(),
                "deck_root": self.deck_root.text().strip(),
                "on_conflict": str(self.on_conflict.currentData()),
                "critical_deck": self.critical_deck.text().strip(),
                "hold_until_mastered": self.hold.isChecked(),
                "mastery_interval_days": self.mastery.value(),
                "fsrs_desired_retention": retention,
                "sources": text_to_sources(self.sources.toPlainText()),
                "sync_on_profile_open": self.sync_open.isChecked(),
                "sync_before_anki_sync": self.sync_before.isChecked(),
                "max_download_mb": self.max_mb.value(),
                "request_timeout_seconds": self.timeout.value(),
            }
        )
        Config.from_dict(out)  # the one loader decides what is valid
        return out

    def accept(self) -> None:
        try:
            values = self.values()
        except ConfigError as e:
            self.error_label.setText(f"Not saved: {e}")
            self.error_label.setVisible(True)
            return
        if values != self.stored:
            self.save(values)
        self.saved = values
        super().accept()
