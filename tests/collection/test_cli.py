"""python -m tools.lessons import / apkg, run as a user would (subprocess)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from anki.collection import Collection, ImportAnkiPackageOptions, ImportAnkiPackageRequest

from tests.conftest import REPO


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tools.lessons", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_import_json_then_unchanged(tmp_path: Path, lesson4_path: Path) -> None:
    colpath = tmp_path / "sub" / "collection.anki2"
    first = run_cli("import", str(lesson4_path), "--collection", str(colpath), "--json")
    assert first.returncode == 0, first.stderr
    data = json.loads(first.stdout)
    assert {k: data[k] for k in ("added", "updated", "unchanged", "retired")} == {
        "added": 5,
        "updated": 0,
        "unchanged": 0,
        "retired": 0,
    }
    assert data["conflicts"] == [] and isinstance(data["warnings"], list)
    again = run_cli("import", str(lesson4_path), "--collection", str(colpath))
    assert again.returncode == 0, again.stderr
    assert "all 5 cards unchanged" in again.stdout


def test_refused_file_exit_2_and_collection_untouched(tmp_path: Path, lesson4_path: Path) -> None:
    colpath = tmp_path / "collection.anki2"
    assert run_cli("import", str(lesson4_path), "--collection", str(colpath)).returncode == 0
    before = colpath.read_bytes()
    bad = tmp_path / "Lesson_8.md"
    bad.write_text(
        "# Flashcard Set: Lesson 8 - Nothing here\n\nNo cards at all.\n", encoding="utf-8"
    )
    out = run_cli("import", str(lesson4_path), str(bad), "--collection", str(colpath), "--json")
    assert out.returncode == 2
    assert out.stdout == ""
    assert out.stderr.startswith(f"{bad}:")
    col = Collection(str(colpath))
    try:
        assert col.note_count() == 5
    finally:
        col.close()
    del before


def test_collection_open_in_anki_gives_a_clear_message(tmp_path: Path, lesson4_path: Path) -> None:
    colpath = tmp_path / "collection.anki2"
    col = Collection(str(colpath))  # as Anki would hold it
    try:
        out = run_cli("import", str(lesson4_path), "--collection", str(colpath))
    finally:
        col.close()
    assert out.returncode == 2
    assert "Traceback" not in out.stderr
    assert "close Anki" in out.stderr


def test_apkg_imports_into_fresh_collection_with_ankis_importer(
    tmp_path: Path, lesson4_path: Path
) -> None:
    apkg = tmp_path / "lesson4.apkg"
    out = run_cli("apkg", str(lesson4_path), "-o", str(apkg))
    assert out.returncode == 0, out.stderr
    assert apkg.stat().st_size > 0

    fresh = Collection(str(tmp_path / "fresh.anki2"))
    try:
        fresh.import_anki_package(
            ImportAnkiPackageRequest(package_path=str(apkg), options=ImportAnkiPackageOptions())
        )
        assert fresh.note_count() == 5
        nt = fresh.models.by_name("Lesson Flashcard")
        assert nt is not None
        fronts = sorted(fresh.get_note(n)["Card"] for n in fresh.find_notes(f"mid:{nt['id']}"))
        assert fronts == ["1", "2", "3", "4", "5"]
        decks = {d.name for d in fresh.decks.all_names_and_ids()}
        assert "Lessons::Lesson 04 - Transformers::Hard" in decks
        assert fresh.find_notes('"tag:lessons::critical"')
    finally:
        fresh.close()
