"""The import dialog: parse lesson files, preview the plan, then import as one undo step.

Nothing changes before the user presses Import: the preview comes from
``importer.plan_import`` (read-only). Import runs ``importer.apply_plan`` as a ``CollectionOp``
(background thread, Anki's progress window, one Edit > Undo entry "Import Lessons").

The dialog takes the collection and an *op runner* so it can be shown on a real collection
without a main window (tests): inside Anki the runner is :func:`collection_op_runner`.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from anki.collection import Collection
from aqt.qt import (
    QBrush,
    QColor,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    Qt,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ..collection import importer, naming
from ..collection.plan import ImportPlan, ImportResult, LessonPlan
from ..config import Config
from ..lesson.errors import LessonError
from ..lesson.model import Lesson
from ..lesson.parse import parse_file
from .common import OpResult, as_op_result, optional_module

LESSON_FILE_ENDINGS = (".md", ".markdown")
DIALOG_OBJECT_NAME = "LessonFlashcardsImportDialog"

KIND_LABELS = {
    "add": "Add",
    "update": "Update",
    "unchanged": "Unchanged",
    "retire": "Retire",
    "conflict": "Conflict",
    "warning": "Warning",
}
KIND_COLORS = {
    "add": "#2e7d32",
    "update": "#1565c0",
    "unchanged": "#757575",
    "retire": "#8d6e63",
    "conflict": "#c62828",
    "warning": "#b26a00",
}
ON_CONFLICT_CHOICES = (
    ("keep", "Keep my edits in Anki (report a conflict)"),
    ("overwrite", "Take the file's version (overwrite my edits)"),
)
COLUMNS = ("Lesson / card", "Action", "Question", "Details", "Critical review")

# runner(op, on_success, on_failure): run ``op(col)`` and call back on the main thread.
OpRunner = Callable[
    [Callable[[Collection], Any], Callable[[Any], None], Callable[[Exception], None]], None
]


class PlanChanged(Exception):
    """The collection changed between the preview and Import: the preview is refreshed."""


# ---------------------------------------------------------------------------- preview (no Qt)


@dataclass
class Preview:
    paths: list[str]
    lessons: list[Lesson] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # "file:line: message"
    plan: ImportPlan | None = None

    @property
    def can_import(self) -> bool:
        return not self.errors and self.plan is not None and self.plan.has_changes


def parse_paths(paths: Sequence[str]) -> tuple[list[Lesson], list[str]]:
    """Parse every file; a refused file gives ``file:line: message`` and is left out."""
    lessons: list[Lesson] = []
    errors: list[str] = []
    for path in paths:
        try:
            lessons.append(parse_file(path))
        except LessonError as e:
            errors.append(str(e))
        except Exception as e:  # a parser bug must not take the dialog down
            errors.append(f"{path}:1: could not be read as a lesson file ({e!r})")
    return lessons, errors


def plan_preview(
    col: Collection, paths: Sequence[str], lessons: list[Lesson], errors: list[str], config: Config
) -> Preview:
    preview = Preview(list(paths), lessons, list(errors))
    if errors or not lessons:
        return preview
    try:
        preview.plan = importer.plan_import(col, lessons, config)
    except LessonError as e:
        preview.errors.append(str(e))
    return preview


def build_preview(col: Collection, paths: Sequence[str], config: Config) -> Preview:
    lessons, errors = parse_paths(paths)
    return plan_preview(col, paths, lessons, errors, config)


def plan_signature(plan: ImportPlan) -> list[tuple[str, list[tuple[str, int | None, int | None]]]]:
    """What the user saw: per lesson, each action's kind, card number and note."""
    return [
        (lp.deck_name, [(a.kind, a.card_number, a.note_id) for a in lp.actions])
        for lp in plan.lessons
    ]


def import_op(
    lessons: list[Lesson], config: Config, previewed: ImportPlan
) -> Callable[[Collection], ImportResult]:
    """The background operation: plan again on the collection as it is now, refuse if that is
    not what the preview showed, else apply (one undo step)."""

    def op(col: Collection) -> ImportResult:
        plan = importer.plan_import(col, lessons, config)
        if plan_signature(plan) != plan_signature(previewed):
            raise PlanChanged(
                "The collection changed since the preview (another import or a sync?). "
                "The preview has been refreshed: check it and press Import again."
            )
        return importer.apply_plan(col, plan, config)

    return op


def counts_text(counts: dict[str, int], warnings: int) -> str:
    parts = [
        f"{counts['add']} to add",
        f"{counts['update']} to update",
        f"{counts['unchanged']} unchanged",
        f"{counts['retire']} to retire",
        f"{counts['conflict']} conflict" + ("" if counts["conflict"] == 1 else "s"),
    ]
    if warnings:
        parts.append(f"{warnings} warning" + ("" if warnings == 1 else "s"))
    return " · ".join(parts)


def lesson_counts(lp: LessonPlan) -> dict[str, int]:
    return {k: lp.count(k) for k in ("add", "update", "unchanged", "retire", "conflict")}


# ---------------------------------------------------------------------------- runner


def collection_op_runner(parent: QWidget) -> OpRunner:
    """Run through Anki's ``CollectionOp`` (background thread, progress window, undo)."""
    from aqt.operations import CollectionOp

    def run(
        op: Callable[[Collection], Any],
        success: Callable[[Any], None],
        failure: Callable[[Exception], None],
    ) -> None:
        def wrapped(col: Collection) -> Any:
            result = op(col)
            return result if getattr(result, "changes", None) is not None else as_op_result(result)

        cop = CollectionOp(parent, wrapped).success(success).failure(failure)
        if hasattr(cop, "with_backend_progress"):
            try:
                from aqt.import_export.importing import import_progress_update

                cop = cop.with_backend_progress(import_progress_update)
            except ImportError:
                pass
        cop.run_in_background()

    return run


# ---------------------------------------------------------------------------- dialog


class LessonImportDialog(QDialog):
    """Preview lesson files and import them.

    ``on_imported(result)`` runs after a successful import (inside Anki: a tooltip with the
    summary); ``open_deck(deck_id)`` opens a deck (the per-lesson critical review).
    """

    def __init__(
        self,
        parent: QWidget | None,
        col: Collection,
        config: Config,
        paths: Sequence[str],
        *,
        runner: OpRunner,
        on_imported: Callable[[ImportResult], None] | None = None,
        open_deck: Callable[[int], None] | None = None,
        notify: Callable[[str], None] | None = None,
        ask_files: Callable[[], Sequence[str]] | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName(DIALOG_OBJECT_NAME)
        self.setWindowTitle("Import Lessons")
        self.col = col
        self.base_config = config
        self.runner = runner
        self.on_imported = on_imported
        self.open_deck = open_deck
        self.notify = notify or (lambda text: None)
        self.ask_files = ask_files
        self.paths: list[str] = []
        self.lessons: list[Lesson] = []
        self.parse_errors: list[str] = []
        self.preview: Preview | None = None
        self.import_result: ImportResult | None = None
        self.busy = False
        self.last_message = ""
        self._build_ui()
        self.add_paths(paths)

    # ---- layout

    def _build_ui(self) -> None:
        self.resize(920, 560)
        layout = QVBoxLayout(self)

        top = QHBoxLayout()
        self.files_label = QLabel()
        self.files_label.setWordWrap(True)
        self.files_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        top.addWidget(self.files_label, 1)
        self.add_button = QPushButton("Add files…")
        self.add_button.clicked.connect(self._on_add_files)
        self.add_button.setVisible(self.ask_files is not None)
        top.addWidget(self.add_button)
        layout.addLayout(top)

        options = QHBoxLayout()
        options.addWidget(QLabel("Cards you edited in Anki that also changed in the file:"))
        self.conflict_combo = QComboBox()
        for value, text in ON_CONFLICT_CHOICES:
            self.conflict_combo.addItem(text, value)
        index = [v for v, _ in ON_CONFLICT_CHOICES].index(self.base_config.on_conflict)
        self.conflict_combo.setCurrentIndex(index)
        self.conflict_combo.currentIndexChanged.connect(lambda _i: self.refresh())
        options.addWidget(self.conflict_combo, 1)
        layout.addLayout(options)

        self.errors_label = QLabel("These files cannot be imported; nothing will be changed:")
        self.errors_label.setStyleSheet("color: #c62828; font-weight: bold;")
        layout.addWidget(self.errors_label)
        self.errors_box = QPlainTextEdit()
        self.errors_box.setReadOnly(True)
        self.errors_box.setMaximumHeight(110)
        self.errors_box.setStyleSheet("color: #c62828;")
        layout.addWidget(self.errors_box)

        self.summary_label = QLabel()
        self.summary_label.setWordWrap(True)
        layout.addWidget(self.summary_label)

        self.tree = QTreeWidget()
        self.tree.setColumnCount(len(COLUMNS))
        self.tree.setHeaderLabels(list(COLUMNS))
        self.tree.setRootIsDecorated(True)
        self.tree.setUniformRowHeights(False)
        self.tree.setAlternatingRowColors(True)
        header = self.tree.header()
        assert header is not None
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(3, QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(4, QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(False)
        self.tree.setColumnWidth(3, 250)
        layout.addWidget(self.tree, 1)

        self.buttons = QDialogButtonBox()
        import_button = self.buttons.addButton("Import", QDialogButtonBox.ButtonRole.AcceptRole)
        assert import_button is not None
        self.import_button: QPushButton = import_button
        self.import_button.setDefault(True)
        self.cancel_button = self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.import_button.clicked.connect(self.start_import)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)

    # ---- state

    @property
    def config(self) -> Config:
        value = self.conflict_combo.currentData()
        return dataclasses.replace(
            self.base_config, on_conflict=str(value or self.base_config.on_conflict)
        )

    def set_on_conflict(self, value: str) -> None:
        values = [v for v, _ in ON_CONFLICT_CHOICES]
        self.conflict_combo.setCurrentIndex(values.index(value))

    def add_paths(self, paths: Sequence[str]) -> None:
        """Add files (File > Import called again, or Add files…) and re-parse only those."""
        if self.busy:
            return
        new = [os.fspath(p) for p in paths if os.fspath(p) not in self.paths]
        if not new:
            self.refresh()
            return
        self.paths.extend(new)
        lessons, errors = parse_paths(new)
        self.lessons.extend(lessons)
        self.parse_errors.extend(errors)
        self.refresh()

    def _on_add_files(self) -> None:
        if self.ask_files is not None:
            self.add_paths(list(self.ask_files()))

    def refresh(self) -> None:
        """Plan again (read-only) and redraw the preview."""
        self.preview = plan_preview(
            self.col, self.paths, self.lessons, self.parse_errors, self.config
        )
        self._render()

    # ---- drawing

    def _render(self) -> None:
        preview = self.preview
        assert preview is not None
        names = [os.path.basename(p) for p in preview.paths]
        self.files_label.setText(
            ("File: " if len(names) == 1 else f"{len(names)} files: ") + ", ".join(names)
        )
        self.errors_label.setVisible(bool(preview.errors))
        self.errors_box.setVisible(bool(preview.errors))
        self.errors_box.setPlainText("\n".join(preview.errors))
        self.tree.clear()
        plan = preview.plan
        if preview.errors:
            self.summary_label.setText("Fix the file(s) and open them again. Nothing was changed.")
        elif plan is None:
            self.summary_label.setText("No lesson files selected.")
        else:
            totals = {
                k: plan.count(k) for k in ("add", "update", "unchanged", "retire", "conflict")
            }
            text = counts_text(totals, len(plan.warnings))
            if not plan.has_changes:
                text += " — nothing to import: Anki already has these lessons as they are."
            self.summary_label.setText(text)
            for lp in plan.lessons:
                self._add_lesson(lp)
        self.import_button.setEnabled(preview.can_import and not self.busy)
        self.conflict_combo.setEnabled(not self.busy)

    def _add_lesson(self, lp: LessonPlan) -> None:
        counts = lesson_counts(lp)
        top = QTreeWidgetItem(
            [lp.label, "", f"into {lp.deck_name}", counts_text(counts, len(lp.warnings)), ""]
        )
        font = top.font(0)
        font.setBold(True)
        top.setFont(0, font)
        top.setToolTip(2, lp.file)
        top.setToolTip(3, counts_text(counts, len(lp.warnings)))
        self.tree.addTopLevelItem(top)
        lesson = lp.lesson
        if lesson is not None:
            for w in lesson.warnings:
                item = QTreeWidgetItem(
                    [f"line {w.line}", KIND_LABELS["warning"], "", w.message, ""]
                )
                item.setToolTip(3, str(w))
                self._color(item, "warning")
                top.addChild(item)
        for action in lp.actions:
            number = f"Card {action.card_number}" if action.card_number is not None else "(gone)"
            item = QTreeWidgetItem(
                [number, KIND_LABELS[action.kind], action.front_preview, action.detail, ""]
            )
            item.setToolTip(2, action.front_preview)
            item.setToolTip(3, action.detail)
            self._color(item, action.kind)
            top.addChild(item)
        if lp.skipped_unchanged:
            item = QTreeWidgetItem(
                [
                    f"{lp.skipped_unchanged} cards",
                    KIND_LABELS["unchanged"],
                    "",
                    "file unchanged since its last import",
                    "",
                ]
            )
            self._color(item, "unchanged")
            top.addChild(item)
        top.setExpanded(True)
        self._add_critical_button(top, lp)

    def _color(self, item: QTreeWidgetItem, kind: str) -> None:
        item.setForeground(1, QBrush(QColor(KIND_COLORS[kind])))

    def _add_critical_button(self, item: QTreeWidgetItem, lp: LessonPlan) -> None:
        button = QPushButton("Review critical")
        rf = optional_module("collection.review_filter")
        available = rf is not None and hasattr(rf, "rebuild_lesson_critical_op")
        imported = self.col.decks.id_for_name(lp.deck_name) is not None
        critical = lp.lesson is None or any(c.critical for c in lp.lesson.cards)
        button.setEnabled(
            bool(available and imported and lp.lesson is not None and critical and not self.busy)
        )
        if not available:
            button.setToolTip("The critical-knowledge review is not part of this version.")
        elif not imported:
            button.setToolTip("Import the lesson first.")
        elif lp.lesson is None:
            button.setToolTip("Use Tools > Lesson Flashcards > Review critical knowledge.")
        elif not critical:
            button.setToolTip("This lesson has no cards flagged as critical knowledge.")
        else:
            button.setToolTip(
                f"Fill a filtered deck with the due critical cards of {lp.label} and open it."
            )
        lesson = lp.lesson
        button.clicked.connect(
            lambda _checked=False, lesson=lesson: self.review_lesson_critical(lesson)
        )
        self.tree.setItemWidget(item, 4, button)

    def preview_rows(self) -> list[tuple[str, str, str, str, str]]:
        """The rows as displayed: (lesson label, first column, action, question, details)."""
        rows = []
        for i in range(self.tree.topLevelItemCount()):
            top = self.tree.topLevelItem(i)
            assert top is not None
            for j in range(top.childCount()):
                child = top.child(j)
                assert child is not None
                rows.append(
                    (top.text(0), child.text(0), child.text(1), child.text(2), child.text(3))
                )
        return rows

    def critical_buttons(self) -> list[QPushButton]:
        out = []
        for i in range(self.tree.topLevelItemCount()):
            widget = self.tree.itemWidget(self.tree.topLevelItem(i), 4)
            if isinstance(widget, QPushButton):
                out.append(widget)
        return out

    # ---- actions

    def _set_busy(self, busy: bool) -> None:
        self.busy = busy
        self.import_button.setEnabled(not busy and bool(self.preview and self.preview.can_import))
        self.conflict_combo.setEnabled(not busy)
        self.add_button.setEnabled(not busy)
        for b in self.critical_buttons():
            b.setEnabled(b.isEnabled() and not busy)

    def start_import(self) -> None:
        preview = self.preview
        if self.busy or preview is None or not preview.can_import or preview.plan is None:
            return
        self._set_busy(True)
        self.import_button.setText("Importing…")
        op = import_op(list(self.lessons), self.config, preview.plan)
        self.runner(op, self._imported, self._import_failed)

    def _imported(self, result: ImportResult) -> None:
        self.import_result = result
        self.busy = False
        self.last_message = result.summary()
        if self.on_imported is not None:
            self.on_imported(result)
        self.accept()

    def _import_failed(self, error: Exception) -> None:
        self.busy = False
        self.import_button.setText("Import")
        if isinstance(error, PlanChanged):
            message = str(error)
        else:
            message = f"The import failed and nothing was changed: {error}"
        self.last_message = message
        self.refresh()
        self.summary_label.setText(message)
        self.summary_label.setStyleSheet("color: #c62828;")
        self.notify(message)

    def review_lesson_critical(self, lesson: Lesson | None) -> None:
        rf = optional_module("collection.review_filter")
        if rf is None or lesson is None or self.busy:
            return
        config = self.config
        tag = naming.lesson_tag(lesson, config)
        label = naming.lesson_label(lesson)

        def op(col: Collection) -> OpResult:
            did, out = rf.rebuild_lesson_critical_op(col, config, tag, label)
            return OpResult(out.changes, did, int(out.count))

        def done(result: OpResult) -> None:
            self._set_busy(False)
            if not result.count:
                message = rf.nothing_to_review_message(config, label)
                self.last_message = message
                self.notify(message)
                return
            self.last_message = f"{result.count} critical cards of {label} to review."
            if self.open_deck is not None:
                self.open_deck(int(result.value))
                self.accept()
            else:
                self.notify(self.last_message)

        def failed(error: Exception) -> None:
            self._set_busy(False)
            self.last_message = f"The critical review could not be built: {error}"
            self.notify(self.last_message)

        self._set_busy(True)
        self.runner(op, done, failed)
