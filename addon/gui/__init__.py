"""The add-on inside Anki: Tools > Lesson Flashcards, File > Import for ``.md``, hooks.

``setup(mw)`` is called once by the package's ``__init__`` inside a running Anki. It adds:

- Tools > Lesson Flashcards: Import lesson files…, Sync lessons now, Review critical
  knowledge, Delete retired notes…, Settings…;
- an importer for ``.md`` lesson files in ``aqt.import_export.importing.IMPORTERS``, so
  File > Import opens the same preview dialog (files arriving while it is open join it);
- the lesson-source hooks (``gui.lesson_sync.install_hooks``) and the release of held cards
  (``collection.scheduling.release_holds``) on profile open and after Anki's sync.

Modules that other parts of the add-on provide are looked up with feature checks, so a
build without them still loads.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, ClassVar

from aqt import gui_hooks
from aqt.qt import QAction, QMenu
from aqt.utils import askUser, getFile, showWarning, tooltip

from .. import version
from ..collection import importer, naming
from ..collection.plan import ImportResult
from ..config import ConfigError
from .common import (
    OpResult,
    as_op_result,
    config_help_markdown,
    html_escape,
    load_config,
    optional_function,
    optional_module,
    package_name,
    raw_config,
)
from .import_dialog import (
    LESSON_FILE_ENDINGS,
    LessonImportDialog,
    collection_op_runner,
)
from .settings import SettingsDialog

if TYPE_CHECKING:
    from anki.collection import Collection
    from aqt.main import AnkiQt

MENU_TITLE = "Lesson Flashcards"
MENU_OBJECT_NAME = "LessonFlashcardsMenu"
ACTION_TITLES = (
    "Import lesson files…",
    "Sync lessons now",
    "Review critical knowledge",
    "Delete retired notes…",
    "Settings…",
)
NOTHING_CRITICAL = "Nothing critical to review"

_state: dict[str, Any] = {"dialog": None, "setup": False}


def setup(mw: AnkiQt) -> None:
    if _state["setup"]:
        return
    _state["setup"] = True
    problem = version.compatibility_problem()
    if problem:
        print(problem)
        gui_hooks.main_window_did_init.append(lambda: _warn(problem))
        return
    install_menu(mw)
    install_file_import()
    install_hooks(mw)


def _warn(text: str) -> None:
    showWarning(text)


# ---------------------------------------------------------------------------- menu


def install_menu(mw: AnkiQt) -> QMenu:
    menu = QMenu(MENU_TITLE, mw)
    menu.setObjectName(MENU_OBJECT_NAME)
    handlers = (
        lambda: choose_and_import(mw),
        lambda: sync_lessons_now(mw),
        lambda: review_critical(mw),
        lambda: delete_retired(mw),
        lambda: open_settings(mw),
    )
    for title, handler in zip(ACTION_TITLES, handlers, strict=True):
        action = QAction(title, menu)
        action.triggered.connect(lambda _checked=False, h=handler: h())
        menu.addAction(action)
    mw.form.menuTools.addMenu(menu)
    return menu


def _config_or_warn(mw: AnkiQt) -> Any:
    try:
        return load_config(mw)
    except ConfigError as e:
        showWarning(
            f"The Lesson Flashcards settings are invalid: {e}\n\n"
            "Fix them in Tools > Lesson Flashcards > Settings… (or Tools > Add-ons > Config).",
            parent=mw,
        )
        return None


def choose_and_import(mw: AnkiQt) -> None:
    paths = _ask_lesson_files(mw)
    if paths:
        open_import_dialog(mw, paths)


def _ask_lesson_files(parent: Any) -> list[str]:
    patterns = " ".join(f"*{e}" for e in LESSON_FILE_ENDINGS)
    chosen = getFile(
        parent,
        "Import lesson files",
        None,
        filter=f"Lesson files ({patterns})",
        key="lesson_flashcards_import",
        multi=True,
    )
    if not chosen:
        return []
    return [chosen] if isinstance(chosen, str) else list(chosen)


def open_import_dialog(mw: AnkiQt, paths: Sequence[str]) -> LessonImportDialog | None:
    """Open the preview for ``paths``; if a preview is open and idle, the files join it."""
    existing: LessonImportDialog | None = _state["dialog"]
    if (
        existing is not None
        and existing.isVisible()
        and not existing.busy
        and existing.col is mw.col
    ):
        existing.add_paths(paths)
        existing.raise_()
        existing.activateWindow()
        return existing
    config = _config_or_warn(mw)
    if config is None or mw.col is None:
        return None

    def imported(result: ImportResult) -> None:
        text = result.summary()
        lines = text.splitlines()
        if result.conflicts:
            # conflicts need reading: a tooltip would vanish before that
            showWarning(text, parent=mw, title="Lessons imported")
        else:
            tooltip("<br>".join(html_escape(x) for x in lines[:6]), parent=mw, period=5000)

    dialog = LessonImportDialog(
        mw,
        mw.col,
        config,
        paths,
        runner=collection_op_runner(mw),
        on_imported=imported,
        open_deck=lambda did: open_deck(mw, did),
        notify=lambda text: tooltip(html_escape(text), parent=_state["dialog"] or mw, period=6000),
        ask_files=lambda: _ask_lesson_files(_state["dialog"] or mw),
    )
    dialog.finished.connect(lambda _r: _forget_dialog(dialog))
    _state["dialog"] = dialog
    dialog.show()
    return dialog


def _forget_dialog(dialog: LessonImportDialog) -> None:
    if _state["dialog"] is dialog:
        _state["dialog"] = None


def current_import_dialog() -> LessonImportDialog | None:
    return _state["dialog"]


def sync_lessons_now(mw: AnkiQt) -> None:
    fn = optional_function("gui.lesson_sync", "sync_lessons_now")
    if fn is None:
        tooltip("Lesson sync is not part of this version of the add-on.", parent=mw)
        return
    fn(mw)


def open_deck(mw: AnkiQt, deck_id: int) -> None:
    from anki.decks import DeckId

    try:
        from aqt.operations.deck import set_current_deck
    except ImportError:
        mw.col.decks.select(DeckId(deck_id))
        mw.moveToState("overview")
        return
    set_current_deck(parent=mw, deck_id=DeckId(deck_id)).success(
        lambda _changes: mw.moveToState("overview")
    ).run_in_background()


def review_critical(mw: AnkiQt) -> None:
    rf = optional_module("collection.review_filter")
    if rf is None or not hasattr(rf, "rebuild_critical"):
        tooltip(
            "The critical-knowledge review is not part of this version of the add-on.", parent=mw
        )
        return
    config = _config_or_warn(mw)
    if config is None:
        return
    from anki.errors import FilteredDeckError
    from aqt.operations import CollectionOp

    def op(col: Collection) -> OpResult:
        build = getattr(rf, "rebuild_critical_op", None)
        try:
            result = as_op_result(build(col, config) if build else rf.rebuild_critical(col, config))
        except FilteredDeckError:  # Anki: "no cards matched"
            result = OpResult(as_op_result(None).changes, 0, 0)
        finder = getattr(rf, "filter_deck_id", None)
        did = finder(col, config) if finder else col.decks.id_for_name(config.critical_deck)
        return OpResult(result.changes, did, result.count if result.count is not None else 0)

    def done(result: OpResult) -> None:
        if not result.count or result.value is None:
            message = (
                rf.nothing_to_review_message(config)
                if hasattr(rf, "nothing_to_review_message")
                else "No critical cards are due or new right now."
            )
            tooltip(f"<b>{NOTHING_CRITICAL}</b><br>{html_escape(message)}", parent=mw, period=5000)
            return
        tooltip(f"{result.count} critical cards to review.", parent=mw)
        open_deck(mw, int(result.value))

    def failed(error: Exception) -> None:
        showWarning(f"The critical-knowledge deck could not be built: {error}", parent=mw)

    CollectionOp(mw, op).success(done).failure(failed).run_in_background()


def delete_retired(mw: AnkiQt) -> None:
    config = _config_or_warn(mw)
    if config is None or mw.col is None:
        return
    notes, reviews = importer.retired_counts(mw.col, config)
    if not notes:
        tooltip("There are no retired lesson notes to delete.", parent=mw)
        return
    question = (
        f"Delete {notes} retired lesson note{'s' if notes != 1 else ''} "
        f"and {reviews} review{'s' if reviews != 1 else ''} of their cards?\n\n"
        "Retired notes are cards that were removed from their lesson file; an import suspended "
        f"them and tagged them {config.tag_root}::retired. Edit > Undo brings them back "
        "until you close Anki."
    )
    if not askUser(question, parent=mw, defaultno=True, title="Delete retired notes"):
        return
    from aqt.operations import CollectionOp

    CollectionOp(mw, lambda col: importer.delete_retired(col, config)).success(
        lambda out: tooltip(f"Deleted {out.count} retired notes.", parent=mw)
    ).run_in_background()


def open_settings(mw: AnkiQt) -> SettingsDialog:
    pkg = package_name(mw)

    def save(values: dict[str, Any]) -> None:
        mw.addonManager.writeConfig(pkg, values)
        on_config_saved(mw, values)

    dialog = SettingsDialog(mw, raw_config(mw), save, config_help_markdown(mw))
    dialog.show()
    return dialog


def on_config_saved(mw: AnkiQt, _values: dict[str, Any]) -> None:
    """After the config changed (Settings… or Anki's own config editor)."""
    release_holds(mw)


# ---------------------------------------------------------------------------- File > Import


def install_file_import() -> bool:
    """Append the ``.md`` importer to File > Import (a feature check: False if unsupported)."""
    if not version.has_file_import_registry():
        return False
    from aqt.import_export import importing

    for existing in importing.IMPORTERS:
        if getattr(existing, "LESSON_FLASHCARDS", False):
            return True
    importing.IMPORTERS.append(make_importer(importing.Importer))
    return True


def make_importer(base: Any) -> Any:
    class LessonFileImporter(base):
        """File > Import for lesson files: opens the preview (several files join one preview)."""

        LESSON_FLASHCARDS: ClassVar[bool] = True
        accepted_file_endings: ClassVar[list[str]] = list(LESSON_FILE_ENDINGS)

        @staticmethod
        def do_import(mw: AnkiQt, path: str) -> None:
            open_import_dialog(mw, [os.fspath(path)])

    return LessonFileImporter


# ---------------------------------------------------------------------------- hooks


def install_hooks(mw: AnkiQt) -> None:
    install = optional_function("gui.lesson_sync", "install_hooks")
    if install is not None:
        install(mw)
    if optional_function("collection.scheduling", "release_holds") is not None:
        gui_hooks.profile_did_open.append(lambda: release_holds(mw))
        if version.has_hook("sync_did_finish"):
            gui_hooks.sync_did_finish.append(lambda: release_holds(mw))
    if hasattr(mw.addonManager, "setConfigUpdatedAction"):
        mw.addonManager.setConfigUpdatedAction(
            package_name(mw), lambda values: on_config_saved(mw, values)
        )


def release_holds(mw: AnkiQt) -> None:
    """Release cards waiting for their prerequisites (``collection.scheduling``), in the
    background; nothing runs (and no undo entry appears) while no card is waiting."""
    op_fn = optional_function("collection.scheduling", "release_holds_op")
    fn = op_fn or optional_function("collection.scheduling", "release_holds")
    if fn is None or mw.col is None:
        return
    try:
        config = load_config(mw)
    except ConfigError:
        return
    if not mw.col.find_cards(f'"tag:{naming.waiting_tag(config)}"'):
        return
    from aqt.operations import CollectionOp

    def failed(error: Exception) -> None:
        print(f"Lesson Flashcards: releasing held cards failed: {error!r}")

    CollectionOp(mw, lambda col: as_op_result(fn(col, config))).success(lambda _r: None).failure(
        failed
    ).run_in_background()
