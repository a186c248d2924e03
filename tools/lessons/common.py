"""Shared bits of the command line: opening a collection with a clear message."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from anki.collection import Collection
from anki.errors import DBError


class CollectionBusy(Exception):
    pass


@contextmanager
def open_collection(path: str) -> Iterator[Collection]:
    """Open (creating if missing) a collection file; a clear error if Anki has it open."""
    target = Path(path)
    if target.exists() and target.is_dir():
        raise CollectionBusy(
            f"{path}: is a folder; give the collection file (e.g. collection.anki2)"
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        col = Collection(str(target))
    except DBError as e:
        raise CollectionBusy(
            f"{path}: cannot open the collection ({e}). If Anki has this profile open, "
            "close Anki (or switch profile) and try again."
        ) from e
    try:
        yield col
    finally:
        col.close()


def fail(message: str, status: int = 2) -> int:
    print(message, file=sys.stderr)
    return status
