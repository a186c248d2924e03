"""The sync server harness itself: a note added on one collection reaches another."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support import syncserver
from tests.support.syncserver import SyncAccount, fresh_collection

sync_server = syncserver.sync_server  # the fixture, found by pytest under this name

pytestmark = pytest.mark.e2e


def test_note_added_on_a_reaches_b_and_back(tmp_path: Path, sync_server: SyncAccount) -> None:
    a = fresh_collection(tmp_path, "a")
    b = fresh_collection(tmp_path, "b")
    try:
        note = a.new_note(a.models.by_name("Basic"))
        note["Front"], note["Back"] = "capital of France", "Paris"
        a.add_note(note, a.decks.id("Geography"))
        assert b.note_count() == 0

        assert sync_server.sync(a) == "upload"
        assert sync_server.sync(b) == "download"
        got = b.find_notes('"Front:capital of France"')
        assert len(got) == 1 and b.get_note(got[0])["Back"] == "Paris"
        assert b.decks.id_for_name("Geography") is not None

        # Incremental from now on, both ways.
        b_note = b.get_note(got[0])
        b_note["Back"] = "Paris (Île-de-France)"
        b.update_note(b_note)
        assert sync_server.sync(b) == "normal"
        assert sync_server.sync(a) == "normal"
        assert a.get_note(note.id)["Back"] == "Paris (Île-de-France)"
    finally:
        a.close()
        b.close()


def test_each_test_gets_an_empty_account(tmp_path: Path, sync_server: SyncAccount) -> None:
    # The previous test uploaded to its own server; this one starts from nothing.
    c = fresh_collection(tmp_path, "c")
    try:
        assert sync_server.syncs == []
        note = c.new_note(c.models.by_name("Basic"))
        note["Front"] = "only here"
        c.add_note(note, 1)
        assert sync_server.sync(c) == "upload"
    finally:
        c.close()
