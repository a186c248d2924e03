"""python -m tools.lessons sync, run as a script or a scheduled job would (subprocess)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from anki.collection import Collection

from tests.conftest import REPO

from .conftest import LessonServer, lesson_text, write


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tools.lessons", "sync", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )


def note_count(path: Path) -> int:
    col = Collection(str(path))
    try:
        return col.note_count()
    finally:
        col.close()


def test_sync_folder_and_url_then_unchanged(tmp_path: Path, server: LessonServer) -> None:
    folder = tmp_path / "Lessons"
    write(folder / "Lesson_4.md", lesson_text())
    url = server.serve("/Lesson_5.md", lesson_text(5, "Diffusion"))
    colpath = tmp_path / "profile" / "collection.anki2"

    out = run_cli(str(folder), url, "--collection", str(colpath))
    assert out.returncode == 0, out.stderr
    assert "10 added" in out.stdout
    assert f"{folder}: fetched" in out.stdout and f"{url}: fetched" in out.stdout
    assert note_count(colpath) == 10
    assert (colpath.parent / "lesson-sources-collection.json").is_file()  # state beside it

    server.reset_counts()
    out = run_cli(str(folder), url, "--collection", str(colpath), "--json")
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["ok"] is True
    assert [s["status"] for s in data["sources"]] == ["unchanged", "unchanged"]
    assert "not modified" in data["sources"][1]["reason"]
    assert server.bodies["/Lesson_5.md"] == 0
    assert data["import"]["added"] == 0


def test_some_sources_fail_exit_1_rest_applied(tmp_path: Path, server: LessonServer) -> None:
    good = write(tmp_path / "Lesson_4.md", lesson_text())
    bad = server.url("/missing.md")
    colpath = tmp_path / "collection.anki2"
    out = run_cli(str(good), bad, str(tmp_path / "nowhere"), "--collection", str(colpath))
    assert out.returncode == 1, out.stderr
    assert f"{bad}: failed (HTTP 404" in out.stdout
    assert "nowhere: failed (not found" in out.stdout
    assert "Traceback" not in out.stderr
    assert note_count(colpath) == 5


def test_bad_arguments_exit_2(tmp_path: Path) -> None:
    colpath = tmp_path / "collection.anki2"
    out = run_cli("http://example.com/Lesson_4.md", "--collection", str(colpath))
    assert out.returncode == 2 and "plain http is refused" in out.stderr
    out = run_cli("ftp://user:pw@example.com/x.md", "--collection", str(colpath))
    assert out.returncode == 2 and "pw" not in out.stderr
    out = run_cli(str(tmp_path))  # --collection missing
    assert out.returncode == 2 and "--collection" in out.stderr
    assert not colpath.exists()


def test_collection_open_in_anki_exit_2(tmp_path: Path) -> None:
    folder = write(tmp_path / "Lessons" / "Lesson_4.md", lesson_text()).parent
    colpath = tmp_path / "collection.anki2"
    col = Collection(str(colpath))  # as Anki would hold it
    try:
        out = run_cli(str(folder), "--collection", str(colpath))
    finally:
        col.close()
    assert out.returncode == 2
    assert "close Anki" in out.stderr and "Traceback" not in out.stderr
    assert note_count(colpath) == 0
