"""URL sources against a real HTTP server on 127.0.0.1, imported into a real Collection."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from anki.collection import Collection

from addon.config import Config, SourceSpec
from addon.sources import collect
from addon.sources.apply import apply

from .conftest import LessonServer, lesson_text


def lesson_decks(col: Collection) -> set[str]:
    return {d.name for d in col.decks.all_names_and_ids() if d.name.count("::") == 1}


def notes_of(col: Collection, n: int) -> list[int]:
    return list(col.find_notes(f'"tag:lessons::lesson::{n:02d}_*"'))


def sync(col: Collection, specs: list[SourceSpec], state: Path, cfg: Config, force: bool = False):
    report = collect(specs, state, cfg, force=force)
    result = apply(col, report, cfg)
    return report, result


def test_single_url_fetched_then_not_modified_without_reading_a_body(
    server: LessonServer, col: Collection, tmp_path: Path, cfg: Config
) -> None:
    url = server.serve("/Lesson_4.md", lesson_text())
    report, result = sync(col, [SourceSpec(url)], tmp_path, cfg)
    assert report.ok and report.sources[0].status == "fetched"
    assert result.added == 5 and col.note_count() == 5

    server.reset_counts()
    report, result = sync(col, [SourceSpec(url)], tmp_path, cfg)
    s = report.sources[0]
    assert s.status == "unchanged" and "not modified" in s.reason
    assert server.hits["/Lesson_4.md"] == 1 and server.not_modified["/Lesson_4.md"] == 1
    assert server.bodies["/Lesson_4.md"] == 0  # a 304 reads no body
    assert result.added == result.updated == 0 and col.note_count() == 5


def test_last_modified_alone_is_enough(
    server: LessonServer, col: Collection, tmp_path: Path, cfg: Config
) -> None:
    url = server.serve(
        "/Lesson_4.md", lesson_text(), etag=False, last_modified="Wed, 21 Oct 2015 07:28:00 GMT"
    )
    sync(col, [SourceSpec(url)], tmp_path, cfg)
    server.reset_counts()
    report, _ = sync(col, [SourceSpec(url)], tmp_path, cfg)
    assert report.sources[0].status == "unchanged"
    assert server.bodies["/Lesson_4.md"] == 0 and server.not_modified["/Lesson_4.md"] == 1


@pytest.mark.parametrize("style", ["lines", "json"])
def test_index_lists_lessons_relative_and_absolute(
    server: LessonServer, col: Collection, tmp_path: Path, cfg: Config, style: str
) -> None:
    server.serve("/lessons/Lesson_4.md", lesson_text())
    abs5 = server.serve("/other/Lesson_5.md", lesson_text(5, "Diffusion"))
    entries = ["Lesson_4.md", abs5]
    body = (
        "# lesson index\n\n" + "\n".join(entries) + "\n"
        if style == "lines"
        else json.dumps(entries)
    )
    index = server.serve("/lessons/index.txt", body)
    report, result = sync(col, [SourceSpec(index)], tmp_path, cfg)
    s = report.sources[0]
    assert s.kind == "index" and s.status == "fetched", s.line()
    assert [i.status for i in s.items] == ["fetched", "fetched"]
    assert result.added == 10
    assert {"Lessons::Lesson 04 - Transformers", "Lessons::Lesson 05 - Diffusion"} <= lesson_decks(
        col
    )

    # Unchanged: index and both lessons answer 304; no body is read anywhere.
    server.reset_counts()
    report, result = sync(col, [SourceSpec(index)], tmp_path, cfg)
    assert report.sources[0].status == "unchanged"
    assert sum(server.bodies.values()) == 0
    assert sum(server.not_modified.values()) == 3
    assert result.added == result.updated == 0


def test_index_entry_changed_and_removed(
    server: LessonServer, col: Collection, tmp_path: Path, cfg: Config
) -> None:
    server.serve("/Lesson_4.md", lesson_text())
    server.serve("/Lesson_5.md", lesson_text(5, "Diffusion"))
    index = server.serve("/index.txt", "Lesson_4.md\nLesson_5.md\n")
    sync(col, [SourceSpec(index)], tmp_path, cfg)
    assert col.note_count() == 10

    # Lesson 4 edited on the server, lesson 5 dropped from the index.
    edited = lesson_text().replace("Write the complete formula", "Write out the complete formula")
    server.serve("/Lesson_4.md", edited)
    server.serve("/index.txt", "Lesson_4.md\n")
    server.reset_counts()
    report, result = sync(col, [SourceSpec(index)], tmp_path, cfg)
    items = {i.name.rsplit("/", 1)[1]: i for i in report.sources[0].items}
    assert items["Lesson_4.md"].status == "fetched"
    assert items["Lesson_5.md"].status == "removed"
    assert result.updated == 1 and result.added == 0
    assert server.hits["/Lesson_5.md"] == 0
    # the removed lesson's notes are kept as they were: not deleted, not retired
    assert len(notes_of(col, 5)) == 5
    assert not col.find_notes('"tag:lessons::retired"')


FAILURES = {
    "404": (dict(status=404), "HTTP 404"),
    "500": (dict(status=500), "HTTP 500"),
    "slow": (dict(delay=1.5), "timed out"),
    "truncated": (dict(content_length=50_000), "truncated"),
    "not utf-8": ({"body": "Caf\xe9 ### Card 1 | Easy".encode("latin-1")}, "not UTF-8"),
    "too big (declared)": ({"body": b"x" * 1_200_000}, "too big"),
    "too big (streamed)": ({"body": b"x" * 3_000_000, "send_length": False}, "too big"),
    "redirect loop": (dict(location="/bad.md"), "too many redirects"),
    "redirect to plain http": (dict(location="http://example.com/Lesson_5.md"), "refused"),
    "refused by the parser": (
        {"body": "# Flashcard Set: Lesson 5 - Empty\n\nno cards\n"},
        "no flashcards",
    ),
}


@pytest.mark.parametrize("kind", list(FAILURES))
def test_a_failing_source_is_reported_by_name_and_the_others_still_sync(
    server: LessonServer, col: Collection, tmp_path: Path, cfg: Config, kind: str
) -> None:
    route, reason = FAILURES[kind]
    good = server.serve("/Lesson_4.md", lesson_text())
    body = route.pop("body", lesson_text(5, "Diffusion")) if isinstance(route, dict) else b""
    bad = server.serve("/bad.md", body, **route)
    report, result = sync(col, [SourceSpec(bad), SourceSpec(good)], tmp_path, cfg)
    bad_src, good_src = report.sources
    assert bad_src.status == "failed" and reason in bad_src.reason, bad_src.line()
    assert bad_src.name == bad
    assert good_src.status == "fetched"
    assert not report.ok
    assert result.added == 5 and not notes_of(col, 5)


def test_down_server(col: Collection, tmp_path: Path, cfg: Config, dead_url: str) -> None:
    report, _ = sync(col, [SourceSpec(dead_url)], tmp_path, cfg)
    s = report.sources[0]
    assert s.status == "failed" and "refused" in s.reason and col.note_count() == 0


def test_failure_after_success_keeps_the_notes_and_the_state(
    server: LessonServer, col: Collection, tmp_path: Path, cfg: Config
) -> None:
    url = server.serve("/Lesson_4.md", lesson_text())
    sync(col, [SourceSpec(url)], tmp_path, cfg)
    before = {nid: col.get_note(nid).fields for nid in col.find_notes("")}

    # Broken upload: the file is cut in the middle (fewer bytes than declared).
    text = lesson_text().replace("Write the complete formula", "Write the whole formula")
    server.serve("/Lesson_4.md", text.encode()[:8000], content_length=len(text.encode()))
    report, _ = sync(col, [SourceSpec(url)], tmp_path, cfg)
    assert report.sources[0].status == "failed" and "truncated" in report.sources[0].reason
    assert {nid: col.get_note(nid).fields for nid in col.find_notes("")} == before

    # Server back with the original file: still recognised as what was imported (304).
    server.serve("/Lesson_4.md", lesson_text())
    server.reset_counts()
    report, _ = sync(col, [SourceSpec(url)], tmp_path, cfg)
    assert report.sources[0].status == "unchanged" and server.bodies["/Lesson_4.md"] == 0


def test_state_is_saved_only_after_apply(
    server: LessonServer, col: Collection, tmp_path: Path, cfg: Config
) -> None:
    url = server.serve("/Lesson_4.md", lesson_text())
    first = collect([SourceSpec(url)], tmp_path, cfg)
    assert first.sources[0].status == "fetched"
    # not applied (e.g. Anki closed, or the import failed): the next sync fetches again
    again = collect([SourceSpec(url)], tmp_path, cfg)
    assert again.sources[0].status == "fetched" and server.bodies["/Lesson_4.md"] == 2
    apply(col, again, cfg)
    assert collect([SourceSpec(url)], tmp_path, cfg).sources[0].status == "unchanged"


def test_not_modified_but_missing_from_this_collection_is_imported_from_saved_text(
    server: LessonServer, tmp_path: Path, cfg: Config
) -> None:
    """E.g. a second profile sharing the state, or a full download from AnkiWeb replaced the
    collection: the 304 answer still gets the lesson from the saved text."""
    url = server.serve("/Lesson_4.md", lesson_text())
    a = Collection(str(tmp_path / "a.anki2"))
    b = Collection(str(tmp_path / "b.anki2"))
    try:
        sync(a, [SourceSpec(url)], tmp_path / "state", cfg)
        server.reset_counts()
        report, result = sync(b, [SourceSpec(url)], tmp_path / "state", cfg)
        assert server.bodies["/Lesson_4.md"] == 0
        assert result.added == 5 and b.note_count() == 5
        assert "imported again" in report.sources[0].items[0].reason
    finally:
        a.close()
        b.close()


def test_force_reimports_from_a_304(
    server: LessonServer, col: Collection, tmp_path: Path, cfg: Config
) -> None:
    url = server.serve("/Lesson_4.md", lesson_text())
    sync(col, [SourceSpec(url)], tmp_path, cfg)
    server.reset_counts()
    report, result = sync(col, [SourceSpec(url)], tmp_path, cfg, force=True)
    assert report.sources[0].status == "fetched" and server.bodies["/Lesson_4.md"] == 0
    assert result.unchanged == 5 and result.updated == 0


def test_deck_root_per_source(
    server: LessonServer, col: Collection, tmp_path: Path, cfg: Config
) -> None:
    a = server.serve("/Lesson_4.md", lesson_text())
    b = server.serve("/Lesson_5.md", lesson_text(5, "Diffusion"))
    report, result = sync(col, [SourceSpec(a), SourceSpec(b, "Course B")], tmp_path, cfg)
    assert report.ok and result.added == 10
    names = {d.name for d in col.decks.all_names_and_ids()}
    assert "Lessons::Lesson 04 - Transformers::Easy" in names
    assert "Course B::Lesson 05 - Diffusion::Easy" in names
    # one undo step for the whole sync
    assert col.undo_status().undo == "Import Lessons"
    col.undo()
    assert col.note_count() == 0
