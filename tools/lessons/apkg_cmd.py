"""``apkg FILE... -o OUT.apkg``: a deck package for people without the add-on."""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from anki.collection import Collection, ExportAnkiPackageOptions

from addon.collection.importer import import_files, read_files
from addon.lesson.errors import LessonError

from .common import fail
from .import_cmd import load_config


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "apkg",
        help="write an .apkg deck package",
        description=(
            "Write a deck package (note type, decks with their presets, tags; no scheduling) that "
            "Anki's own File > Import reads, for learners without the add-on."
        ),
    )
    p.add_argument("files", nargs="+", metavar="FILE", help="lesson markdown files")
    p.add_argument("-o", "--output", required=True, metavar="OUT.apkg")
    p.add_argument("--config", metavar="JSON", help="config values as a JSON object")
    p.set_defaults(func=run)


def build_apkg(files: list[tuple[str, bytes]], out: Path, config_json: str | None = None) -> int:
    """Import into a throw-away collection, then export it; returns the number of notes."""
    config = load_config(config_json)
    with tempfile.TemporaryDirectory() as tmp:
        col = Collection(str(Path(tmp) / "export.anki2"))
        try:
            import_files(col, files, config)
            # The empty critical-review filter and the Default deck are not worth shipping.
            n = col.export_anki_package(
                out_path=str(out.resolve()),
                options=ExportAnkiPackageOptions(
                    with_scheduling=False, with_deck_configs=True, with_media=False, legacy=False
                ),
                limit=None,
            )
        finally:
            col.close()
    return n


def run(args: argparse.Namespace) -> int:
    out = Path(args.output)
    if out.suffix.lower() != ".apkg":
        return fail(f"error: {out}: the output file must end in .apkg")
    try:
        files = read_files(args.files)
        n = build_apkg(files, out, args.config)
    except LessonError as e:
        return fail(str(e))
    except ValueError as e:
        return fail(f"error: {e}")
    print(f"{out}: {n} notes")
    return 0
