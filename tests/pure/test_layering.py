"""addon/lesson is pure Python: it imports nothing of anki or aqt (read from the source)."""

from __future__ import annotations

import ast
from pathlib import Path

LESSON = Path(__file__).resolve().parent.parent.parent / "addon" / "lesson"


def imported_modules(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.extend(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: must stay inside addon/lesson
                assert node.level == 1, f"{path.name} imports from outside addon/lesson"
                names.append("." + (node.module or ""))
            else:
                names.append(node.module or "")
    return names


def test_lesson_package_imports_no_anki_or_aqt() -> None:
    files = sorted(LESSON.glob("*.py"))
    assert {f.name for f in files} >= {
        "__init__.py",
        "parse.py",
        "render.py",
        "model.py",
        "errors.py",
    }
    for f in files:
        for name in imported_modules(f):
            top = name.split(".")[0]
            assert top not in ("anki", "aqt", "PyQt6", "addon"), f"{f.name} imports {name}"


def test_lesson_package_uses_only_stdlib() -> None:
    import sys

    for f in sorted(LESSON.glob("*.py")):
        for name in imported_modules(f):
            if name.startswith("."):
                continue
            top = name.split(".")[0]
            assert top in sys.stdlib_module_names or top == "__future__", f"{f.name}: {name}"
