"""python -m tools.lessons {inspect,import,apkg,sync,delete-retired} ...

Each subcommand lives in its own module with ``add_parser(subparsers)`` that registers it
and sets ``func`` (returning the exit status).
"""

from __future__ import annotations

import argparse
import importlib
import sys

SUBCOMMAND_MODULES = ("inspect_cmd", "import_cmd", "apkg_cmd", "sync_cmd")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m tools.lessons",
        description="Inspect lesson flashcard files and import them into an Anki collection.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in SUBCOMMAND_MODULES:
        try:
            module = importlib.import_module(f"tools.lessons.{name}")
        except ModuleNotFoundError as e:
            if e.name == f"tools.lessons.{name}":
                continue  # not written yet
            raise
        module.add_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    status: int = args.func(args)
    return status


if __name__ == "__main__":
    sys.exit(main())
