"""Desktop syncs its lesson sources, then AnkiWeb (Anki's bundled sync server on 127.0.0.1);
a second, empty collection stands in for the phone.

- the phone downloads the notes, tags, decks, presets and the critical filter deck;
- reviews made on the phone sync back to the desktop;
- a later edit to the lesson file, synced on the desktop, reaches the phone without losing
  the reviews made there.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from anki.collection import Collection
from anki.scheduler.v3 import CardAnswer

from addon.config import Config, SourceSpec
from addon.sources.apply import apply
from addon.sources.collect import SyncReport, collect
from tests.sources.conftest import lesson_text, write

# The harness (fixture ``sync_server`` with ``.sync(col)``) comes from tests/support/syncserver.py.
sync_server = pytest.importorskip(
    "tests.support.syncserver", reason="sync server harness not there yet"
).sync_server

pytestmark = pytest.mark.e2e

LESSON_DECK = "Lessons::Lesson 04 - Transformers"
EDIT_FROM = "Write the complete formula for scaled dot-product attention"
EDIT_TO = "Write the full formula for scaled dot-product attention"


@pytest.fixture
def desktop(tmp_path: Path) -> Iterator[Collection]:
    (tmp_path / "desktop").mkdir()
    col = Collection(str(tmp_path / "desktop" / "collection.anki2"))
    try:
        yield col
    finally:
        col.close()


@pytest.fixture
def phone(tmp_path: Path) -> Iterator[Collection]:
    (tmp_path / "phone").mkdir()
    col = Collection(str(tmp_path / "phone" / "collection.anki2"))
    try:
        yield col
    finally:
        col.close()


def sync_sources(col: Collection, folder: Path, state: Path, config: Config) -> SyncReport:
    report = collect([SourceSpec(str(folder))], state, config, scope="desktop")
    apply(col, report, config)
    assert report.ok, report.lines()
    return report


def snapshot(col: Collection) -> dict[str, object]:
    """What a user sees of the lessons: fronts by card number, tags, decks, presets."""
    nids = col.find_notes(f'"deck:{LESSON_DECK}*" or "tag:lessons::*"')
    notes = {}
    for nid in nids:
        note = col.get_note(nid)
        notes[note.guid] = (note["Front"], sorted(note.tags))
    decks = sorted(d.name for d in col.decks.all_names_and_ids() if d.name.startswith("Lessons"))
    presets = {}
    for name in decks:
        deck = col.decks.by_name(name)
        assert deck is not None
        if deck.get("dyn"):
            continue
        conf = col.decks.config_dict_for_deck_id(deck["id"])
        presets[name] = (conf["name"], conf["new"]["ints"][0], conf["new"]["initialFactor"])
    return {"notes": notes, "decks": decks, "presets": presets}


def review_some(col: Collection, n: int) -> list[int]:
    """Answer ``n`` cards 'Good' through the v3 scheduler, as the phone's user would."""
    root = col.decks.id_for_name("Lessons")
    assert root is not None
    col.decks.select(root)
    answered: list[int] = []
    for _ in range(n):
        queued = col.sched.get_queued_cards()
        assert queued.cards, "nothing to review on the phone"
        top = queued.cards[0]
        card = col.get_card(top.card.id)
        card.start_timer()
        answer = col.sched.build_answer(card=card, states=top.states, rating=CardAnswer.GOOD)
        col.sched.answer_card(answer)
        answered.append(card.id)
    return answered


def revlog_count(col: Collection, cids: list[int]) -> int:
    assert col.db is not None
    return int(
        col.db.scalar(f"select count() from revlog where cid in ({','.join(map(str, cids))})")
    )


def test_lessons_reach_the_phone_and_reviews_come_back(
    tmp_path: Path,
    desktop: Collection,
    phone: Collection,
    sync_server: Any,
) -> None:
    config = Config.from_dict({})
    folder = tmp_path / "Lessons"
    lesson = write(folder / "Lesson_4.md", lesson_text())
    state = tmp_path / "desktop-state"

    # Desktop: lesson sync, then AnkiWeb sync. Phone: empty, downloads.
    sync_sources(desktop, folder, state, config)
    sync_server.sync(desktop)
    sync_server.sync(phone)

    want = snapshot(desktop)
    assert len(want["notes"]) == 5
    assert snapshot(phone) == want
    assert phone.find_notes('"tag:lessons::critical"')
    assert phone.find_notes('"tag:lessons::bloom::remember"')
    easy = want["presets"][f"{LESSON_DECK}::Easy"]  # type: ignore[index]
    hard = want["presets"][f"{LESSON_DECK}::Hard"]  # type: ignore[index]
    assert easy[1:] == (1, 2500) and hard[1:] == (7, 1500)  # initial interval, starting ease
    critical = phone.decks.by_name(config.critical_deck)
    assert critical is not None and critical["dyn"], (
        "the critical filter deck did not reach the phone"
    )

    # Reviews on the phone sync back to the desktop.
    reviewed = review_some(phone, 2)
    sync_server.sync(phone)
    sync_server.sync(desktop)
    assert revlog_count(desktop, reviewed) == 2
    phone_cards = {cid: (phone.get_card(cid).ivl, phone.get_card(cid).type) for cid in reviewed}
    assert {
        cid: (desktop.get_card(cid).ivl, desktop.get_card(cid).type) for cid in reviewed
    } == phone_cards

    # A later edit to the lesson file, synced on the desktop, reaches the phone; reviews kept.
    lesson.write_text(
        lesson.read_text(encoding="utf-8").replace(EDIT_FROM, EDIT_TO), encoding="utf-8"
    )
    report = sync_sources(desktop, folder, state, config)
    assert report.sources[0].status == "fetched"
    sync_server.sync(desktop)
    sync_server.sync(phone)
    edited = phone.find_notes(f'"Front:*{EDIT_TO}*"')
    assert len(edited) == 1
    assert not phone.find_notes(f'"Front:*{EDIT_FROM}*"')
    assert phone.note_count() == 5
    assert revlog_count(phone, reviewed) == 2
    assert {
        cid: (phone.get_card(cid).ivl, phone.get_card(cid).type) for cid in reviewed
    } == phone_cards
    assert snapshot(phone) == snapshot(desktop)
