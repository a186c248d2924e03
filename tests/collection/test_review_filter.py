"""The critical-knowledge review filter on a real collection, imported through the real importer.

Lesson_4.md flags all five cards critical, and every one of them is named in its Critical
Knowledge Summary (so every one has a key-concept tag). The variant below makes the filter's
choices visible: card 3 is flagged "No" (it keeps its key-concept tag), card 6 is critical
without a key concept, card 7 is flagged "No".
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from anki.collection import Collection
from anki.consts import QUEUE_TYPE_SUSPENDED, REVLOG_REV
from anki.decks import DeckId
from anki.scheduler.v3 import CardAnswer

from addon.collection import importer
from addon.collection import review_filter as rf
from addon.collection.notetype import find_notetype
from addon.config import Config
from tests.support.syncserver import SyncAccount, fresh_collection, sync_server  # noqa: F401

from . import lesson_variants as lv

# Most tests switch holds off, so that only the filter decides which cards it takes; with
# holds on (the default), Lesson_4's card 5 waits for all the others (see the held test).
CONFIG = Config.from_dict({"hold_until_mastered": False})
DEFAULT_CONFIG = Config.from_dict()
LESSON4_TAG = "lessons::lesson::04_transformers"
LESSON4_NAME = "Lesson 04 - Transformers"
KEY_CONCEPT_CARDS = {
    1,
    2,
    4,
    5,
}  # critical and named in the summary (card 3 too, but it is "No" below)


def set_flag(text: str, number: int, flag: str) -> str:
    start, end = lv.card_span(text, number)
    body, n = re.subn(
        r"\*\*Critical Knowledge Flag:\*\*[^\n]*",
        f"**Critical Knowledge Flag:** {flag}",
        text[start:end],
    )
    assert n == 1
    return text[:start] + body + text[end:]


def variant(lesson4_text: str) -> str:
    text = set_flag(lesson4_text, 3, "No")
    text = lv.append_card(
        text,
        lv.new_card(
            6,
            "Medium",
            "What does layer normalization normalize over?",
            "The features of each token.",
            critical=True,
        ),
    )
    text = lv.append_card(
        text,
        lv.new_card(7, "Easy", "Who wrote 'Attention Is All You Need'?", "Vaswani et al., 2017."),
    )
    text = text.replace("**Total Cards:** 5", "**Total Cards:** 7")
    return text.replace("2 Easy | 2 Medium | 1 Hard", "3 Easy | 3 Medium | 1 Hard")


def do_import(
    col: Collection, text: str, name: str = "Lesson_4.md", config: Config = CONFIG
) -> importer.ImportResult:
    return importer.import_files(col, [(name, text.encode("utf-8"))], config)


def card_number(col: Collection, cid: int) -> int:
    return int(col.get_card(cid).note()["Card"])


def cards_by_number(col: Collection) -> dict[int, int]:
    nt = find_notetype(col)
    assert nt is not None
    return {
        card_number(col, cid): cid
        for cid in col.find_cards(f"mid:{nt['id']} -tag:lessons::retired")
    }


def filter_order(col: Collection, did: int) -> list[int]:
    """Card numbers in the filtered deck, in the deck's order (its position = due)."""
    rows = col.db.all("select id from cards where did = ? order by due, id", did)
    return [card_number(col, cid) for (cid,) in rows]


def study_order(col: Collection, did: int) -> list[int]:
    """Card numbers in the order Anki's v3 scheduler would show them from the deck."""
    col.decks.select(DeckId(did))
    queued = col.sched.get_queued_cards(fetch_limit=50)
    return [card_number(col, qc.card.id) for qc in queued.cards]


def in_lesson_decks(col: Collection) -> set[int]:
    """Card numbers of the cards that sit in the lesson's own (normal) decks."""
    lesson = col.decks.id_for_name(f"Lessons::{LESSON4_NAME}")
    assert lesson is not None
    dids = set(col.decks.deck_and_child_ids(lesson))
    return {n for n, cid in cards_by_number(col).items() if col.get_card(cid).did in dids}


def card_rows(col: Collection) -> list[tuple[object, ...]]:
    return [
        tuple(r)
        for r in col.db.all(
            "select id, did, odid, due, odue, queue, type, ivl, mod, usn from cards order by id"
        )
    ]


def answer_good(col: Collection, did: int, cid: int) -> None:
    col.decks.select(DeckId(did))
    queued = col.sched.get_queued_cards(fetch_limit=50)
    qc = next(q for q in queued.cards if q.card.id == cid)
    assert queued.cards[0].card.id == cid
    card = col.get_card(cid)
    card.start_timer()
    col.sched.answer_card(
        col.sched.build_answer(card=card, states=qc.states, rating=CardAnswer.GOOD)
    )


@pytest.fixture
def aged_col(tmp_path: Path) -> Iterator[Collection]:
    """A collection in use for a month (day 30), so review cards due today have a positive due day."""
    path = str(tmp_path / "aged.anki2")
    c = Collection(path)
    c.db.execute("update col set crt = crt - 30 * 86400")
    c.close()
    c = Collection(path)
    assert c.sched.today == 30
    try:
        yield c
    finally:
        c.close()


# ---------------------------------------------------------------------------
# Import: the filter exists, empty; the lesson decks keep their cards


def test_import_creates_the_filter_empty_and_the_lesson_decks_keep_their_cards(
    col: Collection, lesson4_text: str
) -> None:
    do_import(col, variant(lesson4_text))
    did = rf.filter_deck_id(col, CONFIG)
    assert did is not None
    deck = col.decks.get(DeckId(did))
    assert deck is not None
    assert deck["name"] == "Lessons::Critical Knowledge"
    assert deck["dyn"] and deck["resched"]
    assert [t[0] for t in deck["terms"]] == [t[0] for t in rf.filter_terms(CONFIG)]
    assert "lessons::critical" in deck["terms"][0][0] and "key\\_concept" in deck["terms"][0][0]

    assert col.decks.cids(DeckId(did)) == []
    assert in_lesson_decks(col) == {1, 2, 3, 4, 5, 6, 7}
    assert col.db.scalar("select count() from cards where odid != 0") == 0

    # A second import (unchanged) and one with an edit leave it empty too.
    do_import(col, variant(lesson4_text))
    do_import(col, set_flag(variant(lesson4_text), 7, "Yes - now it matters"))
    assert col.decks.cids(DeckId(did)) == []
    assert in_lesson_decks(col) == {1, 2, 3, 4, 5, 6, 7}
    assert rf.ensure_filter_deck(col, CONFIG) == did  # one deck, found again


def test_ensure_leaves_no_trace_on_the_cards(col: Collection, lesson4_text: str) -> None:
    do_import(col, variant(lesson4_text))
    did = rf.filter_deck_id(col, CONFIG)
    assert did is not None
    col.decks.remove([DeckId(did)])
    # Cards modified long ago: building and emptying the deck would stamp them with "now".
    col.db.execute("update cards set mod = mod - 1000")
    before = card_rows(col)
    new_did = rf.ensure_filter_deck(col, CONFIG)
    assert col.decks.is_filtered(DeckId(new_did))
    assert card_rows(col) == before
    # Nothing written when the deck is already as it should be.
    mod = col.decks.get(DeckId(new_did))["mod"]  # type: ignore[index]
    undo_before = col.undo_status().undo
    rf.ensure_filter_deck(col, CONFIG)
    assert col.decks.get(DeckId(new_did))["mod"] == mod  # type: ignore[index]
    assert col.undo_status().undo == undo_before


def test_undoing_the_import_removes_the_filter_and_the_saved_searches(
    col: Collection, lesson4_text: str
) -> None:
    col.set_config("savedFilters", {"my own": "deck:Spanish"})
    do_import(col, lesson4_text)
    assert rf.filter_deck_id(col, CONFIG) is not None
    col.undo()
    assert rf.filter_deck_id(col, CONFIG) is None
    assert col.get_config("savedFilters") == {"my own": "deck:Spanish"}


# ---------------------------------------------------------------------------
# Rebuild: exactly the flagged cards, key concepts first


def test_rebuild_selects_exactly_the_flagged_cards_key_concepts_first(
    col: Collection, lesson4_text: str
) -> None:
    do_import(col, variant(lesson4_text))
    count = rf.rebuild_critical(col, CONFIG)
    did = rf.filter_deck_id(col, CONFIG)
    assert did is not None
    assert count == 5
    order = filter_order(col, did)
    assert sorted(order) == [
        1,
        2,
        4,
        5,
        6,
    ]  # card 3 ("No", though a key concept) and card 7 ("No") stay out
    assert set(order[:4]) == KEY_CONCEPT_CARDS and order[4] == 6
    assert study_order(col, did)[:4] == order[:4] and study_order(col, did)[4] == 6
    assert in_lesson_decks(col) == {3, 7}
    # An import now does not empty or refill it.
    do_import(col, variant(lesson4_text))
    assert filter_order(col, did) == order


def test_anki_own_rebuild_uses_the_search_stored_in_the_deck(
    col: Collection, lesson4_text: str
) -> None:
    do_import(col, variant(lesson4_text))
    did = rf.ensure_filter_deck(col, CONFIG)
    out = col.sched.rebuild_filtered_deck(DeckId(did))  # the deck's Rebuild button, on any device
    assert out.count == 5
    order = filter_order(col, did)
    assert sorted(order) == [1, 2, 4, 5, 6]
    assert set(order[:4]) == KEY_CONCEPT_CARDS and order[4] == 6
    col.sched.empty_filtered_deck(DeckId(did))
    assert in_lesson_decks(col) == {1, 2, 3, 4, 5, 6, 7}
    assert rf.rebuild_critical(col, CONFIG) == 5
    assert filter_order(col, did) == order


def test_after_a_flag_changes_the_next_rebuild_follows(col: Collection, lesson4_text: str) -> None:
    text = variant(lesson4_text)
    do_import(col, text)
    assert rf.rebuild_critical(col, CONFIG) == 5
    did = rf.filter_deck_id(col, CONFIG)
    assert did is not None
    # The file now flags card 3 and un-flags card 1 (which sits in the filter right now).
    edited = set_flag(set_flag(text, 3, "Yes - positions matter after all"), 1, "No")
    result = do_import(col, edited)
    assert result.updated == 2
    assert sorted(filter_order(col, did)) == [1, 2, 4, 5, 6]  # the import moved nothing
    assert rf.rebuild_critical(col, CONFIG) == 5
    order = filter_order(col, did)
    assert sorted(order) == [2, 3, 4, 5, 6]
    assert set(order[:4]) == {2, 3, 4, 5} and order[4] == 6  # card 3 is a key concept
    assert in_lesson_decks(col) == {1, 7}


def test_a_key_concept_added_to_the_summary_moves_the_card_ahead(
    col: Collection, lesson4_text: str
) -> None:
    text = variant(lesson4_text)
    do_import(col, text)
    rf.rebuild_critical(col, CONFIG)
    did = rf.filter_deck_id(col, CONFIG)
    assert did is not None
    assert filter_order(col, did)[-1] == 6
    edited = text.replace(
        "- **Architecture Variants**: Appears in Cards 4, 5",
        "- **Architecture Variants**: Appears in Cards 4, 5\n- **Layer Normalization**: Appears in Cards 5, 6",
    )
    do_import(col, edited)
    assert rf.rebuild_critical(col, CONFIG) == 5
    order = filter_order(col, did)
    assert set(order) == {1, 2, 4, 5, 6}
    assert (
        "lessons::key_concept::layer_normalization"
        in col.get_card(cards_by_number(col)[6]).note().tags
    )


def test_suspended_retired_and_waiting_cards_stay_out(col: Collection, lesson4_text: str) -> None:
    text = variant(lesson4_text)
    do_import(col, text)
    # Card 2 leaves the file: the importer retires it (suspended and tagged).
    result = do_import(col, lv.remove_card(text, 2))
    assert result.retired == 1
    nums = cards_by_number(col)
    retired = col.find_cards('"tag:lessons::retired"')
    assert len(retired) == 1 and col.get_card(retired[0]).queue == QUEUE_TYPE_SUSPENDED
    # Card 4 waits for a prerequisite (suspended and tagged, as the scheduling code does),
    # card 5 the learner suspended, card 6 is tagged waiting but was unsuspended by hand.
    col.tags.bulk_add([col.get_card(nums[4]).nid, col.get_card(nums[6]).nid], "lessons::waiting")
    col.sched.suspend_cards([nums[4], nums[5]])

    assert rf.rebuild_critical(col, CONFIG) == 1
    did = rf.filter_deck_id(col, CONFIG)
    assert did is not None
    assert filter_order(col, did) == [1]
    did2 = col.sched.rebuild_filtered_deck(DeckId(did))
    assert did2.count == 1


def test_cards_held_until_their_prerequisites_are_mastered_stay_out(
    col: Collection, lesson4_text: str
) -> None:
    do_import(col, variant(lesson4_text), config=DEFAULT_CONFIG)
    nums = cards_by_number(col)
    held = col.get_card(nums[5])
    if "lessons::waiting" not in held.note().tags:
        pytest.fail("the importer no longer holds card 5 ('Review after all others mastered')")
    assert held.queue == QUEUE_TYPE_SUSPENDED
    assert rf.rebuild_critical(col, DEFAULT_CONFIG) == 4
    did = rf.filter_deck_id(col, DEFAULT_CONFIG)
    assert did is not None
    assert sorted(filter_order(col, did)) == [1, 2, 4, 6]
    # Unsuspended by hand but still tagged as waiting: it stays out all the same.
    col.sched.unsuspend_cards([nums[5]])
    assert col.sched.rebuild_filtered_deck(DeckId(did)).count == 4


def test_only_due_or_new_cards_and_reviews_count_as_normal_reviews(
    aged_col: Collection, lesson4_text: str
) -> None:
    col = aged_col
    text = lv.append_card(
        variant(lesson4_text),
        lv.new_card(
            8, "Hard", "Why is pre-norm more stable than post-norm?", "Gradients.", critical=True
        ),
    )
    do_import(col, text)
    nums = cards_by_number(col)
    # Cards 1 (key concept) and 8 (not) are review cards due today; card 2 is a review card
    # due in 10 days; 4, 5 (key concepts) and 6 (not) are new.
    col.sched.set_due_date([nums[1], nums[8]], "0")
    col.sched.set_due_date([nums[2]], "10")
    home = col.get_card(nums[1]).did
    ivl_before = col.get_card(nums[1]).ivl
    expected_days = col._backend.get_scheduling_states(nums[1]).good.normal.review.scheduled_days
    assert expected_days > ivl_before

    assert rf.rebuild_critical(col, CONFIG) == 5
    did = rf.filter_deck_id(col, CONFIG)
    assert did is not None
    order = filter_order(col, did)
    assert sorted(order) == [1, 4, 5, 6, 8]  # card 2 is not due
    assert set(order[:3]) == {1, 4, 5} and set(order[3:]) == {6, 8}  # key concepts first
    # Anki mixes new cards and reviews as it shows them; within each, key concepts come first.
    shown = study_order(col, did)
    assert sorted(shown) == [1, 4, 5, 6, 8]
    assert [n for n in shown if n in (1, 8)] == [1, 8]
    assert [n for n in shown if n in (4, 5, 6)][-1] == 6

    # Review card 1 in the filter (rescheduling on): it goes home with the interval a review
    # in its own deck would give, logged as an ordinary review.
    for _ in range(10):  # answer what Anki shows before it (Good) until card 1 is on top
        top = study_order(col, did)[0]
        if top == 1:
            break
        answer_good(col, did, nums[top])
    answer_good(col, did, nums[1])
    card = col.get_card(nums[1])
    assert (card.did, card.odid, card.odue) == (home, 0, 0)
    assert card.ivl == expected_days
    assert card.due == col.sched.today + expected_days
    assert (
        col.db.scalar("select type from revlog where cid = ? order by id desc", nums[1])
        == REVLOG_REV
    )


def test_nothing_to_review_returns_zero_without_error(col: Collection, lesson4_text: str) -> None:
    do_import(col, variant(lesson4_text))
    nums = cards_by_number(col)
    later = [nums[n] for n in (1, 2, 4, 5, 6)]
    col.sched.set_due_date(later, "5")
    assert rf.rebuild_critical(col, CONFIG) == 0
    did = rf.filter_deck_id(col, CONFIG)
    assert did is not None and col.decks.cids(DeckId(did)) == []
    assert rf.rebuild_lesson_critical(col, CONFIG, LESSON4_TAG, LESSON4_NAME)[1] == 0
    assert "No critical cards" in rf.nothing_to_review_message(CONFIG)


def test_empty_collection_rebuild_is_zero(col: Collection) -> None:
    assert rf.rebuild_critical(col, CONFIG) == 0
    assert rf.filter_deck_id(col, CONFIG) is not None


# ---------------------------------------------------------------------------
# Per lesson


def second_lesson(lesson4_text: str) -> str:
    text = lesson4_text.replace(
        "# Flashcard Set: Lesson 4 - Transformers", "# Flashcard Set: Lesson 5 - Attention Variants"
    ).replace("**Source:** Lessons/Lesson_4.md", "**Source:** Lessons/Lesson_5.md")
    return set_flag(set_flag(text, 2, "No"), 3, "No")  # critical: 1, 4, 5


def test_per_lesson_filter(col: Collection, lesson4_text: str) -> None:
    do_import(col, variant(lesson4_text))
    do_import(col, second_lesson(lesson4_text), name="Lesson_5.md")
    assert len(col.find_cards('"tag:lessons::lesson::05_attention_variants"')) == 5

    # The main filter takes both lessons; the lesson's own filter then takes its cards from it.
    assert rf.rebuild_critical(col, CONFIG) == 8
    did, count = rf.rebuild_lesson_critical(col, CONFIG, LESSON4_TAG, LESSON4_NAME)
    assert count == 5
    assert col.decks.name(DeckId(did)) == "Lessons::Critical Knowledge - Lesson 04 - Transformers"
    assert col.decks.is_filtered(DeckId(did))
    order = filter_order(col, did)
    assert sorted(order) == [1, 2, 4, 5, 6] and order[4] == 6
    assert all(LESSON4_TAG in col.get_card(cid).note().tags for cid in col.decks.cids(DeckId(did)))
    # Anki's own Rebuild of that deck gives the same.
    assert col.sched.rebuild_filtered_deck(DeckId(did)).count == 5
    assert filter_order(col, did) == order
    # Rebuilding the main filter brings the lesson's cards back into it.
    assert rf.rebuild_critical(col, CONFIG) == 8
    assert col.decks.cids(DeckId(did)) == []
    # Again on demand: the same deck.
    assert rf.rebuild_lesson_critical(col, CONFIG, LESSON4_TAG, LESSON4_NAME) == (did, 5)


# ---------------------------------------------------------------------------
# Config: tag root changes, names taken


def test_a_new_tag_root_updates_the_search_without_filling(
    col: Collection, lesson4_text: str
) -> None:
    do_import(col, variant(lesson4_text))
    assert rf.rebuild_critical(col, CONFIG) == 5
    did = rf.filter_deck_id(col, CONFIG)
    assert did is not None
    held = sorted(col.decks.cids(DeckId(did)))
    other = Config.from_dict({"tag_root": "study"})
    assert rf.ensure_filter_deck(col, other) == did
    terms = col.decks.get(DeckId(did))["terms"]  # type: ignore[index]
    assert '"tag:study::critical"' in terms[0][0] and "lessons::" not in terms[0][0]
    assert sorted(col.decks.cids(DeckId(did))) == held  # neither emptied nor refilled
    assert col.sched.rebuild_filtered_deck(DeckId(did)).count == 0  # no card has study:: tags


def test_a_normal_deck_with_the_name_is_left_alone(col: Collection, lesson4_text: str) -> None:
    mine = col.decks.id("Lessons::Critical Knowledge")
    assert mine is not None
    do_import(col, variant(lesson4_text))
    assert not col.decks.is_filtered(mine)
    did = rf.filter_deck_id(col, CONFIG)
    assert did is not None and col.decks.name(DeckId(did)) == "Lessons::Critical Knowledge (filter)"
    assert rf.rebuild_critical(col, CONFIG) == 5


def test_a_name_inside_a_filtered_deck_is_refused_clearly(col: Collection) -> None:
    cram = col.decks.new_deck_legacy(True)
    cram["name"] = "Cram"
    col.decks.add_deck_legacy(cram)
    with pytest.raises(
        rf.ReviewFilterError, match=r"filtered decks cannot have subdecks.*critical_deck"
    ):
        rf.ensure_filter_deck(col, Config.from_dict({"critical_deck": "Cram::Critical"}))


# ---------------------------------------------------------------------------
# Saved searches


def test_saved_searches_find_what_their_names_say(col: Collection, lesson4_text: str) -> None:
    col.set_config("savedFilters", {"my own": "deck:Spanish", "Due soon": "prop:due<3"})
    text = variant(lesson4_text)
    do_import(col, text)
    do_import(col, lv.remove_card(text, 7))  # card 7 retired
    col.tags.bulk_add([col.get_card(cards_by_number(col)[4]).nid], "lessons::waiting")
    saved = col.get_config("savedFilters")
    assert saved["my own"] == "deck:Spanish" and saved["Due soon"] == "prop:due<3"
    ours = {k: v for k, v in saved.items() if k.startswith("Lessons: ")}

    def numbers(name: str) -> set[int]:
        return {card_number(col, cid) for cid in col.find_cards(ours[name])}

    assert numbers("Lessons: Critical knowledge") == {1, 2, 4, 5, 6}
    assert numbers("Lessons: Lesson 04 - Transformers") == {1, 2, 3, 4, 5, 6, 7}
    assert numbers("Lessons: Lesson 04 - Transformers - critical") == {1, 2, 4, 5, 6}
    assert numbers("Lessons: Difficulty Easy") == {1, 2}  # card 7 (Easy) is retired
    assert numbers("Lessons: Difficulty Medium") == {3, 4, 6}
    assert numbers("Lessons: Difficulty Hard") == {5}
    assert numbers("Lessons: Retired (gone from their lesson file)") == {7}
    assert numbers("Lessons: Waiting for prerequisites") == {4}

    # Nothing written when nothing changes.
    undo = col.undo_status().undo
    rf.ensure_saved_searches(col, CONFIG, [(LESSON4_NAME, LESSON4_TAG)])
    assert col.undo_status().undo == undo
    # A user's edit to their own search survives the next import.
    saved["my own"] = "deck:French"
    col.set_config("savedFilters", saved)
    do_import(col, set_flag(text, 7, "Yes"))
    assert col.get_config("savedFilters")["my own"] == "deck:French"


def test_saved_search_names_and_tags_are_escaped(col: Collection) -> None:
    rf.ensure_saved_searches(
        col, CONFIG, [('Lesson 09 - "Odd" :: names_*', "lessons::lesson::09_odd")]
    )
    saved = col.get_config("savedFilters")
    name = "Lessons: Lesson 09 - 'Odd' : names_*"
    assert saved[name] == '"tag:lessons::lesson::09\\_odd"'
    col.build_search_string(saved[name])  # valid search


# ---------------------------------------------------------------------------
# A second device, through Anki's bundled sync server


def filter_notes(col: Collection, did: int) -> list[tuple[str, int]]:
    """(note guid, card ordinal) of the cards in the filtered deck, in the deck's order."""
    return [
        (guid, ord_)
        for guid, ord_ in col.db.all(
            "select n.guid, c.ord from cards c join notes n on n.id = c.nid where c.did = ? order by c.due, c.id",
            did,
        )
    ]


@pytest.mark.e2e
def test_a_second_collection_after_sync_gets_the_empty_filter_and_rebuilds_the_same(
    tmp_path: Path,
    sync_server: SyncAccount,  # noqa: F811
    lesson4_text: str,
) -> None:
    desktop = fresh_collection(tmp_path, "desktop")
    phone = fresh_collection(tmp_path, "phone")
    try:
        text = variant(lesson4_text)
        do_import(desktop, text)
        assert sync_server.sync(desktop) == "upload"
        assert sync_server.sync(phone) == "download"

        did = phone.decks.id_for_name("Lessons::Critical Knowledge")
        assert did is not None and phone.decks.is_filtered(did)
        assert phone.decks.get(did)["terms"] == rf.filter_terms(CONFIG)  # type: ignore[index]
        assert phone.decks.get(did)["resched"]  # type: ignore[index]
        assert phone.decks.cids(did) == []
        assert in_lesson_decks(phone) == {1, 2, 3, 4, 5, 6, 7}
        saved = phone.get_config("savedFilters")
        assert (
            saved == desktop.get_config("savedFilters") and "Lessons: Critical knowledge" in saved
        )

        # A later import on the desktop reaches the phone by a normal sync: still not filled.
        do_import(desktop, set_flag(text, 7, "Yes - now it matters"))
        assert sync_server.sync(desktop) == "normal"
        assert sync_server.sync(phone) == "normal"
        assert phone.decks.cids(did) == []
        assert in_lesson_decks(phone) == {1, 2, 3, 4, 5, 6, 7}

        # The phone's own Rebuild button (the search lives in the deck) and the add-on's rebuild
        # on the desktop choose the same cards in the same order.
        assert phone.sched.rebuild_filtered_deck(did).count == 6
        assert rf.rebuild_critical(desktop, CONFIG) == 6
        desktop_did = rf.filter_deck_id(desktop, CONFIG)
        assert desktop_did == did
        on_phone = filter_notes(phone, did)
        assert on_phone == filter_notes(desktop, desktop_did)
        numbers = [
            card_number(phone, cid)
            for (cid,) in phone.db.all("select id from cards where did = ? order by due", did)
        ]
        assert set(numbers[:4]) == KEY_CONCEPT_CARDS and set(numbers[4:]) == {6, 7}
    finally:
        desktop.close()
        phone.close()
