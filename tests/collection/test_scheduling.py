"""Scheduling from the lesson file, driven through the real v3 scheduler (ANKI_TEST_MODE=1: no fuzz).

tests/conftest.py sets ANKI_TEST_MODE=1 before anki is imported; rslib reads it when it fuzzes.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from anki.collection import Collection
from anki.consts import CARD_TYPE_REV, QUEUE_TYPE_SUSPENDED

from addon.collection import importer, scheduling
from addon.config import Config
from addon.lesson.model import Card as LessonCard
from addon.lesson.model import Lesson
from addon.lesson.parse import parse_text
from tests.support import syncserver
from tests.support.syncserver import SyncAccount, fresh_collection

from . import lesson_variants as lv

if TYPE_CHECKING:
    from anki.cards import Card  # (imported alone, before anki.collection, it is circular)

sync_server = syncserver.sync_server

NO_HOLDS = Config.from_dict({"hold_until_mastered": False})
CONFIG = Config.from_dict()
LESSON = "Lessons::Lesson 04 - Transformers"
# card number in Lesson_4 -> (initial interval, multiplier)
SCHEDULE = {1: (1, 2.5), 3: (3, 2.0), 5: (7, 1.5)}


def test_fuzz_is_off() -> None:
    assert os.environ.get("ANKI_TEST_MODE") == "1"


def do_import(col: Collection, text: str, config: Config = CONFIG) -> importer.ImportResult:
    return importer.import_files(col, [("Lesson_4.md", text.encode("utf-8"))], config)


def card_of(col: Collection, number: int) -> Card:
    # ("card:" in a search means the card template, so compare the field here)
    found = col.find_notes(f'"deck:{LESSON}*" -tag:lessons::retired')
    nids = [nid for nid in found if col.get_note(nid)["Card"] == str(number)]
    assert len(nids) == 1, nids
    return col.get_note(nids[0]).cards()[0]


def graduate(col: Collection, card: Card) -> Card:
    """Answer Good through the learning steps, as the reviewer would (real v3 scheduler)."""
    for _ in range(10):
        if card.type == CARD_TYPE_REV:
            return card
        card.start_timer()
        col.sched.answerCard(card, 3)
    raise AssertionError(f"card {card.id} did not graduate")


def review_on_time_good(col: Collection, card: Card) -> Card:
    """Make the review due today, exactly on time (as Anki's own tests do), and answer Good."""
    card.due = col.sched.today
    col.update_card(card)
    card.start_timer()
    col.sched.answerCard(card, 3)
    return card


def master(col: Collection, card: Card, days: int) -> None:
    """Bring a card to an interval of ``days`` (graduating it first when new)."""
    if card.type != CARD_TYPE_REV:
        graduate(col, card)
    col.sched.set_due_date([card.id], f"{days}!")
    card.load()
    assert card.ivl == days


def preset_of(col: Collection, deck_name: str) -> dict[str, Any]:
    did = col.decks.id_for_name(deck_name)
    assert did is not None
    return col.decks.config_dict_for_deck_id(did)


def check_schedule(col: Collection) -> None:
    for number, (initial, mult) in SCHEDULE.items():
        card = graduate(col, card_of(col, number))
        assert card.ivl == initial, f"card {number} graduated at {card.ivl} days, not {initial}"
        assert card.factor == int(mult * 1000)
        card = review_on_time_good(col, card)
        assert abs(card.ivl - initial * mult) <= 1, (number, card.ivl, initial * mult)


# ---------------------------------------------------------------------------
# Presets and intervals


def test_new_cards_graduate_at_initial_interval_then_grow_by_multiplier(
    col: Collection, lesson4_text: str
) -> None:
    result = do_import(col, lesson4_text, NO_HOLDS)
    assert not [m for m in result.messages if "FSRS" in m]
    easy, medium, hard = (preset_of(col, f"{LESSON}::{d}") for d in ("Easy", "Medium", "Hard"))
    assert easy["name"] == "Lesson Flashcards · 1d × 2.5"
    assert medium["name"] == "Lesson Flashcards · 3d × 2.0"
    assert hard["name"] == "Lesson Flashcards · 7d × 1.5"
    assert [
        (p["new"]["ints"][:2], p["new"]["initialFactor"], p["rev"]["ivlFct"])
        for p in (easy, medium, hard)
    ] == [
        ([1, 3], 2500, 1.0),
        ([3, 6], 2000, 1.0),
        ([7, 11], 1500, 1.0),
    ]
    check_schedule(col)
    # the exact values the scheduler gave (no fuzz): 1 -> 3, 3 -> 6, 7 -> 11 (10.5 rounded)
    assert [card_of(col, n).ivl for n in SCHEDULE] == [3, 6, 11]


def test_presets_are_shared_across_lessons_and_reimport_changes_nothing(
    col: Collection, lesson4_text: str
) -> None:
    do_import(col, lesson4_text, NO_HOLDS)
    other = lesson4_text.replace("Lesson 4 - Transformers", "Lesson 9 - Other").replace(
        "Lessons/Lesson_4.md", "Lessons/Lesson_9.md"
    )
    importer.import_files(col, [("Lesson_9.md", other.encode())], NO_HOLDS)
    names = sorted(c["name"] for c in col.decks.all_config())
    assert names == sorted(
        [
            "Default",
            "Lesson Flashcards · 1d × 2.5",
            "Lesson Flashcards · 3d × 2.0",
            "Lesson Flashcards · 7d × 1.5",
            "Lesson Flashcards · lesson order",
        ]
    )
    assert (
        preset_of(col, "Lessons::Lesson 09 - Other::Hard")["id"]
        == preset_of(col, f"{LESSON}::Hard")["id"]
    )
    before = {c["id"]: c["mod"] for c in col.decks.all_config()}
    decks_before = {d.id: deck_dict(col, d.id)["mod"] for d in col.decks.all_names_and_ids()}
    do_import(col, lesson4_text, NO_HOLDS)
    assert {c["id"]: c["mod"] for c in col.decks.all_config()} == before
    assert {
        d.id: deck_dict(col, d.id)["mod"] for d in col.decks.all_names_and_ids()
    } == decks_before


def test_changed_schedule_updates_the_preset_but_never_resets_studied_cards(
    col: Collection, lesson4_text: str
) -> None:
    do_import(col, lesson4_text, NO_HOLDS)
    card1 = graduate(col, card_of(col, 1))
    card2 = card_of(col, 2)
    card2.start_timer()
    col.sched.answerCard(card2, 3)  # learning
    state = [(c.type, c.queue, c.due, c.ivl, c.factor) for c in (card1, card2)]
    changed = lesson4_text.replace(
        "| 1 (Easy) | 1 day | 2.5x |", "| 1 (Easy) | 2 days | 2.5x |"
    ).replace("| 2 (Easy) | 1 day | 2.5x |", "| 2 (Easy) | 2 days | 2.5x |")
    assert changed != lesson4_text
    do_import(col, changed, NO_HOLDS)
    assert preset_of(col, f"{LESSON}::Easy")["name"] == "Lesson Flashcards · 2d × 2.5"
    assert preset_of(col, f"{LESSON}::Easy")["new"]["ints"][0] == 2
    for c in (card1, card2):
        c.load()
    assert [(c.type, c.queue, c.due, c.ivl, c.factor) for c in (card1, card2)] == state


def test_multiplier_outside_anki_range_is_clamped_with_a_message(col: Collection) -> None:
    decks = [col.decks.id(f"T::{d}") for d in ("Low", "High")]
    msgs = scheduling.configure_decks(
        col,
        CONFIG,
        [
            scheduling.DeckSchedule(decks[0], "hard", 7, 1.3),
            scheduling.DeckSchedule(decks[1], "easy", 1, 6.0),
        ],
    )
    assert preset_of(col, "T::Low")["new"]["initialFactor"] == 1310
    assert preset_of(col, "T::High")["new"]["initialFactor"] == 5000
    assert any("1.3×" in m and "1.31×" in m for m in msgs), msgs
    assert any("6.0×" in m and "5.0×" in m for m in msgs), msgs


def test_import_is_one_undo_step_including_presets(col: Collection, lesson4_text: str) -> None:
    do_import(col, lesson4_text)
    assert col.undo_status().undo == importer.UNDO_NAME
    col.undo()
    assert [c["name"] for c in col.decks.all_config()] == ["Default"]
    assert col.card_count() == 0


# ---------------------------------------------------------------------------
# The phone: everything through the sync server


@pytest.mark.e2e
def test_same_schedule_on_a_phone_that_only_synced(
    tmp_path: Path, sync_server: SyncAccount, lesson4_text: str
) -> None:
    desktop = fresh_collection(tmp_path, "desktop")
    phone = fresh_collection(tmp_path, "phone")
    try:
        do_import(desktop, lesson4_text, NO_HOLDS)
        assert sync_server.sync(desktop) == "upload"
        assert sync_server.sync(phone) == "download"
        assert preset_of(phone, f"{LESSON}::Hard")["name"] == "Lesson Flashcards · 7d × 1.5"
        check_schedule(phone)
        assert [card_of(phone, n).ivl for n in SCHEDULE] == [3, 6, 11]
        # and the reviews come back to the desktop
        assert sync_server.sync(phone) == "normal"
        assert sync_server.sync(desktop) == "normal"
        assert [card_of(desktop, n).ivl for n in SCHEDULE] == [3, 6, 11]
    finally:
        desktop.close()
        phone.close()


# ---------------------------------------------------------------------------
# New-card order


def queued_numbers(col: Collection, deck: str, n: int = 10) -> list[int]:
    did = col.decks.id_for_name(deck)
    assert did is not None
    col.decks.select(did)
    queued = col.sched.get_queued_cards(fetch_limit=n)
    return [int(col.get_card(q.card.id).note()["Card"]) for q in queued.cards]


def test_new_cards_come_easy_medium_hard_from_lesson_and_root_decks(
    col: Collection, lesson4_text: str
) -> None:
    # Anki gathers new cards deck by deck, alphabetically (Easy, Hard, Medium) on the Default preset.
    text = lesson4_text
    for n, diff in ((1, "Hard"), (5, "Easy")):  # shuffle difficulties so position != card number
        text = text.replace(
            f"### Card {n} | {'Easy' if n == 1 else 'Hard'}", f"### Card {n} | {diff}"
        )
        text = text.replace(f"| {n} ({'Easy' if n == 1 else 'Hard'}) |", f"| {n} ({diff}) |")
    do_import(col, text, NO_HOLDS)
    assert queued_numbers(col, LESSON) == [2, 5, 3, 4, 1]
    assert queued_numbers(col, "Lessons") == [2, 5, 3, 4, 1]
    assert queued_numbers(col, f"{LESSON}::Medium") == [3, 4]
    assert preset_of(col, LESSON)["name"] == "Lesson Flashcards · lesson order"
    assert preset_of(col, "Default")["name"] == "Default"


def test_order_new_cards_leaves_learning_and_review_cards_alone(
    col: Collection, lesson4_text: str
) -> None:
    do_import(col, lesson4_text, NO_HOLDS)
    cards = [card_of(col, n) for n in range(1, 6)]
    graduate(col, cards[0])
    cards[1].start_timer()
    col.sched.answerCard(cards[1], 3)  # learning
    before = [(c.type, c.queue, c.due) for c in cards[:2]]
    scheduling.order_new_cards(col, [c.id for c in reversed(cards)])
    for c in cards:
        c.load()
    assert [(c.type, c.queue, c.due) for c in cards[:2]] == before
    assert cards[4].due < cards[3].due < cards[2].due


def test_user_preset_on_lesson_deck_is_respected(col: Collection, lesson4_text: str) -> None:
    do_import(col, lesson4_text, NO_HOLDS)
    mine = col.decks.add_config_returning_id("Mine")
    lesson = col.decks.by_name(LESSON)
    assert lesson is not None
    lesson["conf"] = mine
    col.decks.save(lesson)
    do_import(col, lesson4_text.replace("Review with Card 1", "Review with Card 1 again"), NO_HOLDS)
    assert preset_of(col, LESSON)["name"] == "Mine"


# ---------------------------------------------------------------------------
# The user's own settings


def user_settings(col: Collection) -> dict[str, Any]:
    easy = col.decks.by_name(f"{LESSON}::Easy")
    assert easy is not None
    return {
        "presets": {
            c["id"]: c
            for c in col.decks.all_config()
            if not c["name"].startswith("Lesson Flashcards")
        },
        "js": col.get_config("cardStateCustomizer", None),
        "fsrs": col.get_config("fsrs", None),
        "ignore_review_limit": col.get_config("newCardsIgnoreReviewLimit", None),
        "apply_all_parent_limits": col.get_config("applyAllParentLimits", None),
        "limits": {
            k: easy.get(k) for k in ("newLimit", "reviewLimit", "newLimitToday", "reviewLimitToday")
        },
    }


JS = "if (states.good.normal?.review) { states.good.normal.review.scheduledDays *= 1; }"


def customise(col: Collection, fsrs: bool) -> None:
    """A user who set their own preset, limits, custom scheduling code and (maybe) FSRS."""
    col.set_config("cardStateCustomizer", JS)
    col.set_config("newCardsIgnoreReviewLimit", True)
    col.set_config("applyAllParentLimits", True)
    col.set_config("fsrs", fsrs)
    default = col.decks.get_config(1)
    assert default is not None
    default["new"]["perDay"] = 7
    default["rev"]["perDay"] = 77
    default["fsrsParams6"] = PARAMS
    default["desiredRetention"] = 0.8
    col.decks.update_config(default)
    mine = col.decks.add_config("Mine", default)
    mine["new"]["initialFactor"] = 3000
    col.decks.update_config(mine)


PARAMS = [
    0.3, 1.2, 3.1, 15.5, 7.2, 0.5, 1.5, 0.005, 1.5, 0.12, 1.0, 1.9, 0.11, 0.29, 2.3, 0.23, 2.99, 0.52, 0.66, 0.1, 0.2,
]  # fmt: skip


def set_deck_limits(col: Collection) -> None:
    easy = col.decks.by_name(f"{LESSON}::Easy")
    assert easy is not None
    easy["newLimit"] = 3
    easy["reviewLimit"] = 30
    easy["newLimitToday"] = {"limit": 1, "today": col.sched.today - 3}  # an old "today only" limit
    col.decks.save(easy)


@pytest.mark.parametrize("fsrs", [False, True], ids=["sm2", "fsrs"])
def test_users_presets_limits_code_and_fsrs_switch_untouched(
    col: Collection, lesson4_text: str, fsrs: bool
) -> None:
    customise(col, fsrs)
    do_import(col, lesson4_text, NO_HOLDS)
    set_deck_limits(col)
    col.decks.get_config(1)
    before = user_settings(col)
    changed = lesson4_text.replace(
        "| 1 (Easy) | 1 day | 2.5x |", "| 1 (Easy) | 1 day | 2.6x |"
    ).replace("| 2 (Easy) | 1 day | 2.5x |", "| 2 (Easy) | 1 day | 2.6x |")
    do_import(col, changed, NO_HOLDS)  # the Easy deck moves to a new preset
    assert preset_of(col, f"{LESSON}::Easy")["name"] == "Lesson Flashcards · 1d × 2.6"
    after = user_settings(col)
    assert after == before
    assert after["js"] == JS and after["fsrs"] is fsrs
    # a new add-on preset starts from the user's limits and FSRS parameters
    easy = preset_of(col, f"{LESSON}::Easy")
    assert easy["new"]["perDay"] == 7 and easy["rev"]["perDay"] == 77
    assert easy["fsrsParams6"] == pytest.approx(PARAMS, abs=1e-4)


def test_fsrs_collection_gets_retention_presets_and_a_message(
    col: Collection, lesson4_text: str
) -> None:
    customise(col, fsrs=True)
    result = do_import(col, lesson4_text, NO_HOLDS)
    retention = {
        d: preset_of(col, f"{LESSON}::{d}")["desiredRetention"] for d in ("Easy", "Medium", "Hard")
    }
    assert retention == pytest.approx({"Easy": 0.85, "Medium": 0.9, "Hard": 0.95}, abs=1e-4)
    for d in ("Easy", "Medium", "Hard"):
        assert preset_of(col, f"{LESSON}::{d}")["fsrsParams6"] == pytest.approx(PARAMS, abs=1e-4)
    assert col.get_config("fsrs") is True
    assert col.get_config("cardStateCustomizer") == JS
    fsrs_msgs = [m for m in result.messages if "FSRS is on" in m]
    assert len(fsrs_msgs) == 1
    assert "Easy 85%, Medium 90%, Hard 95%" in fsrs_msgs[0]
    assert (col.decks.get_config(1) or {})["desiredRetention"] == pytest.approx(0.8, abs=1e-4)
    # reviews still work under FSRS with those presets (the JS is a no-op multiplier)
    card = graduate(col, card_of(col, 1))
    assert card.memory_state is not None


# ---------------------------------------------------------------------------
# Prerequisites and holds


def lesson_with(reviews: dict[int, str]) -> Lesson:
    cards = [
        LessonCard(
            number=n,
            difficulty="easy",
            cognitive_level="",
            concept="",
            source_section="",
            front_md="",
            back_md="",
            critical=False,
            critical_note="",
            line=n,
            recommended_review=text,
        )
        for n, text in reviews.items()
    ]
    return Lesson("x.md", None, 1, "T", "", "", None, {}, {}, cards)


@pytest.mark.parametrize(
    ("text", "want"),
    [
        ("After mastering Cards 1-2", [1, 2]),
        ("After mastering Cards 1–3", [1, 2, 3]),
        ("after mastering card 3", [3]),
        ("After mastering Cards 1, 2 and 4", [1, 2, 4]),
        ("Review after all others mastered", [1, 2, 3, 4]),
        ("Review with Card 1", []),
        ("After card 1", []),
        ("Foundation - review first", []),
        ("After mastering Cards 1-2 and 99", [1, 2]),  # no card 99
    ],
)
def test_recommended_review_texts(text: str, want: list[int]) -> None:
    lesson = lesson_with({1: "", 2: "", 3: "", 4: "", 5: text})
    assert scheduling.parse_prerequisites(lesson).get(5, []) == want


def test_lesson4_prerequisites(lesson4_text: str) -> None:
    assert scheduling.parse_prerequisites(parse_text(lesson4_text, "Lesson_4.md")) == {
        3: [1, 2],
        5: [1, 2, 3, 4],
    }


def test_cards_waiting_for_each_other_are_not_held_forever() -> None:
    lesson = lesson_with(
        {1: "After mastering Card 2", 2: "After mastering Card 1", 3: "after all others mastered"}
    )
    pre = scheduling.parse_prerequisites(lesson)
    assert not (1 in pre.get(2, []) and 2 in pre.get(1, []))
    assert pre[3] == [1, 2]


def deck_dict(col: Collection, did: int) -> dict[str, Any]:
    deck = col.decks.get(did)
    assert deck is not None
    return deck


def lesson_desc(col: Collection) -> str:
    deck = col.decks.by_name(LESSON)
    assert deck is not None
    return str(deck["desc"])


def waiting_block(col: Collection) -> str:
    deck = col.decks.by_name(LESSON)
    assert deck is not None
    desc = deck["desc"]
    start = desc.find(scheduling.WAITING_BLOCK_START)
    return desc[start : desc.find(scheduling.WAITING_BLOCK_END)] if start >= 0 else ""


def state(col: Collection, number: int) -> tuple[bool, bool]:
    """(suspended, tagged waiting) as the browser shows them."""
    card = card_of(col, number)
    return card.queue == QUEUE_TYPE_SUSPENDED, "lessons::waiting" in card.note().tags


def test_holds_released_exactly_when_prerequisites_are_mastered(
    col: Collection, lesson4_text: str
) -> None:
    result = do_import(col, lesson4_text)
    assert [state(col, n) for n in range(1, 6)] == [(False, False)] * 2 + [
        (True, True),
        (False, False),
        (True, True),
    ]
    assert any("card 3 after cards 1 and 2" in m for m in result.messages), result.messages
    block = waiting_block(col)
    assert "Card 3 waits until cards 1 and 2 are mastered" in block
    assert "Card 5 waits until cards 1, 2, 3 and 4 are mastered" in block
    assert "<b>Lesson 04 - Transformers</b>" in lesson_desc(col)  # the rest is kept
    assert queued_numbers(col, LESSON) == [1, 2, 4]

    master(col, card_of(col, 1), 21)
    master(col, card_of(col, 2), 20)
    assert scheduling.release_holds(col, CONFIG) == 0
    assert state(col, 3) == (True, True)
    master(col, card_of(col, 2), 21)
    assert scheduling.release_holds(col, CONFIG) == 1
    assert state(col, 3) == (False, False) and state(col, 5) == (True, True)
    assert "Card 3" not in waiting_block(col) and "Card 5 waits" in waiting_block(col)
    assert scheduling.release_holds(col, CONFIG) == 0

    master(col, card_of(col, 3), 21)
    master(col, card_of(col, 4), 25)
    assert scheduling.release_holds(col, CONFIG) == 1
    assert state(col, 5) == (False, False)
    assert waiting_block(col) == ""
    assert scheduling.WAITING_BLOCK_START not in lesson_desc(col)
    # a re-import after that holds nothing again
    do_import(col, lesson4_text.replace("Review with Card 1", "Review with Card 1 (edited)"))
    assert [state(col, n)[0] for n in range(1, 6)] == [False] * 5


def test_user_suspension_and_retired_cards_are_never_released(
    col: Collection, lesson4_text: str
) -> None:
    do_import(col, lesson4_text)
    # the user takes card 3 out of the hold, then suspends it for their own reasons
    col.sched.unsuspend_cards([card_of(col, 3).id])
    assert scheduling.release_holds(col, CONFIG) == 0
    col.sched.suspend_cards([card_of(col, 3).id])
    # card 5 leaves the lesson file: retired (suspended by the importer)
    do_import(
        col,
        lv.remove_card(lesson4_text, 5).replace(
            "| 5 (Hard) | 7 days | 1.5x | Review after all others mastered |\n", ""
        ),
    )
    for n in (1, 2, 4):
        master(col, card_of(col, n), 30)
    assert scheduling.release_holds(col, CONFIG) == 0
    assert card_of(col, 3).queue == QUEUE_TYPE_SUSPENDED
    retired = col.find_cards('"tag:lessons::retired"')
    assert len(retired) == 1 and col.get_card(retired[0]).queue == QUEUE_TYPE_SUSPENDED
    assert not col.find_notes('"tag:lessons::waiting"')


def test_hold_until_mastered_off_releases_existing_holds(
    col: Collection, lesson4_text: str
) -> None:
    do_import(col, lesson4_text)
    assert len(col.find_notes('"tag:lessons::waiting"')) == 2
    assert scheduling.release_holds(col, NO_HOLDS) == 2
    assert [state(col, n) for n in range(1, 6)] == [(False, False)] * 5
    assert waiting_block(col) == ""


def test_release_op_is_one_undo_step(col: Collection, lesson4_text: str) -> None:
    do_import(col, lesson4_text)
    for n in (1, 2):
        master(col, card_of(col, n), 21)
    out = scheduling.release_holds_op(col, CONFIG)
    assert out.count == 1 and out.changes.card
    assert col.undo_status().undo == scheduling.RELEASE_UNDO_NAME
    col.undo()
    assert state(col, 3) == (True, True)


@pytest.mark.e2e
def test_holds_released_after_a_sync_with_reviews_made_on_the_phone(
    tmp_path: Path, sync_server: SyncAccount, lesson4_text: str
) -> None:
    desktop = fresh_collection(tmp_path, "desktop")
    phone = fresh_collection(tmp_path, "phone")
    try:
        do_import(desktop, lesson4_text)
        sync_server.sync(desktop)
        sync_server.sync(phone)
        assert state(phone, 3) == (True, True)  # the hold reached the phone
        for n in (1, 2):
            master(phone, card_of(phone, n), 21)
        sync_server.sync(phone)
        sync_server.sync(desktop)
        # what the GUI does after each sync
        assert scheduling.release_holds(desktop, CONFIG) == 1
        assert state(desktop, 3) == (False, False)
        sync_server.sync(desktop)
        sync_server.sync(phone)
        assert state(phone, 3) == (False, False) and state(phone, 5) == (True, True)
        assert "Card 5 waits" in waiting_block(phone) and "Card 3" not in waiting_block(phone)
    finally:
        desktop.close()
        phone.close()


def test_card_that_no_longer_waits_in_the_file_is_released_on_reimport(
    col: Collection, lesson4_text: str
) -> None:
    do_import(col, lesson4_text)
    assert state(col, 3) == (True, True)
    result = do_import(
        col, lesson4_text.replace("After mastering Cards 1-2", "Review with Cards 1-2")
    )
    assert state(col, 3) == (False, False) and state(col, 5) == (True, True)
    assert any("1 waiting card released" in m for m in result.messages), result.messages
    assert "Card 3" not in waiting_block(col)


def test_releasing_many_lessons_is_one_undo_step(col: Collection, lesson4_text: str) -> None:
    """40 lessons with waiting cards, holds switched off: every waiting card is released and
    every lesson deck's waiting note removed in one Edit > Undo step (Anki keeps 30 operations)."""
    files = [
        (
            f"Lesson_{n}.md",
            lesson4_text.replace("Lesson 4 - Transformers", f"Lesson {n} - Topic {n}").encode(),
        )
        for n in range(1, 41)
    ]
    files = [
        (name, data.replace(b"**Source:**", b"**Source:** x" + name.encode() + b" ", 1))
        for name, data in files
    ]
    importer.import_files(col, files, CONFIG)
    waiting = col.find_cards('"tag:lessons::waiting"')
    assert len(waiting) == 80 and all(
        col.get_card(c).queue == QUEUE_TYPE_SUSPENDED for c in waiting
    )
    out = scheduling.release_holds_op(col, NO_HOLDS)
    assert out.count == 80
    assert col.find_cards('"tag:lessons::waiting"') == [] and col.find_cards("is:suspended") == []
    assert not any("Waiting cards" in (d["desc"] or "") for d in col.decks.all())
    assert col.undo_status().undo == scheduling.RELEASE_UNDO_NAME
    col.undo()
    assert sorted(col.find_cards('"tag:lessons::waiting"')) == sorted(waiting)


def test_notes_with_a_tag_whatever_its_case(col: Collection) -> None:
    """Tags compare without case, as in Anki, also for a root that is not ASCII; "_" and "%" in
    a tag are plain characters."""
    basic = col.models.by_name("Basic")
    assert basic is not None
    nids = []
    for tags in (
        "Leçons_x::retired",
        "LEÇONS_X::RETIRED other",
        "leçonsAx::retired",
        "leçons_x::retired_not",
        "",
    ):
        note = col.new_note(basic)
        note["Front"] = tags or "none"
        note.tags = tags.split()
        col.add_note(note, col.decks.id_for_name("Default") or 1)
        nids.append(note.id)
    found = scheduling._notes_with_tag(col, nids, "leçons_x::retired")
    assert found == set(nids[:2])
    assert scheduling._notes_with_tag(col, [], "x") == set()
