"""What the last successful sync saw, per source: a small JSON file in a folder the caller picks.

The GUI keeps it in the add-on's ``user_files/`` (one file per profile), the command line beside
the collection. Losing it is harmless: the next sync reads everything again and the importer
finds nothing to change.

Layout (version 1)::

    {"v": 1,
     "sources": {
        "<source key>": {
            "fp": "<config fingerprint>",
            "top": {"etag": ..., "last_modified": ..., "text": ..., "kind": ...},  # URL sources
            "items": {"<file path or URL>": {
                "sha1": ..., "identity": ..., "label": ...,
                "etag": ..., "last_modified": ..., "text": ...}}}}}  # etag...: URLs only

``top`` is the source URL itself (a lesson file or an index; ``kind`` says which) with its
last good body; an item's ``text`` is kept for the lesson files an index lists. Both let a 304
still be imported (after a forced sync, or when the collection lost the notes, e.g. another
profile or a full download).
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

STATE_VERSION = 1


def state_path(state_dir: str | os.PathLike[str], scope: str = "") -> Path:
    slug = re.sub(r"[^A-Za-z0-9._-]+", "_", scope).strip("._")[:60]
    name = f"lesson-sources-{slug}.json" if slug else "lesson-sources.json"
    return Path(state_dir) / name


def load_state(path: Path) -> dict[str, Any]:
    try:
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
    except (OSError, ValueError):
        return {"v": STATE_VERSION, "sources": {}}
    if (
        not isinstance(data, dict)
        or data.get("v") != STATE_VERSION
        or not isinstance(data.get("sources"), dict)
    ):
        return {"v": STATE_VERSION, "sources": {}}
    return data


def save_state(path: Path, data: dict[str, Any]) -> None:
    """Write atomically (temp file + rename), so a crash never leaves half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(data, f, ensure_ascii=False)
    os.replace(tmp, path)
