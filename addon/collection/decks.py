"""Decks as an import sees them: an index of every deck read once, and edits gathered during
the import and written once per deck.

Each backend deck call is its own operation (about 0.3 ms for an update, plus an undo entry), so
the importer, the presets and the holds look decks up in one :class:`DeckIndex` and queue their
changes to a deck here (preset, description, the waiting block); :meth:`DeckEdits.flush` writes
each changed deck once.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from anki.collection import Collection
from anki.decks import DeckId

from .undo import noop

DeckDict = dict[str, Any]
DEFAULT_PRESET_ID = 1  # Anki's "Default" deck options preset


class DeckIndex:
    """Every deck's name read once (a backend call per deck adds up over thousands),
    case-insensitive like Anki; a deck's preset read when first asked for (reading every deck at
    once would hold all descriptions). ``confs``: deck id -> preset id of decks the caller has
    just set (their presets are not read again)."""

    def __init__(self, col: Collection, confs: Mapping[int, int] | None = None) -> None:
        self.col = col
        self.names: dict[int, str] = {}
        self.ids: dict[str, int] = {}
        for d in col.decks.all_names_and_ids():
            self.names[int(d.id)] = d.name
            self.ids[d.name.casefold()] = int(d.id)
        self.confs: dict[int, int | None] = dict(confs or {})  # None: a filtered deck, or gone

    def get(self, name: str) -> DeckId:
        """The id of the deck of this name, creating a normal deck if there is none."""
        did = self.ids.get(name.casefold())
        if did is None:
            created = self.col.decks.id(name, create=True)
            assert created is not None
            did = self.ids[name.casefold()] = int(created)
            self.names[did] = self.col.decks.name(created)
        return DeckId(did)

    def in_tree(self, deck_id: int, top: str) -> bool:
        """Is the deck ``top`` or one of its subdecks?"""
        name = self.names.get(int(deck_id), "").casefold()
        top = top.casefold()
        return name == top or name.startswith(top + "::")

    def conf(self, deck_id: int) -> int | None:
        did = int(deck_id)
        if did not in self.confs:
            deck = self.col.decks.get(DeckId(did), default=False)
            self.confs[did] = (
                None if not deck or deck.get("dyn") else int(deck.get("conf", DEFAULT_PRESET_ID))
            )
        return self.confs[did]

    def parent(self, deck_id: int) -> int | None:
        name = self.names.get(int(deck_id))
        if not name or "::" not in name:
            return None
        return self.ids.get(name.rsplit("::", 1)[0].casefold())


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
