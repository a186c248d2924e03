"""Sync lesson sources from inside Anki: "Sync lessons now", on profile open, before Anki's sync.

The network/disk part (``sources.collect``) runs in a ``QueryOp(...).without_collection()``;
the import (``sources.apply``) runs as a ``CollectionOp`` (one undo step "Import Lessons").

Before Anki's own sync
----------------------
``gui_hooks.sync_will_start`` cannot delay the sync: ``AnkiQt._sync_collection_and_media``
fires it and starts the collection sync right after, in the same call. A lesson import
started from that hook would race Anki's sync for the collection, and its changes would
reach the phone one sync late at best. So, when the method exists (feature check), this
module wraps ``mw._sync_collection_and_media`` on the main window instance: the wrapper runs
the lesson sync (bounded by ``PRE_SYNC_BUDGET_SECONDS``) and then calls Anki's original method,
whatever happened (failure included), exactly once. Every path into Anki's sync goes through
that method: the sync button, auto sync on profile open, and the one on close (skipped
here: the main window is disabled while closing). If a future Anki renames it, the fallback
is honest: lessons are synced right after Anki's sync finishes (``sync_did_finish``), so they
reach the other devices with the next sync.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar

from aqt import gui_hooks
from aqt.main import AnkiQt
from aqt.operations import CollectionOp, QueryOp
from aqt.utils import tooltip

from ..collection.plan import ImportResult
from ..config import Config, ConfigError
from ..sources.apply import apply, summary
from ..sources.collect import SyncReport, collect

PRE_SYNC_BUDGET_SECONDS = 60.0
_WRAP_MARK = "_lesson_flashcards_wrapped"


class _Flight:
    """One lesson sync at a time; callers arriving meanwhile wait for the running one."""

    running: ClassVar[bool] = False
    waiters: ClassVar[list[Callable[[], None]]] = []


def package_name(mw: AnkiQt) -> str:
    return mw.addonManager.addonFromModule(__name__)


def load_config(mw: AnkiQt) -> Config:
    return Config.from_dict(mw.addonManager.getConfig(package_name(mw)))


def state_dir(mw: AnkiQt) -> Path:
    return Path(mw.addonManager.addonsFolder(package_name(mw))) / "user_files"


def _finish() -> None:
    waiters, _Flight.waiters = _Flight.waiters, []
    _Flight.running = False
    for cb in waiters:
        try:
            cb()
        except Exception as e:  # one bad callback must not keep the others (Anki's sync) waiting
            print(f"Lesson Flashcards: callback after lesson sync failed: {e!r}")


def _failed_lines(report: SyncReport) -> list[str]:
    return [s.line() for s in report.failed]


def sync_lessons_now(
    mw: AnkiQt,
    on_done: Callable[[], None] | None = None,
    *,
    force: bool = False,
    quiet: bool = False,
    time_budget: float | None = None,
) -> None:
    """Check every configured source and import what changed. Never blocks the UI thread.

    ``on_done`` is called once when everything finished (success or not). ``quiet`` (automatic
    syncs) shows a tooltip only when something changed or failed. A sync already running is
    not started twice: ``on_done`` then waits for the running one.
    """
    if on_done is not None:
        _Flight.waiters.append(on_done)
    if _Flight.running:
        return
    _Flight.running = True
    try:
        _start(mw, force=force, quiet=quiet, time_budget=time_budget)
    except Exception as e:
        tooltip(f"Lesson sync could not start: {e}", parent=mw, period=6000)
        _finish()


def _start(mw: AnkiQt, *, force: bool, quiet: bool, time_budget: float | None) -> None:
    try:
        config = load_config(mw)
    except ConfigError as e:
        tooltip(f"Lesson sync: the add-on's config is invalid: {e}", parent=mw, period=8000)
        _finish()
        return
    if not config.sources:
        if not quiet:
            tooltip(
                "No lesson sources yet: add folders, files or URLs to 'sources' in "
                "Tools > Add-ons > Lesson Flashcards > Config.",
                parent=mw,
                period=6000,
            )
        _finish()
        return
    folder = state_dir(mw)
    scope = mw.pm.name or ""
    if not quiet:
        tooltip("Syncing lessons…", parent=mw, period=1500)

    def op(_col: Any) -> SyncReport:
        return collect(
            config.sources, folder, config, force=force, scope=scope, time_budget=time_budget
        )

    def collected(report: SyncReport) -> None:
        if mw.col is None:  # the profile closed meanwhile
            _finish()
            return
        _apply(mw, report, config, quiet)

    def failed(e: Exception) -> None:
        tooltip(f"Lesson sync failed: {e}", parent=mw, period=8000)
        _finish()

    QueryOp(parent=mw, op=op, success=collected).failure(
        failed
    ).without_collection().run_in_background()


def _apply(mw: AnkiQt, report: SyncReport, config: Config, quiet: bool) -> None:
    def done(result: ImportResult) -> None:
        try:
            changed = bool(result.added or result.updated or result.retired or result.conflicts)
            if not quiet or changed or not report.ok:
                text = summary(report, result)
                lines = text.splitlines() + _failed_lines(report)
                tooltip(
                    "<br>".join(_html(x) for x in lines[:8]),
                    parent=mw,
                    period=8000 if not report.ok else 4000,
                )
        finally:
            _finish()

    def failed(e: Exception) -> None:
        try:
            tooltip(
                f"Lesson sync: the import failed and nothing was changed ({_html(str(e))}).",
                parent=mw,
                period=8000,
            )
        finally:
            _finish()

    CollectionOp(parent=mw, op=lambda col: apply(col, report, config)).success(done).failure(
        failed
    ).run_in_background()


def _html(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


# ---------------------------------------------------------------------------- hooks


def install_hooks(mw: AnkiQt) -> None:
    """Sync on profile open and before Anki's own sync, as the config asks (read each time)."""

    def on_profile_open() -> None:
        try:
            config = load_config(mw)
        except ConfigError:
            return
        if config.sync_on_profile_open and config.sources:
            sync_lessons_now(mw, quiet=True)

    gui_hooks.profile_did_open.append(on_profile_open)
    if not _wrap_anki_sync(mw):
        gui_hooks.sync_did_finish.append(lambda: _after_anki_sync(mw))


def _before_anki_sync_wanted(mw: AnkiQt) -> bool:
    try:
        config = load_config(mw)
    except ConfigError:
        return False
    # while closing, the window is disabled: do not start imports then
    return bool(
        config.sync_before_anki_sync and config.sources and mw.col is not None and mw.isEnabled()
    )


def _wrap_anki_sync(mw: AnkiQt) -> bool:
    original = getattr(mw, "_sync_collection_and_media", None)
    if original is None or not callable(original):
        return False
    if getattr(original, _WRAP_MARK, False):
        return True

    def wrapped(after_sync: Callable[[], None], *args: Any, **kwargs: Any) -> Any:
        try:
            wanted = _before_anki_sync_wanted(mw)
        except Exception:
            wanted = False
        if not wanted:
            return original(after_sync, *args, **kwargs)
        proceeded = False

        def proceed() -> None:
            nonlocal proceeded
            if not proceeded:
                proceeded = True
                original(after_sync, *args, **kwargs)

        try:
            sync_lessons_now(mw, on_done=proceed, quiet=True, time_budget=PRE_SYNC_BUDGET_SECONDS)
        except Exception:
            proceed()
        return None

    setattr(wrapped, _WRAP_MARK, True)
    mw._sync_collection_and_media = wrapped  # type: ignore[method-assign]
    return True


def _after_anki_sync(mw: AnkiQt) -> None:
    if _before_anki_sync_wanted(mw):
        sync_lessons_now(mw, quiet=True)
