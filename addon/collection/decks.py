"""Deck edits gathered during an import and written once per deck.

Each backend deck update is its own operation (about 0.3 ms, plus an undo entry), so the
importer, the presets and the holds queue their changes to a deck here (preset, description,
the waiting block) and :meth:`DeckEdits.flush` writes each changed deck once.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from anki.collection import Collection
from anki.decks import DeckId

from .undo import noop

DeckDict = dict[str, Any]


class DeckEdits:
    def __init__(self) -> None:
        self._edits: dict[int, list[Callable[[DeckDict], None]]] = {}

    def add(self, deck_id: int, edit: Callable[[DeckDict], None]) -> None:
        self._edits.setdefault(int(deck_id), []).append(edit)

    def set_conf(self, deck_id: int, conf_id: int) -> None:
        def edit(deck: DeckDict) -> None:
            deck["conf"] = int(conf_id)

        self.add(deck_id, edit)

    def flush(self, col: Collection, checkpoint: Callable[[], None] = noop) -> int:
        """Apply the queued edits (normal decks only); save the decks that changed. -> saved."""
        saved = 0
        edits, self._edits = self._edits, {}
        for did, fns in edits.items():
            deck = col.decks.get(DeckId(did), default=False)
            if not deck or deck.get("dyn"):
                continue
            before = dict(deck)
            for fn in fns:
                fn(deck)
            if deck != before:
                col.decks.update_dict(deck)
                saved += 1
                checkpoint()
        return saved
