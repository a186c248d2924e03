"""Real Anki (offscreen) with the add-on's lesson sync installed: it imports on profile open,
and a lesson edited later is imported before Anki's sync proceeds.

A small probe add-on installs ``gui.lesson_sync.install_hooks`` from the copied add-on package
and drives Anki through Qt timers. Anki's network sync itself is replaced on the main window
by a recorder *before* ``install_hooks`` wraps it, so the test sees exactly what the
collection held at the moment Anki's sync would have started (the full network round trip
is tests/e2e/test_sync_roundtrip.py).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO

from .conftest import lesson_text, write

PKG = "lesson_flashcards_test"

PROBE = r'''
import json, os, traceback
from pathlib import Path
from aqt import mw, gui_hooks
from aqt.qt import QTimer

OUT = os.environ["LF_PROBE_OUT"]
LESSON = Path(os.environ["LF_PROBE_LESSON"])
record = {"errors": []}

def finish():
    with open(OUT, "w", encoding="utf-8") as f:
        json.dump(record, f)
    mw.unloadProfileAndExit()

def guard(fn):
    def run(*a):
        try:
            return fn(*a)
        except Exception:
            record["errors"].append(traceback.format_exc())
            finish()
    return run

try:
    import importlib
    lesson_sync = importlib.import_module("PKG.gui.lesson_sync")

    def anki_sync_stand_in(after_sync):
        """Where Anki's collection sync would start: record what it would upload."""
        col = mw.col
        record["at_sync_notes"] = col.note_count()
        record["at_sync_edited"] = len(col.find_notes('"Front:*Write out the complete formula*"'))
        record["sync_running_flag"] = lesson_sync._Flight.running
        after_sync()

    mw._sync_collection_and_media = anki_sync_stand_in
    lesson_sync.install_hooks(mw)
    QTimer.singleShot(90_000, lambda: (record["errors"].append("probe timed out"), finish()))

    @guard
    def after_open():
        if lesson_sync._Flight.running:
            return QTimer.singleShot(100, after_open)
        record["after_open_notes"] = mw.col.note_count()
        record["undo"] = mw.col.undo_status().undo
        text = LESSON.read_text(encoding="utf-8")
        LESSON.write_text(text.replace("Write the complete formula", "Write out the complete formula"), encoding="utf-8")
        mw._sync_collection_and_media(guard(after_sync))

    @guard
    def after_sync():
        record["after_sync_notes"] = mw.col.note_count()
        finish()

    gui_hooks.profile_did_open.append(lambda: QTimer.singleShot(100, after_open))
except Exception:
    record["errors"].append(traceback.format_exc())
    with open(OUT, "w", encoding="utf-8") as f:
        json.dump(record, f)
'''


def make_base(base: Path, lessons: Path, before_sync: bool = True) -> None:
    from aqt.profiles import ProfileManager

    base.mkdir(parents=True)
    pm = ProfileManager(base)
    pm.setupMeta()
    pm.setLang("en_US")
    pm.create("test")
    pm.db.close()
    addons = base / "addons21"
    pkg = addons / PKG
    shutil.copytree(REPO / "addon", pkg, ignore=shutil.ignore_patterns("__pycache__"))
    # the package's own entry point is the GUI helper's (gui.setup); the probe installs our hooks
    (pkg / "__init__.py").write_text('"""test copy"""\n', encoding="utf-8")
    shutil.copy(REPO / "config.json", pkg / "config.json")
    (pkg / "meta.json").write_text(
        json.dumps(
            {
                "config": {
                    "sources": [str(lessons)],
                    "sync_on_profile_open": True,
                    "sync_before_anki_sync": before_sync,
                }
            }
        ),
        encoding="utf-8",
    )
    probe = addons / "lf_probe"
    probe.mkdir()
    (probe / "__init__.py").write_text(PROBE.replace("PKG", PKG), encoding="utf-8")


def run_anki(tmp_path: Path, before_sync: bool) -> dict:
    lessons = tmp_path / "Lessons"
    lesson = write(lessons / "Lesson_4.md", lesson_text())
    base = tmp_path / "base"
    make_base(base, lessons, before_sync)
    out = tmp_path / "probe.json"
    env = dict(
        os.environ,
        QT_QPA_PLATFORM="offscreen",
        QTWEBENGINE_CHROMIUM_FLAGS="--no-sandbox",
        LF_PROBE_OUT=str(out),
        LF_PROBE_LESSON=str(lesson),
    )
    anki = Path(sys.executable).parent / "anki"
    proc = subprocess.run(
        [str(anki), "-b", str(base), "-p", "test"],
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert out.exists(), (
        f"Anki exited {proc.returncode} without a probe result:\n{proc.stderr[-3000:]}"
    )
    record: dict = json.loads(out.read_text(encoding="utf-8"))
    assert record["errors"] == [], record["errors"]
    return record


@pytest.mark.e2e
def test_real_anki_syncs_on_open_and_before_ankis_sync(tmp_path: Path) -> None:
    record = run_anki(tmp_path, before_sync=True)
    # profile open: the folder's lesson was imported, as one undo step
    assert record["after_open_notes"] == 5
    assert record["undo"] == "Import Lessons"
    # before Anki's sync started, the edit made after opening was already in the collection
    assert record["at_sync_edited"] == 1
    assert record["at_sync_notes"] == 5
    assert record["sync_running_flag"] is False
    # and the state lives in the add-on's user_files, one file per profile
    assert (
        tmp_path / "base" / "addons21" / PKG / "user_files" / "lesson-sources-test.json"
    ).is_file()


@pytest.mark.e2e
def test_real_anki_honours_sync_before_anki_sync_off(tmp_path: Path) -> None:
    record = run_anki(tmp_path, before_sync=False)
    assert record["after_open_notes"] == 5
    assert record["at_sync_edited"] == 0  # Anki's sync went ahead without a lesson sync
