"""``import FILE... --collection PATH [--json]``: import lesson files into a collection."""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

from addon.collection.importer import default_cache_path, import_files, iter_lesson_files
from addon.config import Config, ConfigError
from addon.lesson.errors import LessonError

from .common import CollectionBusy, fail, open_collection


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "import",
        help="import lesson files into an Anki collection",
        description=(
            "Import lesson flashcard files into an Anki collection file (created if missing). "
            "Re-importing updates notes in place, retires cards gone from the file and keeps "
            "review history. A refused file changes nothing (exit status 2). A file unchanged "
            "since its last import is skipped; a cache beside the collection "
            "(<name>.lesson-flashcards-cache.json) remembers each file's checksum, size, times "
            "and inode, so a file none of these changed for is not even read."
        ),
    )
    p.add_argument("files", nargs="+", metavar="FILE", help="lesson markdown files")
    p.add_argument("--collection", required=True, metavar="PATH", help="collection file (.anki2)")
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    p.add_argument(
        "--config",
        metavar="JSON",
        help='config values as a JSON object, over config.json\'s defaults (e.g. \'{"on_conflict": "overwrite"}\')',
    )
    p.add_argument(
        "--deck-root",
        metavar="NAME",
        help="parent deck for the lessons (default: config deck_root)",
    )
    p.set_defaults(func=run)


def load_config(raw: str | None) -> Config:
    values = json.loads(raw) if raw else None
    if values is not None and not isinstance(values, dict):
        raise ConfigError("--config must be a JSON object")
    return Config.from_dict(values)


def run(args: argparse.Namespace) -> int:
    try:
        config = load_config(args.config)
        for name in args.files:  # refuse before the collection is opened (or created)
            if not os.path.isfile(name) or not os.access(name, os.R_OK):
                raise LessonError(
                    name, 1, "cannot read the file (no such file, or not readable); check the path"
                )
        # looked at one by one while planning; read only when not known unchanged
        files = iter_lesson_files(args.files)
    except (ConfigError, ValueError) as e:
        return fail(f"error: {e}")
    except LessonError as e:
        return fail(str(e))
    try:
        with open_collection(args.collection) as col:
            result = import_files(
                col, files, config, args.deck_root, cache_path=default_cache_path(col)
            )
    except LessonError as e:
        return fail(str(e))
    except CollectionBusy as e:
        return fail(str(e))
    if args.json:
        print(json.dumps(result.to_json(), ensure_ascii=False, indent=2))
    else:
        print(f"{Path(args.collection)}: {result.summary()}")
        for w in result.warnings:
            print(f"warning: {w}")
    return 0
