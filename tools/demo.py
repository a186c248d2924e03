"""``make demo`` (``python -m tools.demo``): the built add-on in a sandbox Anki profile.

1. builds ``dist/lesson_flashcards.ankiaddon`` (tools.build);
2. creates a fresh Anki base folder ``demo-profile/`` (git-ignored) with a profile made by
   ``aqt.profiles.ProfileManager`` (a fresh base would otherwise stop at the first-run
   language dialog);
3. installs the .ankiaddon with Anki's own ``AddonManager.install`` (the code path of an
   AnkiWeb download or Tools > Add-ons > Install from file);
4. starts the real Anki offscreen with a small *driver* add-on (demo/test only, written into
   the sandbox's ``addons21/`` next to ours and never part of the .ankiaddon) that imports
   ``../shared/lessons/Lesson_4.md`` through File > Import (``aqt.import_export.importing.
   import_file``, which picks our ``.md`` importer from ``IMPORTERS``), presses Import in our
   preview dialog, opens the lesson deck in the reviewer, then Tools > Lesson Flashcards >
   Review critical knowledge, saves screenshots
   (``demo-profile/screenshots/``) and quits;
5. prints what the profile's collection now holds (decks, notes per difficulty, tags);
6. with a display (``DISPLAY``/``WAYLAND_DISPLAY`` set and ``QT_QPA_PLATFORM`` not
   ``offscreen``, or ``--open``) it then opens Anki on that profile, without the driver.

tests/e2e/test_anki_addon.py uses the same functions.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
SHARED_LESSON = REPO.parent / "shared" / "lessons" / "Lesson_4.md"
SAMPLE_LESSON = REPO / "tools" / "sample" / "Lesson_4.md"
DEMO_BASE = REPO / "demo-profile"
DEMO_PROFILE = "Demo"
DRIVER_PACKAGE = "lesson_flashcards_demo_driver"
LESSON_DECK = "Lessons::Lesson 04 - Transformers"

# The driver add-on: drives the running Anki through Qt timers, writes a JSON record.
DRIVER = r'''
"""Demo/test driver for Lesson Flashcards (never shipped in the .ankiaddon)."""
import json, os, sys, time, traceback
from pathlib import Path

from aqt import gui_hooks, mw
from aqt.qt import QApplication, QTimer

OUT = Path(os.environ["LF_DRIVER_OUT"])
SHOTS = Path(os.environ["LF_DRIVER_SHOTS"])
LESSONS = [p for p in os.environ["LF_DRIVER_LESSONS"].split(os.pathsep) if p]
PKG = os.environ.get("LF_DRIVER_PACKAGE", "lesson_flashcards")
DECK = os.environ.get("LF_DRIVER_DECK", "Lessons::Lesson 04 - Transformers")
DIALOG = "LessonFlashcardsImportDialog"
CRITICAL = os.environ.get("LF_DRIVER_CRITICAL", "Lessons::Critical Knowledge")
record = {"errors": [], "screenshots": {}}
state = {"finished": False}


def write_record():
    OUT.write_text(json.dumps(record, indent=1, default=str), encoding="utf-8")


def finish():
    if state["finished"]:
        return
    state["finished"] = True
    write_record()
    QTimer.singleShot(0, mw.unloadProfileAndExit)


def fail(message):
    record["errors"].append(message)
    finish()


def guarded(fn):
    def run(*args):
        try:
            return fn(*args)
        except Exception:
            fail(traceback.format_exc())
    return run


def wait_for(what, condition, then, timeout=60.0):
    start = time.monotonic()

    def poll():
        if state["finished"]:
            return
        try:
            value = condition()
        except Exception:
            return fail(traceback.format_exc())
        if value:
            guarded(then)(value)
        elif time.monotonic() - start > timeout:
            fail(f"timed out after {timeout:.0f}s waiting for {what}")
        else:
            QTimer.singleShot(100, poll)

    QTimer.singleShot(0, poll)


def shot(widget, name):
    path = SHOTS / name
    ok = widget.grab().save(str(path))
    record["screenshots"][name] = str(path) if ok else None


def find_dialog():
    for w in QApplication.topLevelWidgets():
        if w.objectName() == DIALOG and w.isVisible():
            return w
    return None


@guarded
def on_profile_open():
    SHOTS.mkdir(parents=True, exist_ok=True)
    record["addon_loaded"] = PKG + ".gui" in sys.modules
    menus = [a.menu() for a in mw.form.menuTools.actions() if a.menu() is not None]
    menu = next((m for m in menus if m.objectName() == "LessonFlashcardsMenu"), None)
    record["tools_menu_title"] = menu.title() if menu else None
    record["tools_menu"] = [a.text() for a in menu.actions()] if menu else None
    state["menu"] = menu
    from aqt.import_export import importing

    name = os.path.basename(LESSONS[0]).lower()
    handler = next((i for i in importing.IMPORTERS if i.can_import(name)), None)
    record["importer"] = f"{handler.__module__}.{handler.__qualname__}" if handler else None
    record["file_dialog_offers_md"] = ".md" in importing.all_accepted_file_endings(mw)
    record["notes_before"] = mw.col.note_count()
    # Review critical knowledge before anything is imported: a message, no error dialog
    trigger("Review critical knowledge")
    wait_for("a message about the empty critical review", tooltip_text, nothing_critical, timeout=20)


def trigger(title):
    action = next((a for a in state["menu"].actions() if a.text() == title), None)
    if action is None:
        raise RuntimeError(f"no {title!r} action in Tools > Lesson Flashcards")
    action.trigger()


def tooltip_text():
    import aqt.utils

    label = aqt.utils._tooltipLabel
    return label.text() if label is not None else ""


def nothing_critical(text):
    record["empty_critical_message"] = text
    modal = QApplication.activeModalWidget()
    record["empty_critical_modal"] = modal.windowTitle() if modal is not None else None
    record["state_after_empty_critical"] = mw.state
    # File > Import, after the user picked the files: Anki calls import_file per file
    from aqt.import_export import importing

    for path in LESSONS:
        importing.import_file(mw, path)
    wait_for("the import dialog", find_dialog, preview_shown)


def preview_shown(dialog):
    record["preview_rows"] = [list(r) for r in dialog.preview_rows()]
    record["preview_summary"] = dialog.summary_label.text()
    record["import_enabled"] = dialog.import_button.isEnabled()
    record["errors_shown"] = dialog.errors_box.toPlainText()
    QTimer.singleShot(400, guarded(lambda: press_import(dialog)))


def press_import(dialog):
    shot(dialog, "import-dialog.png")
    if not dialog.import_button.isEnabled():
        return fail("Import is disabled in the preview: " + dialog.errors_box.toPlainText())
    dialog.import_button.click()
    wait_for(
        "the import to finish",
        lambda: dialog.import_result is not None and not dialog.isVisible(),
        lambda _v: imported(dialog),
    )


def imported(dialog):
    record["result"] = dialog.import_result.to_json()
    record["summary"] = dialog.import_result.summary()
    record["undo"] = mw.col.undo_status().undo
    record["notes_after"] = mw.col.note_count()
    did = mw.col.decks.id_for_name(DECK)
    if did is None:
        return fail(f"deck {DECK!r} not found after the import")
    mw.resize(1000, 760)
    mw.col.decks.select(did)
    mw.moveToState("review")
    wait_for(
        "the reviewer to show a card",
        lambda: mw.state == "review" and mw.reviewer.card is not None,
        lambda _v: QTimer.singleShot(300, guarded(question_shown)),
    )


def read_card(then):
    mw.reviewer.web.evalWithCallback(
        "(function(){var q=document.getElementById('qa');return q?q.innerText:'';})()",
        lambda text: guarded(then)(text or ""),
    )


def question_shown():
    def got(text):
        if not text.strip():
            return QTimer.singleShot(200, guarded(question_shown))
        record["question_text"] = text
        record["card_id"] = mw.reviewer.card.id
        QTimer.singleShot(600, guarded(question_rendered))

    read_card(got)


def question_rendered():
    shot(mw, "reviewer-question.png")
    mw.reviewer._showAnswer()
    QTimer.singleShot(300, guarded(answer_shown))


def answer_shown():
    def got(text):
        if "answer" not in text.lower() and len(text) <= len(record.get("question_text", "")):
            return QTimer.singleShot(200, guarded(answer_shown))
        record["answer_text"] = text
        QTimer.singleShot(800, guarded(answer_rendered))

    read_card(got)


def answer_rendered():
    shot(mw, "reviewer-answer.png")
    trigger("Review critical knowledge")
    wait_for(
        "the critical-knowledge deck to open",
        lambda: mw.state == "overview" and mw.col.decks.current()["name"] == CRITICAL,
        critical_opened,
        timeout=30,
    )


def critical_opened(_value):
    did = mw.col.decks.current()["id"]
    record["critical_deck"] = mw.col.decks.current()["name"]
    record["critical_cards"] = sorted(mw.col.find_cards(f"did:{did}"))
    record["undo_after_critical"] = mw.col.undo_status().undo
    QTimer.singleShot(500, guarded(critical_rendered))


def critical_rendered():
    shot(mw, "critical-overview.png")
    finish()


def start():
    QTimer.singleShot(int(float(os.environ.get("LF_DRIVER_TIMEOUT", "120")) * 1000), lambda: fail("driver timed out"))
    QTimer.singleShot(200, on_profile_open)


gui_hooks.profile_did_open.append(start)
'''


def lesson_file() -> Path:
    """../shared/lessons/Lesson_4.md, or the copy in tools/sample/ when ../shared is absent."""
    if SHARED_LESSON.is_file():
        return SHARED_LESSON
    if SAMPLE_LESSON.is_file():
        return SAMPLE_LESSON
    raise FileNotFoundError(f"neither {SHARED_LESSON} nor {SAMPLE_LESSON} exists")


def anki_env(offscreen: bool = True) -> dict[str, str]:
    env = dict(os.environ)
    flags = env.get("QTWEBENGINE_CHROMIUM_FLAGS", "")
    if "--no-sandbox" not in flags:
        env["QTWEBENGINE_CHROMIUM_FLAGS"] = (flags + " --no-sandbox").strip()
    if offscreen:
        env["QT_QPA_PLATFORM"] = "offscreen"
    elif env.get("QT_QPA_PLATFORM") == "offscreen":
        del env["QT_QPA_PLATFORM"]
    return env


def make_base(base: Path, profile: str) -> None:
    """A fresh Anki base folder with one profile (no first-run dialogs)."""
    from aqt.profiles import ProfileManager

    base.mkdir(parents=True, exist_ok=False)
    pm = ProfileManager(base)
    pm.setupMeta()
    pm.setLang("en_US")
    pm.create(profile)
    if pm.db is not None:
        pm.db.close()


def install_addon(base: Path, ankiaddon: Path) -> Any:
    """Install with Anki's own ``AddonManager.install`` into ``base``/addons21.

    ``install`` reaches the main window only for ``mw.pm`` (where addons21 is), so the manager
    is given a real ProfileManager on ``base`` instead of a whole main window.
    """
    from types import SimpleNamespace

    from aqt.addons import AddonManager, InstallOk
    from aqt.profiles import ProfileManager

    manager = AddonManager.__new__(AddonManager)
    manager.mw = SimpleNamespace(pm=ProfileManager(base))  # type: ignore[assignment]
    result = manager.install(str(ankiaddon))
    if not isinstance(result, InstallOk):
        raise RuntimeError(f"Anki refused to install {ankiaddon}: {result}")
    return result


def install_driver(base: Path) -> Path:
    folder = base / "addons21" / DRIVER_PACKAGE
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "__init__.py").write_text(DRIVER, encoding="utf-8")
    (folder / "meta.json").write_text(
        json.dumps({"name": "Lesson Flashcards demo driver"}), encoding="utf-8"
    )
    return folder


def remove_driver(base: Path) -> None:
    shutil.rmtree(base / "addons21" / DRIVER_PACKAGE, ignore_errors=True)


def anki_command(base: Path, profile: str) -> list[str]:
    exe = Path(sys.executable).parent / "anki"
    if exe.exists():
        return [str(exe), "-b", str(base), "-p", profile]
    return [sys.executable, "-c", "import aqt; aqt.run()", "-b", str(base), "-p", profile]


def drive_import(
    base: Path,
    profile: str,
    lessons: list[Path],
    shots: Path,
    *,
    package: str = "lesson_flashcards",
    timeout: float = 120.0,
) -> tuple[dict[str, Any], subprocess.CompletedProcess[str]]:
    """Run real Anki offscreen with the driver; returns (driver record, process)."""
    install_driver(base)
    out = base / "driver-record.json"
    out.unlink(missing_ok=True)
    env = anki_env(offscreen=True)
    env.update(
        LF_DRIVER_OUT=str(out),
        LF_DRIVER_SHOTS=str(shots),
        LF_DRIVER_LESSONS=os.pathsep.join(str(p) for p in lessons),
        LF_DRIVER_PACKAGE=package,
        LF_DRIVER_DECK=LESSON_DECK,
        LF_DRIVER_TIMEOUT=str(timeout - 15),
    )
    try:
        proc = subprocess.run(
            anki_command(base, profile), env=env, capture_output=True, text=True, timeout=timeout
        )
    finally:
        remove_driver(base)
    if not out.exists():
        raise RuntimeError(
            f"Anki exited ({proc.returncode}) without a driver record.\n{proc.stdout[-2000:]}\n{proc.stderr[-4000:]}"
        )
    record: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))
    out.unlink()
    return record, proc


def collection_summary(col_path: Path, deck_root: str = "Lessons") -> dict[str, Any]:
    """Decks, notes per difficulty and tags of the add-on's notes (opens the closed collection)."""
    from anki.collection import Collection

    col = Collection(str(col_path))
    try:
        nids = col.find_notes('"note:Lesson Flashcard"')
        difficulty: Counter[str] = Counter()
        tags: Counter[str] = Counter()
        decks: Counter[str] = Counter()
        for nid in nids:
            note = col.get_note(nid)
            difficulty[note["Difficulty"]] += 1
            tags.update(note.tags)
            for card in note.cards():
                home = card.odid or card.did  # a card in a filtered deck counts in its home deck
                deck = col.decks.get(home)
                decks[deck["name"] if deck else str(home)] += 1
        return {
            "notes": len(nids),
            "notes_per_difficulty": dict(sorted(difficulty.items())),
            "cards_per_deck": dict(sorted(decks.items())),  # home decks
            "all_decks": sorted(
                d.name
                for d in col.decks.all_names_and_ids()
                if d.name == deck_root or d.name.startswith(deck_root + "::")
            ),
            "tags": dict(sorted(tags.items())),
        }
    finally:
        col.close()


def has_display() -> bool:
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")) and (
        os.environ.get("QT_QPA_PLATFORM", "") != "offscreen"
    )


def print_summary(record: dict[str, Any], summary: dict[str, Any], shots: Path) -> None:
    print(f"Imported through File > Import ({record.get('importer')}):")
    print("  " + (record.get("summary") or "").replace("\n", "\n  "))
    print(f"  Edit > Undo now offers: {record.get('undo')}")
    print(f"Notes: {summary['notes']}")
    for diff, n in summary["notes_per_difficulty"].items():
        print(f"  {diff}: {n}")
    print("Decks (cards):")
    for deck, n in summary["cards_per_deck"].items():
        print(f"  {deck}: {n}")
    for deck in summary["all_decks"]:
        if deck not in summary["cards_per_deck"]:
            print(f"  {deck}: 0")
    print("Tags (notes):")
    for tag, n in summary["tags"].items():
        print(f"  {tag}: {n}")
    print(f"Screenshots in {shots}:")
    for name, path in sorted(record.get("screenshots", {}).items()):
        print(f"  {name}" + ("" if path else " (could not be saved)"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tools.demo",
        description=__doc__.splitlines()[0],
        epilog=(
            "Builds the add-on, installs it into a fresh sandbox profile and imports the lesson "
            "there through File > Import in real Anki, always offscreen; prints what it imported "
            "and saves screenshots in BASE/screenshots/. Then, when a display exists (DISPLAY or "
            "WAYLAND_DISPLAY set, and QT_QPA_PLATFORM not 'offscreen'), it opens Anki on the "
            "sandbox profile; without one it prints the command that would. --open/--no-open "
            "override that choice."
        ),
    )
    parser.add_argument(
        "--base",
        type=Path,
        default=DEMO_BASE,
        help="sandbox Anki base folder, deleted and recreated (default demo-profile/)",
    )
    parser.add_argument(
        "--lesson",
        type=Path,
        action="append",
        help="a lesson file to import; repeat for more (default ../shared/lessons/Lesson_4.md)",
    )
    group = parser.add_mutually_exclusive_group()
    group.add_argument(
        "--open",
        dest="open_anki",
        action="store_true",
        default=None,
        help="open Anki afterwards, display or not",
    )
    group.add_argument(
        "--no-open",
        dest="open_anki",
        action="store_false",
        help="do not open Anki afterwards, even with a display",
    )
    args = parser.parse_args(argv)
    os.environ.setdefault("QTWEBENGINE_CHROMIUM_FLAGS", "--no-sandbox")

    from tools.build import build

    t0 = time.monotonic()
    ankiaddon = build()
    print(f"Built {ankiaddon.relative_to(REPO)}")
    base: Path = args.base.resolve()
    if base.exists():
        shutil.rmtree(base)
    make_base(base, DEMO_PROFILE)
    result = install_addon(base, ankiaddon)
    print(f"Installed '{result.name}' with Anki's add-on manager into {base / 'addons21'}")
    lessons = [p.resolve() for p in (args.lesson or [lesson_file()])]
    shots = base / "screenshots"
    print(f"Starting Anki offscreen to import {', '.join(p.name for p in lessons)}…")
    record, proc = drive_import(base, DEMO_PROFILE, lessons, shots)
    if record["errors"]:
        print("The demo run failed:\n" + "\n".join(record["errors"]), file=sys.stderr)
        print(proc.stderr[-3000:], file=sys.stderr)
        return 1
    summary = collection_summary(base / DEMO_PROFILE / "collection.anki2")
    print_summary(record, summary, shots)
    print(f"({time.monotonic() - t0:.1f}s)")
    open_anki = has_display() if args.open_anki is None else args.open_anki
    if open_anki:
        print(
            f"Opening Anki on the sandbox profile ({' '.join(anki_command(base, DEMO_PROFILE))})…"
        )
        return subprocess.call(anki_command(base, DEMO_PROFILE), env=anki_env(offscreen=False))
    why = "Not opening Anki (--no-open)" if has_display() else "No display"
    print(f"{why}: to look around, run  {' '.join(anki_command(base, DEMO_PROFILE))}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
