"""python -m tools.build: the .ankiaddon holds the add-on package at its root, and nothing else."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from addon import version
from tests.conftest import REPO
from tools import build


def test_build_writes_the_package_files_and_nothing_else(tmp_path: Path) -> None:
    # a stray cache inside the package must not be shipped
    cache = REPO / "addon" / "lesson" / "__pycache__"
    cache.mkdir(exist_ok=True)
    stray = cache / "zz_build_test.cpython-311.pyc"
    stray.write_bytes(b"not shipped")
    # nor a developer's add-on state in user_files/ (only its README ships, AnkiWeb's convention)
    user_files = REPO / "addon" / "user_files"
    stray_state = user_files / "lesson-sources-zz_build_test.json"
    stray_state.write_text("{}", encoding="utf-8")
    stray_dir = user_files / "zz_build_test"
    stray_dir.mkdir(exist_ok=True)
    (stray_dir / "README.txt").write_text("not shipped", encoding="utf-8")
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "tools.build", "--out", str(tmp_path)],
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=60,
        )
    finally:
        stray.unlink()
        stray_state.unlink()
        (stray_dir / "README.txt").unlink()
        stray_dir.rmdir()
    assert proc.returncode == 0, proc.stderr
    target = tmp_path / "lesson_flashcards.ankiaddon"
    assert str(target) in proc.stdout
    with zipfile.ZipFile(target) as zf:
        names = set(zf.namelist())
        manifest = json.loads(zf.read("manifest.json"))
        config = json.loads(zf.read("config.json"))
        config_md = zf.read("config.md").decode("utf-8")
        user_readme = zf.read("user_files/README.txt").decode("utf-8")

    # user_files/: exactly its README, byte for byte
    assert sorted(n for n in names if n.startswith("user_files/")) == ["user_files/README.txt"]
    assert user_readme == (REPO / "addon" / "user_files" / "README.txt").read_text(encoding="utf-8")
    expected = {
        p.relative_to(REPO / "addon").as_posix()
        for p in (REPO / "addon").rglob("*")
        if p.is_file()
        and "__pycache__" not in p.parts
        and p.suffix != ".pyc"
        and p.relative_to(REPO / "addon").parts[0] != "user_files"
    } | {"manifest.json", "config.json", "config.md", "user_files/README.txt"}
    assert names == expected
    # the package is the zip's root: Anki extracts it into addons21/<package>/
    assert {
        "__init__.py",
        "gui/__init__.py",
        "gui/import_dialog.py",
        "lesson/parse.py",
        "version.py",
    } <= names
    assert not any(n.startswith(("addon/", "tests/", "tools/", ".")) for n in names)
    assert not any("__pycache__" in n or n.endswith((".pyc", ".pyo")) for n in names)
    assert "LICENSE" not in names and "README.md" not in names and "pyproject.toml" not in names
    # root files are the repository's own
    assert config == json.loads((REPO / "config.json").read_text(encoding="utf-8"))
    assert config_md == (REPO / "config.md").read_text(encoding="utf-8")
    assert manifest["package"] == "lesson_flashcards" and manifest["name"] == "Lesson Flashcards"
    assert manifest == json.loads((REPO / "manifest.json").read_text(encoding="utf-8"))


def test_manifest_states_the_tested_anki_range() -> None:
    manifest = json.loads((REPO / "manifest.json").read_text(encoding="utf-8"))
    assert manifest == version.manifest()
    from anki.utils import int_version

    # we test on this Anki: it is inside the range and it is what max_point_version records
    assert manifest["min_point_version"] <= int_version() == manifest["max_point_version"]
    assert manifest["max_point_version"] > 0  # "tested on", not a hard cap
    assert version.point_version_str(manifest["min_point_version"]) == "26.09"
    assert version.parse_point_version("26.9.3") == version.parse_point_version("26.09.3") == 260903
    assert version.compatibility_problem() is None
    assert "needs Anki 26.09 or newer" in (version.compatibility_problem(250900) or "")


def test_build_refuses_a_manifest_that_disagrees_with_version_py(tmp_path: Path) -> None:
    bad = tmp_path / "manifest.json"
    data = version.manifest() | {"human_version": "9.9.9"}
    bad.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(build.BuildError, match="human_version"):
        build.check_manifest(bad)
