"""Version fields and compatibility checks, in one place.

Pure Python at import time (no anki/aqt import), so ``tools.build`` can read it.

Anki's "point version" is ``YYMMPP`` since 23.10 (``anki.utils.int_version()``: 26.09.3 is
260903). The manifest's ``min_point_version`` is enforced by Anki's add-on manager
(``AddonMeta.compatible``: an older Anki does not load the add-on); a *positive*
``max_point_version`` only records the newest version we tested on (a negative one would be a
hard cap, which we do not set: later 26.x releases keep loading it, and optional APIs are
feature-checked with ``hasattr`` below instead of comparing version numbers).
"""

from __future__ import annotations

import re
import sys
from typing import Any

PACKAGE = "lesson_flashcards"
ADDON_NAME = "Lesson Flashcards"
ADDON_VERSION = "0.1.0"

MIN_POINT_VERSION = 260900  # Anki 26.09(.0): the oldest release we support
TESTED_POINT_VERSION = 260903  # Anki 26.09.3: the release the test suite runs against
MIN_PYTHON = (3, 10)  # syntax and stdlib the add-on code may use


def point_version_str(point: int) -> str:
    """260903 -> "26.09.3" (Anki's own formatting, ``anki.utils.int_version_to_str``)."""
    if point <= 99:
        return f"2.1.{point}"
    year, month, patch = point // 10_000, (point // 100) % 100, point % 100
    return f"{year:02}.{month:02}" + (f".{patch}" if patch else "")


def parse_point_version(version: str) -> int:
    """Parse like ``int_version``: 26.09.3 and 26.9.3 -> 260903, 26.05b1 -> 260500."""
    m = re.match(r"(\d+)\.(\d+)(?:\.(\d+))?", version)
    if not m:
        raise ValueError(f"unrecognised Anki version: {version!r}")
    return int(m.group(1)) * 10_000 + int(m.group(2)) * 100 + int(m.group(3) or 0)


def anki_point_version() -> int | None:
    """The running Anki's point version, or None when anki is not importable."""
    try:
        from anki.utils import int_version
    except ImportError:
        try:
            from anki.buildinfo import version
        except ImportError:
            return None
        return parse_point_version(version)
    return int(int_version())


def is_supported(point: int | None = None) -> bool:
    point = anki_point_version() if point is None else point
    return point is not None and point >= MIN_POINT_VERSION


def compatibility_problem(point: int | None = None) -> str | None:
    """A sentence for the user when this Anki (or Python) is too old, else None."""
    if sys.version_info[:2] < MIN_PYTHON:
        return f"{ADDON_NAME} needs Python {'.'.join(map(str, MIN_PYTHON))} or newer."
    point = anki_point_version() if point is None else point
    if point is None:
        return f"{ADDON_NAME}: Anki's version could not be determined."
    if point < MIN_POINT_VERSION:
        return (
            f"{ADDON_NAME} {ADDON_VERSION} needs Anki {point_version_str(MIN_POINT_VERSION)} or newer; "
            f"this is Anki {point_version_str(point)}. Please update Anki."
        )
    return None


def manifest() -> dict[str, Any]:
    """What manifest.json must say (tools.build checks the file against this)."""
    return {
        "package": PACKAGE,
        "name": ADDON_NAME,
        "human_version": ADDON_VERSION,
        "min_point_version": MIN_POINT_VERSION,
        "max_point_version": TESTED_POINT_VERSION,
    }


# ---------------------------------------------------------------------------- feature checks
# Optional APIs: ask for the feature, not the version number.


def has_file_import_registry() -> bool:
    """File > Import lists ``aqt.import_export.importing.IMPORTERS`` (Anki >= 2.1.55)."""
    try:
        from aqt.import_export import importing
    except ImportError:
        return False
    return isinstance(getattr(importing, "IMPORTERS", None), list) and hasattr(
        importing, "Importer"
    )


def has_hook(name: str) -> bool:
    try:
        from aqt import gui_hooks
    except ImportError:
        return False
    return hasattr(gui_hooks, name)


def has_backend_progress() -> bool:
    try:
        from aqt.operations import CollectionOp
    except ImportError:
        return False
    return hasattr(CollectionOp, "with_backend_progress")
