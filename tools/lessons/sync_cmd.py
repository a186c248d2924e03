"""``sync SOURCE... --collection PATH [--json] [--state DIR] [--force]``: import lesson sources.

A SOURCE is a folder (every ``*.md`` below it), a lesson file, or an https URL (a lesson file
or an index of lesson URLs). Sources that did not change since the last sync into this
collection cost a hash (files) or a 304 (URLs). Exit status: 0 every source synced, 1 some
failed (the others were still imported), 2 bad arguments or the collection is open in Anki.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from addon.config import ConfigError, SourceSpec
from addon.sources.apply import apply, summary
from addon.sources.collect import collect
from addon.sources.fetch import FetchError, check_url, display_url

from .common import CollectionBusy, fail, open_collection
from .import_cmd import load_config


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "sync",
        help="import lesson folders, files and URLs, skipping what did not change",
        description=(
            "Sync lesson sources into an Anki collection file (created if missing): folders "
            "(every *.md below them), lesson files and https URLs (a lesson file, or an index "
            "listing lesson URLs one per line or as a JSON list). Unchanged sources are not "
            "re-imported (content hashes; ETag/Last-Modified for URLs). A failing source is "
            "reported and changes nothing; the others are still imported. Files gone from a "
            "source keep their notes. Exit status: 0 all synced, 1 some sources failed, "
            "2 bad arguments or the collection is open in Anki."
        ),
    )
    p.add_argument("sources", nargs="+", metavar="SOURCE", help="folder, lesson file or URL")
    p.add_argument("--collection", required=True, metavar="PATH", help="collection file (.anki2)")
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    p.add_argument(
        "--state",
        metavar="DIR",
        help="folder for the sync state (default: beside the collection)",
    )
    p.add_argument("--force", action="store_true", help="re-import every source, changed or not")
    p.add_argument(
        "--config",
        metavar="JSON",
        help="config values as a JSON object, over config.json's defaults",
    )
    p.add_argument("--deck-root", metavar="NAME", help="parent deck for these sources' lessons")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    try:
        config = load_config(args.config)
    except (ConfigError, ValueError) as e:
        return fail(f"error: {e}")
    specs: list[SourceSpec] = []
    for loc in args.sources:
        spec = SourceSpec(loc, args.deck_root)
        if "://" in loc:
            try:
                check_url(loc)
            except FetchError as e:
                return fail(f"error: {display_url(loc)}: {e}")
        specs.append(spec)
    colpath = Path(args.collection)
    state_dir = Path(args.state) if args.state else colpath.resolve().parent
    try:
        with open_collection(args.collection) as col:
            report = collect(specs, state_dir, config, force=args.force, scope=colpath.stem)
            result = apply(col, report, config)
    except CollectionBusy as e:
        return fail(str(e))
    except Exception as e:  # the import itself failed: rolled back, state not saved
        return fail(
            f"error: the import failed and nothing was changed ({type(e).__name__}: {e})", 1
        )
    if args.json:
        out = {"ok": report.ok, "import": result.to_json(), **report.to_json()}
        print(json.dumps(out, ensure_ascii=False, indent=2))
    else:
        print(f"{colpath}: {summary(report, result)}")
        for s in report.sources:
            print(s.line())
            many_failed = s.count("failed") > 5  # the source line names the first five only
            for item in s.items:
                shown = ("fetched", "removed", "failed") if many_failed else ("fetched", "removed")
                if item.status in shown and len(s.items) > 1:
                    print(
                        f"  {item.name}: {item.status}"
                        + (f" ({item.reason})" if item.reason else "")
                    )
        for w in result.warnings:
            print(f"warning: {w}")
    return 0 if report.ok else 1
