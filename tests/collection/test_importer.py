"""Import into a real collection: note type, fields, tags, decks, and re-import as a sync."""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path
from typing import Any

import pytest
from anki.collection import Collection
from anki.scheduler.v3 import CardAnswer

from addon.collection import importer
from addon.collection.notetype import FIELDS, NOTETYPE_NAME, find_notetype
from addon.config import Config
from addon.lesson.errors import LessonError

from . import lesson_variants as lv

CONFIG = Config.from_dict()
# Holds suspend the cards that wait for prerequisites; tests about reviews and retiring study
# every card, so they import without holds (holds have their own tests in test_scheduling.py).
NO_HOLDS = Config.from_dict({"hold_until_mastered": False})


def do_import(
    col: Collection, *texts: tuple[str, str], config: Config = CONFIG
) -> importer.ImportResult:
    files = [(name, text.encode("utf-8")) for name, text in texts]
    return importer.import_files(col, files, config)


def notes_by_card(col: Collection) -> dict[int, int]:
    nt = find_notetype(col)
    assert nt is not None
    out: dict[int, int] = {}
    for nid in col.find_notes(f"mid:{nt['id']} -tag:lessons::retired"):
        note = col.get_note(nid)
        out[int(note["Card"])] = nid
    return out


def answer_all_good(col: Collection) -> None:
    """Study every queued card of the lessons once with the real v3 scheduler (Good)."""
    root = col.decks.id_for_name("Lessons")
    assert root is not None
    col.decks.select(root)
    for _ in range(50):
        queued = col.sched.get_queued_cards(fetch_limit=1)
        if not queued.cards:
            return
        qc = queued.cards[0]
        card = col.get_card(qc.card.id)
        card.start_timer()
        states = qc.states
        col.sched.answer_card(
            col.sched.build_answer(card=card, states=states, rating=CardAnswer.GOOD)
        )


def test_first_import_builds_notes_tags_and_decks(col: Collection, lesson4_text: str) -> None:
    result = do_import(col, ("Lesson_4.md", lesson4_text))
    assert (result.added, result.updated, result.unchanged, result.retired) == (5, 0, 0, 0)

    nt = col.models.by_name(NOTETYPE_NAME)
    assert nt is not None
    assert [f["name"] for f in nt["flds"]] == list(FIELDS)
    assert len(col.models.all_names_and_ids()) >= 1

    by_card = notes_by_card(col)
    assert sorted(by_card) == [1, 2, 3, 4, 5]
    n1 = col.get_note(by_card[1])
    assert n1["Difficulty"] == "Easy"
    assert n1["Concept"] == "Scaled Dot-Product Attention"
    assert n1["Cognitive Level"] == "Remember"
    assert n1["Source Section"] == "Core Concepts - Concept 1"
    assert n1["Critical"] == "Yes"
    assert n1["Lesson"] == "Lesson 04 - Transformers"
    assert "<table" in n1["Back"] and "softmax" in n1["Back"]
    assert "√d_k scaling" in n1["Key Terminology"]
    tags = set(n1.tags)
    assert {
        "lessons::lesson::04_transformers",
        "lessons::difficulty::easy",
        "lessons::concept::scaled_dot_product_attention",
        "lessons::bloom::remember",
        "lessons::key_concept::self_attention",
        "lessons::key_concept::positional_encoding",
        "lessons::critical",
    } <= tags

    decks = {d.name for d in col.decks.all_names_and_ids()}
    base = "Lessons::Lesson 04 - Transformers"
    assert {base, f"{base}::Easy", f"{base}::Medium", f"{base}::Hard"} <= decks
    hard_cards = col.find_cards(f'"deck:{base}::Hard"')
    assert len(hard_cards) == 1
    assert col.get_card(hard_cards[0]).note()["Card"] == "5"
    lesson_deck = col.decks.by_name(base)
    assert lesson_deck is not None
    desc = lesson_deck["desc"]
    assert "Transformer Architecture" in desc and "5 cards" in desc
    assert "Self-Attention" in desc and "LLMs (Lesson 3)" in desc


def test_note_type_is_created_once(col: Collection, lesson4_text: str, tmp_path: Path) -> None:
    do_import(col, ("Lesson_4.md", lesson4_text))
    other = lesson4_text.replace("Lessons/Lesson_4.md", "Lessons/Lesson_9.md").replace(
        "Lesson 4 - Transformers", "Lesson 9 - Diffusion"
    )
    do_import(col, ("Lesson_9.md", other))
    names = [n.name for n in col.models.all_names_and_ids()]
    assert names.count(NOTETYPE_NAME) == 1


def test_reimport_unchanged_changes_nothing(col: Collection, lesson4_text: str) -> None:
    do_import(col, ("Lesson_4.md", lesson4_text))
    before = col.db.all("select id, mod, usn, flds, tags from notes order by id")
    cards_before = col.db.all("select id, mod, did, queue from cards order by id")
    result = do_import(col, ("Lesson_4.md", lesson4_text))
    assert (result.added, result.updated, result.unchanged, result.retired) == (0, 0, 5, 0)
    assert result.summary().startswith("Nothing to change")
    assert col.db.all("select id, mod, usn, flds, tags from notes order by id") == before
    assert col.db.all("select id, mod, did, queue from cards order by id") == cards_before


def test_same_lesson_under_another_path_is_the_same_lesson(
    col: Collection, lesson4_text: str, tmp_path: Path
) -> None:
    do_import(col, ("/home/me/Lessons/Lesson_4.md", lesson4_text))
    result = do_import(col, ("/elsewhere/renamed-transformers.md", lesson4_text))
    assert (result.added, result.unchanged) == (0, 5)
    assert col.note_count() == 5


def test_reimport_keeps_every_review_on_its_question(col: Collection, lesson4_text: str) -> None:
    do_import(col, ("Lesson_4.md", lesson4_text), config=NO_HOLDS)
    answer_all_good(col)
    # Which question each review belongs to, before the edit.
    reviews_before = {
        rid: col.get_card(cid).note()["Front"]
        for rid, cid in col.db.all("select id, cid from revlog")
    }
    assert len(reviews_before) >= 5
    fronts_before = {
        int(col.get_note(n)["Card"]): col.get_note(n)["Front"] for n in notes_by_card(col).values()
    }
    sched_before = {
        col.get_card(cid).note()["Front"]: (c_ivl, c_due, c_type)
        for cid, c_ivl, c_due, c_type in col.db.all("select id, ivl, due, type from cards")
    }

    # A person edits the file: a new card 2 (old 2-5 become 3-6), card 3's answer changes
    # (old card 3, now 4), old card 4 (now 5) is removed, and a card is appended.
    edited = lv.renumber_from(lesson4_text, 2)
    edited = lv.insert_card_before(
        edited,
        3,
        lv.new_card(
            2,
            "Easy",
            "What does layer normalization normalize over?",
            "The feature dimension of each token.",
        ),
    )
    edited = lv.replace_in_card(
        edited, 4, "**Recommendation: ALiBi**", "**Recommendation: ALiBi (revised)**"
    )
    edited = lv.remove_card(edited, 5)
    edited = lv.append_card(
        edited,
        lv.new_card(
            7, "Hard", "Why do residual connections help deep transformers train?", "Gradient flow."
        ),
    )
    result = do_import(col, ("Lesson_4.md", edited), config=NO_HOLDS)
    assert result.added == 2
    assert result.retired == 1
    assert result.updated >= 1  # the changed answer (plus renumbered cards)
    assert not result.conflicts

    # Every review is still there, on a note with the same question as before.
    reviews_after = {
        rid: col.get_card(cid).note()["Front"]
        for rid, cid in col.db.all("select id, cid from revlog")
    }
    assert reviews_after == reviews_before
    # Every card kept its schedule, the changed and the renumbered ones too.
    sched_after = {
        col.get_card(cid).note()["Front"]: (c_ivl, c_due, c_type)
        for cid, c_ivl, c_due, c_type in col.db.all("select id, ivl, due, type from cards")
    }
    for front, sched in sched_before.items():
        assert sched_after[front] == sched, front[:60]
    new_numbers = notes_by_card(col)
    assert col.get_note(new_numbers[3])["Front"] == fronts_before[2]
    assert col.get_note(new_numbers[4])["Front"] == fronts_before[3]
    assert "ALiBi (revised)" in col.get_note(new_numbers[4])["Back"]
    assert col.get_note(new_numbers[6])["Front"] == fronts_before[5]

    # The removed card (old 4) is retired: suspended and tagged, not deleted.
    retired = col.find_notes('"tag:lessons::retired"')
    assert len(retired) == 1
    retired_note = col.get_note(retired[0])
    assert retired_note["Front"] == fronts_before[4]
    assert all(c.queue == -1 for c in retired_note.cards())
    assert col.note_count() == 7


def test_retired_card_comes_back(col: Collection, lesson4_text: str) -> None:
    do_import(col, ("Lesson_4.md", lesson4_text), config=NO_HOLDS)
    do_import(col, ("Lesson_4.md", lv.remove_card(lesson4_text, 4)), config=NO_HOLDS)
    assert len(col.find_notes('"tag:lessons::retired"')) == 1
    result = do_import(col, ("Lesson_4.md", lesson4_text), config=NO_HOLDS)
    assert result.updated == 1 and result.added == 0
    assert col.find_notes('"tag:lessons::retired"') == []
    assert col.find_cards("is:suspended") == []


def test_delete_retired_is_explicit_and_counts(col: Collection, lesson4_text: str) -> None:
    do_import(col, ("Lesson_4.md", lesson4_text), config=NO_HOLDS)
    answer_all_good(col)
    do_import(col, ("Lesson_4.md", lv.remove_card(lesson4_text, 5)), config=NO_HOLDS)
    assert col.note_count() == 5
    notes, reviews = importer.retired_counts(col, CONFIG)
    assert notes == 1 and reviews >= 1
    out = importer.delete_retired(col, CONFIG)
    assert out.count == 1
    assert col.note_count() == 4


def test_user_edit_is_kept_and_reported(col: Collection, lesson4_text: str) -> None:
    do_import(col, ("Lesson_4.md", lesson4_text))
    nid = notes_by_card(col)[2]
    note = col.get_note(nid)
    note["Back"] = note["Back"] + "<p>My own mnemonic</p>"
    col.update_note(note)

    # File unchanged: the edit stays, nothing to report.
    result = do_import(col, ("Lesson_4.md", lesson4_text))
    assert result.conflicts == [] and result.updated == 0
    assert "My own mnemonic" in col.get_note(nid)["Back"]

    # File changed too: conflict, edit kept.
    edited = lv.replace_in_card(lesson4_text, 2, "h = 8 to 32 heads", "h = 8 to 64 heads")
    result = do_import(col, ("Lesson_4.md", edited))
    assert len(result.conflicts) == 1 and "card 2" in result.conflicts[0]
    assert "My own mnemonic" in col.get_note(nid)["Back"]

    # on_conflict = overwrite: the file wins.
    result = do_import(
        col, ("Lesson_4.md", edited), config=Config.from_dict({"on_conflict": "overwrite"})
    )
    assert result.updated == 1 and not result.conflicts
    back = col.get_note(nid)["Back"]
    assert "My own mnemonic" not in back and "8 to 64 heads" in back


def test_user_tags_survive_reimport(col: Collection, lesson4_text: str) -> None:
    do_import(col, ("Lesson_4.md", lesson4_text))
    nid = notes_by_card(col)[1]
    col.tags.bulk_add([nid], "my_exam_topic")
    edited = lv.replace_in_card(lesson4_text, 1, "Each output position", "Every output position")
    result = do_import(col, ("Lesson_4.md", edited))
    assert result.updated == 1
    note = col.get_note(nid)
    assert "my_exam_topic" in note.tags and "lessons::critical" in note.tags


def test_one_undo_step(col: Collection, lesson4_text: str) -> None:
    do_import(col, ("Lesson_4.md", lesson4_text))
    assert col.undo_status().undo == importer.UNDO_NAME
    col.undo()
    assert col.note_count() == 0


def test_refused_file_changes_nothing(col: Collection, lesson4_text: str) -> None:
    do_import(col, ("Lesson_4.md", lesson4_text))
    before = col.db.all("select id, mod from notes order by id")
    edited = lv.replace_in_card(lesson4_text, 1, "Each output position", "Every output position")
    bad = "# Flashcard Set: Lesson 7 - Broken\n\n### Card 1 | Easy\n**FRONT:**\nQ\n\n### Card 1 | Hard\n**FRONT:**\nQ2\n**BACK:**\nA2\n"
    with pytest.raises(LessonError) as err:
        do_import(col, ("Lesson_4.md", edited), ("Lesson_7.md", bad))
    assert str(err.value).startswith("Lesson_7.md:")
    assert col.db.all("select id, mod from notes order by id") == before


def _collection_state(col: Collection) -> tuple[object, ...]:
    return (
        col.db.all("select id, guid, mod, flds, tags from notes order by id"),
        col.db.all("select id, nid, did, queue, due from cards order by id"),
        sorted((d.name, d.id) for d in col.decks.all_names_and_ids()),
        sorted((c["name"], c["id"]) for c in col.decks.all_config()),
        col.undo_status().undo,
    )


def _fail_after_adding(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make the next import fail after its decks were created and its notes added."""

    def fail(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("the disk is full")

    monkeypatch.setattr(importer, "_schedule", fail)


def test_failure_midway_changes_nothing(
    col: Collection, lesson4_text: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An error after decks were created and notes added (all in one database transaction)
    leaves the collection as it was, on disk too, and the next import works."""
    do_import(col, ("Lesson_4.md", lesson4_text))
    before = _collection_state(col)
    edited = lv.replace_in_card(lesson4_text, 1, "Each output position", "Every output position")
    other = lesson4_text.replace("Lesson 4", "Lesson 9").replace("Lesson_4.md", "Lesson_9.md")
    _fail_after_adding(monkeypatch)
    with pytest.raises(RuntimeError, match="disk is full"):
        do_import(col, ("Lesson_4.md", edited), ("Lesson_9.md", other))
    assert _collection_state(col) == before
    assert col.undo_status().redo == ""  # no "Redo Import Lessons" of the failed import
    path = col.path
    col.close()
    col.reopen()
    assert col.path == path
    assert _collection_state(col)[:4] == before[:4]  # (undo does not survive a reopen)
    monkeypatch.undo()
    result = do_import(col, ("Lesson_4.md", edited), ("Lesson_9.md", other))
    assert (result.added, result.updated, col.note_count()) == (5, 1, 10)
    assert col.undo_status().undo == importer.UNDO_NAME


def test_failed_first_import_leaves_nothing_to_undo_or_redo(
    col: Collection, lesson4_text: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = _collection_state(col)
    _fail_after_adding(monkeypatch)
    with pytest.raises(RuntimeError):
        do_import(col, ("Lesson_4.md", lesson4_text))
    assert _collection_state(col) == before
    assert (col.undo_status().undo, col.undo_status().redo) == ("", "")


def test_two_files_of_one_lesson_are_refused(col: Collection, lesson4_text: str) -> None:
    with pytest.raises(LessonError) as err:
        do_import(col, ("a/Lesson_4.md", lesson4_text), ("b/Lesson_4.md", lesson4_text))
    assert "same lesson" in str(err.value)
    assert col.note_count() == 0


@pytest.mark.parametrize("slow_statistics", [False, True])
def test_a_copy_of_an_imported_file_is_refused_too(
    col: Collection,
    lesson4_text: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    slow_statistics: bool,
) -> None:
    """The copy has the content of the last import, so the cache would skip it: it is parsed
    and refused, whichever of the two comes first, and whether the files are decided on as they
    come or after all of them (when the notes' statistics are read slower than the files)."""
    if slow_statistics:
        real = importer._lesson_stats

        def slow(*args: Any, **kwargs: Any) -> Any:
            time.sleep(0.3)
            return real(*args, **kwargs)

        monkeypatch.setattr(importer, "_lesson_stats", slow)
    cache = tmp_path / "cache.json"
    first, copy = tmp_path / "a" / "Lesson_4.md", tmp_path / "b" / "Lesson_4.md"
    for path in (first, copy):
        path.parent.mkdir()
        _write(path, lesson4_text, age_s=60)
    importer.import_files(col, importer.iter_lesson_files([first]), CONFIG, cache_path=cache)
    before = _collection_state(col)
    for order in ([first, copy], [copy, first]):
        with pytest.raises(LessonError) as err:
            importer.import_files(col, importer.iter_lesson_files(order), CONFIG, cache_path=cache)
        assert "same lesson" in str(err.value)
        assert str(first) in str(err.value) and str(copy) in str(err.value)
        assert _collection_state(col) == before


def _into_the_next_second() -> None:
    """Wait until the clock's second changes. The cache's shortcut compares the notes'
    modification times, in seconds: an edit made by a program within the second of the import
    could go unseen (a person's edit cannot be that quick)."""
    time.sleep(max(0.0, 1.05 - (time.time() % 1.0)))


def test_unchanged_fast_path_uses_the_cache(
    col: Collection, lesson4_text: str, tmp_path: Path
) -> None:
    cache = tmp_path / "cache.json"
    files = [("Lesson_4.md", lesson4_text.encode())]
    importer.import_files(col, files, CONFIG, cache_path=cache)
    plan = importer.plan_files(col, files, CONFIG, cache_path=cache)
    assert plan.lessons[0].lesson is None  # not even parsed
    assert plan.count("unchanged") == 5
    # A note edited in Anki invalidates the shortcut: the full comparison runs again.
    _into_the_next_second()
    nid = notes_by_card(col)[1]
    note = col.get_note(nid)
    note["Back"] += "<p>mine</p>"
    col.update_note(note)
    plan = importer.plan_files(col, files, CONFIG, cache_path=cache)
    assert plan.lessons[0].lesson is not None
    assert plan.count("unchanged") == 5


def test_a_file_written_with_changes_is_skipped_next_time(
    col: Collection, lesson4_text: str, tmp_path: Path
) -> None:
    """After an import that updated, added and retired notes of a lesson, the cache knows the
    lesson as it now is: importing the same file again does not even parse it."""
    cache = tmp_path / "cache.json"
    importer.import_files(col, [("Lesson_4.md", lesson4_text.encode())], CONFIG, cache_path=cache)
    edited = lv.replace_in_card(lesson4_text, 1, "Each output position", "Every output position")
    edited = lv.append_card(
        lv.remove_card(edited, 3),
        lv.new_card(
            6, "Easy", "What does layer normalization normalize?", "Each token's features."
        ),
    )
    files = [("Lesson_4.md", edited.encode())]
    result = importer.import_files(col, files, CONFIG, cache_path=cache)
    assert (result.updated, result.added, result.retired) == (1, 1, 1)
    plan = importer.plan_files(col, files, CONFIG, cache_path=cache)
    assert plan.lessons[0].lesson is None  # not even parsed
    assert (plan.count("unchanged"), plan.has_changes) == (5, False)
    # Touching one of the lesson's notes (here the retired one) still makes it be planned again.
    _into_the_next_second()
    retired = col.find_notes("tag:lessons::retired")
    assert len(retired) == 1
    col.tags.bulk_add(retired, "mine")
    plan = importer.plan_files(col, files, CONFIG, cache_path=cache)
    assert plan.lessons[0].lesson is not None
    assert (plan.count("unchanged"), plan.has_changes) == (5, False)


def _write(path: Path, text: str, age_s: float) -> None:
    path.write_text(text, encoding="utf-8")
    when = time.time() - age_s
    os.utime(path, (when, when))


def test_files_known_unchanged_are_not_read(
    col: Collection, lesson4_text: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Through the command line's path (LessonFile): a file whose size and times are those of
    its last import is not read again; a changed file is."""
    monkeypatch.setattr(importer, "_RACY_NS", 0)  # (the file's ctime is now, not a minute ago)
    cache = tmp_path / "cache.json"
    path = tmp_path / "Lesson_4.md"
    _write(path, lesson4_text, age_s=60)
    first = importer.import_files(col, importer.iter_lesson_files([path]), CONFIG, cache_path=cache)
    assert first.added == 5
    reads: list[str] = []
    real_read = importer.LessonFile.read

    def counted(self: importer.LessonFile) -> bytes:
        reads.append(self.name)
        return real_read(self)

    monkeypatch.setattr(importer.LessonFile, "read", counted)
    again = importer.import_files(col, importer.iter_lesson_files([path]), CONFIG, cache_path=cache)
    assert (again.unchanged, again.updated, reads) == (5, 0, [])
    # The file did not change but one of its notes was deleted in Anki: read, planned, re-added.
    col.remove_notes([notes_by_card(col)[3]])
    back = importer.import_files(col, importer.iter_lesson_files([path]), CONFIG, cache_path=cache)
    assert (back.added, back.unchanged, reads) == (1, 4, [str(path)])
    _write(
        path,
        lv.replace_in_card(lesson4_text, 1, "Each output position", "Every output position"),
        age_s=0,
    )
    changed = importer.import_files(
        col, importer.iter_lesson_files([path]), CONFIG, cache_path=cache
    )
    assert (changed.updated, reads) == (1, [str(path)] * 2)


def test_a_copy_keeping_size_and_time_is_read(
    col: Collection, lesson4_text: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """cp -p, rsync -t or unzip bring an edit with the old size and modification time: the
    inode change time still differs, so the file is read."""
    monkeypatch.setattr(importer, "_RACY_NS", 0)
    cache = tmp_path / "cache.json"
    path = tmp_path / "Lesson_4.md"
    _write(path, lesson4_text, age_s=3600)
    importer.import_files(col, importer.iter_lesson_files([path]), CONFIG, cache_path=cache)
    edited = lesson4_text.replace("Each output position", "Every output positio")
    assert len(edited.encode()) == len(lesson4_text.encode())
    other = tmp_path / "incoming" / "Lesson_4.md"
    other.parent.mkdir()
    other.write_text(edited, encoding="utf-8")
    stamp = os.stat(path).st_mtime_ns
    os.utime(other, ns=(stamp, stamp))
    shutil.copy2(other, path)
    assert (os.stat(path).st_size, os.stat(path).st_mtime_ns) == (len(edited.encode()), stamp)
    result = importer.import_files(
        col, importer.iter_lesson_files([path]), CONFIG, cache_path=cache
    )
    assert result.updated == 1


def test_a_damaged_cache_costs_speed_not_the_import(
    col: Collection, lesson4_text: str, tmp_path: Path
) -> None:
    cache = tmp_path / "cache.json"
    path = tmp_path / "Lesson_4.md"
    _write(path, lesson4_text, age_s=3600)
    importer.import_files(col, importer.iter_lesson_files([path]), CONFIG, cache_path=cache)
    data = json.loads(cache.read_text())
    for record in data["paths"].values():
        record["seen"] = "yesterday"
        record["stat"] = [1, 2, None]
    for record in data["files"].values():
        record["count"] = None
    data["paths"]["/elsewhere"] = [1, 2, [3], None]
    cache.write_text(json.dumps(data))
    again = importer.import_files(col, importer.iter_lesson_files([path]), CONFIG, cache_path=cache)
    assert (again.unchanged, again.updated, again.added) == (5, 0, 0)
    cache.write_text(json.dumps({"v": data["v"], "files": [], "paths": "x"}))
    again = importer.import_files(col, importer.iter_lesson_files([path]), CONFIG, cache_path=cache)
    assert (again.unchanged, again.updated, again.added) == (5, 0, 0)


def test_same_size_and_time_right_after_an_import_is_read_again(
    col: Collection, lesson4_text: str, tmp_path: Path
) -> None:
    """A file rewritten with the same size and time (a coarse clock) soon after its import is
    still seen to change: times that recent do not stand for the content."""
    cache = tmp_path / "cache.json"
    path = tmp_path / "Lesson_4.md"
    _write(path, lesson4_text, age_s=0)
    stamp = os.stat(path).st_mtime_ns
    importer.import_files(col, importer.iter_lesson_files([path]), CONFIG, cache_path=cache)
    edited = lesson4_text.replace("Each output position", "Every output positio")
    assert len(edited.encode()) == len(lesson4_text.encode())
    path.write_text(edited, encoding="utf-8")
    os.utime(path, ns=(stamp, stamp))
    result = importer.import_files(
        col, importer.iter_lesson_files([path]), CONFIG, cache_path=cache
    )
    assert result.updated == 1


def test_deck_names_as_anki_stores_them(col: Collection, lesson4_text: str) -> None:
    """A deck root with spaces around '::' and a title in decomposed Unicode: Anki stores the
    names normalized; re-importing finds those decks instead of creating "name+" copies."""
    config = Config.from_dict({"deck_root": "Study :: Lessons "})
    text = lesson4_text.replace("Transformers", "Transforme\u0301rs", 1)
    do_import(col, ("Lesson_4.md", text), config=config)
    names = sorted(d.name for d in col.decks.all_names_and_ids())
    do_import(col, ("Lesson_4.md", text + "\n"), config=config)  # changed bytes: planned again
    assert sorted(d.name for d in col.decks.all_names_and_ids()) == names
    assert "Study::Lessons::Lesson 04 - Transform\u00e9rs::Easy" in names
    assert not any(n.endswith("+") for n in names)


def test_state_hashes_do_not_change() -> None:
    """Every imported note keeps these hashes in its import state: if they changed, the next
    import would no longer recognise notes as unchanged. (Digests the earlier, part-by-part
    implementation gave.)"""
    assert (
        importer._h("1", "What is attention?", 3, True, "Lessons::Lesson 04 - Transformers::Easy")
        == "e4e5b870c1e9b851"
    )
    # Anki stores NFC text: the hash of the fields is that of their NFC form.
    assert importer._fields_hash(["<p>Cafe\u0301 ─ │</p>", "Easy", "", "4"]) == "107b660c59569149"
    assert importer._digest("What is attention?") == importer._h("What is attention?")
    assert importer._h("What is attention?") == "cf72fb194d6c4f7c"


def test_import_state_wrapped_by_an_editor_is_still_read(
    col: Collection, lesson4_text: str
) -> None:
    """An editor may wrap the hidden import state in markup: the note is still the card's."""
    do_import(col, ("Lesson_4.md", lesson4_text))
    nid = notes_by_card(col)[2]
    note = col.get_note(nid)
    state_field = FIELDS[importer.ID_FIELD]
    state = note[state_field]
    assert importer.NoteState.decode(state) is not None
    note[state_field] = f"<div>{state}&nbsp;</div><br>"
    col.update_note(note)
    again = do_import(col, ("Lesson_4.md", lesson4_text))
    assert (again.added, again.unchanged, col.note_count()) == (0, 5, 5)


@pytest.mark.parametrize("normalize", [True, False])
def test_decomposed_text_is_not_taken_for_an_edit(
    col: Collection, lesson4_text: str, normalize: bool
) -> None:
    """A decomposed "é" (e + U+0301) in the file: Anki stores it composed (NFC), or as written
    when its text normalisation is off. Either way the note is known as unedited, so the same
    file changes nothing and a changed file updates it."""
    from anki.collection import Config as AnkiConfig

    col.set_config_bool(AnkiConfig.Bool.NORMALIZE_NOTE_TEXT, normalize)
    text = lv.replace_in_card(
        lesson4_text, 1, "Each output position", "Each outpute\u0301 position"
    )
    do_import(col, ("Lesson_4.md", text))
    nid = notes_by_card(col)[1]
    stored = col.get_note(nid)["Front"] + col.get_note(nid)["Back"]
    assert ("\u00e9" in stored, "e\u0301" in stored) == (normalize, not normalize)
    again = do_import(col, ("Lesson_4.md", text))
    assert (again.unchanged, again.updated, again.conflicts) == (5, 0, [])
    changed = lv.replace_in_card(text, 1, "Each outpute\u0301", "Every outpute\u0301")
    result = do_import(col, ("Lesson_4.md", changed))
    assert (result.updated, result.conflicts) == (1, [])


@pytest.mark.parametrize("total", [0, 1, 200, 401, 1000, 1401, 2500, 10_000, 10_001])
def test_note_batches_cover_every_note_once(total: int) -> None:
    """The adds are split into batches of at most ADD_CHUNK notes; a large import starts and ends
    with a small one (Anki starts sooner and ends soon after the last note is rendered)."""
    sizes = list(importer._batch_sizes(total))
    assert sum(sizes) == total and all(0 < n <= importer.ADD_CHUNK for n in sizes)
    if total >= 10_000:
        assert sizes[0] == importer.FIRST_CHUNK and sizes[-1] == importer.LAST_CHUNK
