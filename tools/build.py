"""Build the .ankiaddon: ``python -m tools.build`` writes ``dist/lesson_flashcards.ankiaddon``.

The zip's root holds the add-on package's files (the contents of ``addon/``) plus
``manifest.json``, ``config.json`` and ``config.md`` from the repository root -- what Anki's
add-on manager extracts into ``addons21/<package>/``. From ``addon/user_files/`` (the add-on's
state, which Anki keeps across upgrades) only ``README.txt`` ships, as AnkiWeb add-ons do. No
``__pycache__``/``*.pyc``, no tests, nothing else from the repository. The manifest is checked
against ``addon/version.py``.
"""

from __future__ import annotations

import argparse
import json
import sys
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
ADDON_DIR = REPO / "addon"
ROOT_FILES = ("manifest.json", "config.json", "config.md")
OUTPUT_NAME = "lesson_flashcards.ankiaddon"
_SKIP_DIRS = {"__pycache__", ".mypy_cache", ".pytest_cache", ".ruff_cache", "tests"}
_SKIP_SUFFIXES = (".pyc", ".pyo", ".orig", ".rej", ".swp", "~")
# user_files/ is the user's data on an installed copy: ship only its README.
_USER_FILES_KEEP = {"user_files/README.txt"}


class BuildError(Exception):
    pass


def addon_files(addon_dir: Path = ADDON_DIR) -> list[tuple[Path, str]]:
    """(source path, name in the zip) for the package's files, sorted."""
    out = []
    for path in sorted(addon_dir.rglob("*")):
        if not path.is_file():
            continue
        rel = path.relative_to(addon_dir).as_posix()
        parts = rel.split("/")
        if any(p in _SKIP_DIRS or p.startswith(".") for p in parts):
            continue
        if rel.endswith(_SKIP_SUFFIXES) or rel == "meta.json":
            continue
        if parts[0] == "user_files" and rel not in _USER_FILES_KEEP:
            continue
        out.append((path, rel))
    return out


def check_manifest(manifest_path: Path = REPO / "manifest.json") -> dict:
    sys.path.insert(0, str(REPO))
    try:
        from addon import version
    finally:
        sys.path.pop(0)
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    expected = version.manifest()
    wrong = {k: (manifest.get(k), v) for k, v in expected.items() if manifest.get(k) != v}
    if wrong:
        raise BuildError(
            "manifest.json disagrees with addon/version.py: "
            + ", ".join(f"{k} is {a!r}, version.py says {b!r}" for k, (a, b) in wrong.items())
        )
    return manifest


def build(out_dir: Path = REPO / "dist") -> Path:
    check_manifest()
    json.loads((REPO / "config.json").read_text(encoding="utf-8"))  # must be valid JSON
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / OUTPUT_NAME
    tmp = target.with_name(target.name + ".tmp")
    names: set[str] = set()
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for path, name in addon_files():
            if name in ROOT_FILES:
                continue  # the repository root's copy wins
            zf.write(path, name)
            names.add(name)
        for name in ROOT_FILES:
            zf.write(REPO / name, name)
            names.add(name)
    if "__init__.py" not in names:
        raise BuildError("addon/__init__.py is missing: Anki would not load the add-on")
    tmp.replace(target)
    return target


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tools.build", description=__doc__.splitlines()[0]
    )
    parser.add_argument(
        "--out", type=Path, default=REPO / "dist", help="output folder (default dist/)"
    )
    args = parser.parse_args(argv)
    try:
        target = build(args.out)
    except BuildError as e:
        print(f"build failed: {e}", file=sys.stderr)
        return 1
    with zipfile.ZipFile(target) as zf:
        count = len(zf.namelist())
    print(f"{target} ({count} files, {target.stat().st_size // 1024} KB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
