"""Import what ``collect`` found into a collection, then remember it (anki only, never aqt).

``apply(col, report, config)`` runs inside a ``CollectionOp`` in the GUI (or directly from the
command line). It imports the lessons of every changed lesson file through the importer, all
sources together as ONE undo step ("Import Lessons"), so every importer rule holds: updates in
place, cards gone from a file retired (never deleted), conflicts kept.

Only after that succeeded is the new state written (hashes, validators, saved text), so a
failed or interrupted apply is simply tried again by the next sync.

Files that disappeared from a folder or index are reported as "removed" and their notes are
left exactly as they are (a lesson file moved out of a folder is not a reason to delete
reviews). A renamed file is the same lesson: identity comes from its Source header.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from anki.collection import Collection, OpChanges

from ..collection.importer import apply_plan, key_for_identity, plan_import
from ..collection.plan import ImportPlan, ImportResult
from ..config import Config
from ..lesson.errors import LessonError
from ..lesson.model import Lesson
from ..lesson.parse import parse_text
from .collect import ItemResult, SourceResult, SyncReport
from .state import load_state, save_state


def _present_keys(col: Collection) -> set[str]:
    db = col.db
    assert db is not None
    return set(db.list("select distinct substr(guid, 3, 8) from notes where guid like 'lf%'"))


def _restore_missing(col: Collection, report: SyncReport) -> None:
    """Unchanged files whose lesson is not in this collection (another profile, a full download
    from AnkiWeb, notes deleted by hand) are parsed and imported again."""
    unchanged = [
        i for s in report.sources for i in s.items if i.status == "unchanged" and i.lesson is None
    ]
    if not unchanged:
        return
    present = _present_keys(col)
    for item in unchanged:
        if item.identity and key_for_identity(item.identity) in present:
            continue
        if item.data is None:
            continue
        try:
            lesson = parse_text(item.data, item.name)
        except LessonError as e:
            item.status, item.reason = "failed", str(e)
            continue
        item.lesson = lesson
        item.status = "fetched"
        item.reason = "not in this collection: imported again"


def _to_import(report: SyncReport) -> list[tuple[SourceResult, ItemResult]]:
    return [
        (s, i)
        for s in report.sources
        for i in s.items
        if i.lesson is not None and i.status == "fetched"
    ]


def _plan(
    col: Collection, work: list[tuple[SourceResult, ItemResult]], config: Config
) -> ImportPlan:
    groups: dict[str | None, list[Lesson]] = defaultdict(list)
    for s, i in work:
        assert i.lesson is not None
        groups[s.spec.deck_root].append(i.lesson)
    plan = ImportPlan(on_conflict=config.on_conflict)
    for deck_root, lessons in groups.items():
        plan.lessons.extend(plan_import(col, lessons, config, deck_root).lessons)
    return plan


def apply(col: Collection, report: SyncReport, config: Config) -> ImportResult:
    """Import the changed lessons of ``report`` as one undo step, then save the sources' state.

    A file the importer refuses fails alone (it is reported on its item, the rest is imported).
    Raises only for unexpected errors (then nothing is imported and no state is saved).
    """
    _restore_missing(col, report)
    result = ImportResult(changes=OpChanges())
    work = _to_import(report)
    while work:
        try:
            plan = _plan(col, work, config)
            result = apply_plan(col, plan, config)
            break
        except LessonError as e:
            culprit = next(
                (i for _, i in work if i.lesson is not None and i.lesson.file == e.file), None
            )
            if culprit is None:
                report.error = str(e)
                for _, i in work:
                    i.status, i.reason = "failed", f"not imported: {e}"
                work = []
                break
            culprit.status, culprit.reason = "failed", str(e)
            work = [(s, i) for s, i in work if i is not culprit]
    if result.changes is None:
        result.changes = OpChanges()
    for s in report.sources:
        s.finish()
    _save(report)
    report.applied = True
    return result


def _save(report: SyncReport) -> None:
    state = load_state(report.state_file)
    sources: dict[str, Any] = state["sources"]
    for s in report.sources:
        prev = sources.get(s.key) or {}
        if s.source_failed or (s.kind == "url" and s.status == "failed"):
            continue  # keep what the last good sync saw
        prev_items: dict[str, Any] = (
            (prev.get("items") or {}) if prev.get("fp") == report.fingerprint else {}
        )
        items: dict[str, Any] = {}
        for i in s.items:
            if i.status in ("fetched", "unchanged") and i.sha1 and i.identity:
                rec: dict[str, Any] = {"sha1": i.sha1, "identity": i.identity, "label": i.label}
                if i.is_url:
                    rec["etag"], rec["last_modified"] = i.etag, i.last_modified
                    if s.kind == "index" and i.data is not None:
                        rec["text"] = i.data.decode("utf-8")
                items[i.key] = rec
            elif i.status == "failed" and i.key in prev_items:
                items[i.key] = prev_items[i.key]  # compared again next time
        entry: dict[str, Any] = {"fp": report.fingerprint, "items": items}
        if s.top is not None and "text" in s.top:
            entry["top"] = {k: s.top.get(k) for k in ("etag", "last_modified", "text", "kind")}
        sources[s.key] = entry
    save_state(report.state_file, state)


def summary(report: SyncReport, result: ImportResult) -> str:
    """A few lines for people: what was imported, then one line per source that needs a word."""
    n = len(report.sources)
    failed = len(report.failed)
    fetched = sum(1 for s in report.sources if s.status == "fetched")
    if result.lessons and (result.added or result.updated or result.retired or result.conflicts):
        head = "Lessons synced: " + result.summary().splitlines()[0]
    elif fetched:
        head = "Lessons synced: no card changed."
    else:
        head = "Lessons: nothing changed." if not failed else "Lessons: nothing imported."
    counts = f"{n} source{'s' if n != 1 else ''}: {fetched} fetched, " + (
        f"{n - fetched - failed} unchanged, {failed} failed."
    )
    lines = [head, counts]
    lines += [f"Conflict: {c}" for c in result.conflicts]
    if report.error:
        lines.append(f"Import failed: {report.error}")
    return "\n".join(lines)
