"""Import parsed lessons into a collection: plan first (read-only), then apply as one undo step.

Re-import is a sync, not a second copy:
- every note of ours carries its import state in the hidden "Lesson Flashcards ID" field
  (lesson key, card number, hashes of the card's source and of the fields we wrote), and a
  GUID that starts with the lesson key;
- a card is matched to its note by content first (so renumbering never moves review history
  onto another question), then by number when the text changed but the card is clearly the same;
- a note whose fields differ from what we last wrote was edited in Anki: by default it is kept
  and reported as a conflict (config ``on_conflict``);
- notes whose card is gone from the file are retired (suspended + tagged), never deleted here.

Applying runs in one database transaction: an error leaves the collection as it was.

Anki's backend lets go of the GIL while it works, so a second thread keeps it busy while this
one runs Python: planning files (``plan_files``) has it read the notes while the files are
parsed, and applying has it add each batch of notes while the next batch is rendered. The
collection is only ever used by one thread at a time.
"""

from __future__ import annotations

import difflib
import functools
import hashlib
import html
import os
import re
import sys
import threading
import time
import unicodedata
from collections import Counter, defaultdict, deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

import orjson
from anki.cards import CardId
from anki.collection import Collection, OpChangesWithCount
from anki.dbproxy import DBProxy
from anki.decks import DeckId
from anki.import_export_pb2 import ImportResponse
from anki.models import NotetypeDict
from anki.notes import Note, NoteId

from ..config import Config
from ..lesson.errors import LessonError
from ..lesson.model import Card, Lesson
from ..lesson.parse import gc_paused, parse_text, read_lesson_file, unreadable
from ..lesson.render import render_markdown
from . import naming, review_filter, scheduling
from .decks import DeckEdits, DeckIndex
from .notetype import FIELDS, ID_FIELD, ensure_notetype, find_notetype
from .plan import CardAction, ImportPlan, ImportResult, LessonPlan
from .undo import UndoStep, noop

UNDO_NAME = "Import Lessons"
CACHE_VERSION = 4  # of the sidecar cache file (2: stats without the fields' length; 4: paths)
# A file's size and modification time stand for its content only if it was last modified this
# long before the import that recorded them: a file written again within the same tick of a
# coarse clock (FAT: 2 s) keeps its time, and is then read again (as git does for "racy" files).
_RACY_NS = 3_000_000_000
STATE_TAG = "lf1"
# Bump when what the importer writes for the same source changes (fields, tags, decks).
IMPORT_LOGIC_VERSION = "1"
_TITLE_DIFFICULTY = {"easy": "Easy", "medium": "Medium", "hard": "Hard"}
_DIFF_ORDER = {"easy": 0, "medium": 1, "hard": 2}
_TAG = re.compile(r"<[^>]*>")


# ---------------------------------------------------------------------------
# Import state kept in each note


@dataclass(frozen=True)
class NoteState:
    lesson_key: str
    number: int
    front_hash: str
    back_hash: str
    src_hash: str
    fields_hash: str

    def encode(self) -> str:
        return "|".join(
            (
                STATE_TAG,
                self.lesson_key,
                str(self.number),
                self.front_hash,
                self.back_hash,
                self.src_hash,
                self.fields_hash,
            )
        )

    @staticmethod
    def decode(text: str) -> NoteState | None:
        if "<" in text or "&" in text:  # wrapped or escaped by an editor
            text = html.unescape(_TAG.sub("", text))
        parts = text.strip().split("|")
        if len(parts) != 7 or parts[0] != STATE_TAG:
            return None
        try:
            number = int(parts[2])
        except ValueError:
            return None
        return NoteState(parts[1], number, parts[3], parts[4], parts[5], parts[6])


def _db(col: Collection) -> DBProxy:
    db = col.db
    if db is None:
        raise RuntimeError("the collection is closed")
    return db


def _h(*parts: object) -> str:
    """A short hash of the parts, each followed by a separator."""
    if not parts:
        return hashlib.blake2b(digest_size=8).hexdigest()
    return _digest("\x1e".join([p if type(p) is str else str(p) for p in parts]))


def _digest(text: str) -> str:
    """_h of one part: ``text`` and the separator."""
    return hashlib.blake2b(
        (text + "\x1e").encode("utf-8", "surrogatepass"), digest_size=8
    ).hexdigest()


def key_for_identity(identity: str) -> str:
    """The 8-character key of a lesson identity (in its notes' GUIDs and import state)."""
    return hashlib.sha1(identity.encode("utf-8")).hexdigest()[:8]


def lesson_key(lesson: Lesson) -> str:
    return key_for_identity(lesson.identity)


def guid_prefix(key: str) -> str:
    return f"lf{key}-"


def _norm_text(text: str) -> str:
    return " ".join(text.split())


def _fields_hash(values: Sequence[str], nfc: bool = True) -> str:
    """Hash of the fields as stored (Anki stores NFC text), ignoring the state field. (The
    separator is a starter that composes with nothing: NFC of the joined text is the join of
    each field's NFC.) ``nfc=False``: of the text as it is."""
    if not values:
        return _h()
    text = "\x1e".join(values)
    if nfc and not text.isascii():
        text = unicodedata.normalize("NFC", text)
    return _digest(text)


def _escape(text: str) -> str:
    """html.escape, without its five passes over text that has nothing to escape."""
    if "&" in text or "<" in text or ">" in text or '"' in text or "'" in text:
        return html.escape(text)
    return text


def _plain(html_text: str, limit: int = 90) -> str:
    text = html.unescape(_TAG.sub(" ", html_text))
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


_MD_MARKS = re.compile(r"\*\*|__|`+|^\s{0,3}#+\s*|^\s{0,3}>\s?|\$\$?", re.M)


def _plain_md(md: str, limit: int = 90) -> str:
    """A one-line preview of markdown without rendering it."""
    text = " ".join(_MD_MARKS.sub(" ", md[: limit * 4]).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


# ---------------------------------------------------------------------------
# What we write for a card


@dataclass
class _Target:
    """Fields, tags and deck a card should have (rendering only when needed)."""

    card: Card
    lesson: Lesson
    label: str
    src_hash: str
    deck_name: str
    tags: list[str]
    _fields: list[str] | None = None

    # The hashes of each side's text (whitespace-insensitive), computed when first needed: a card
    # matched by its source hash (unchanged in a changed file) never needs them.
    @functools.cached_property
    def front_hash(self) -> str:
        return _digest(_norm_text(self.card.front_md))

    @functools.cached_property
    def back_hash(self) -> str:
        return _digest(_norm_text(self.card.back_md))

    def drop_fields(self) -> None:
        self._fields = None

    def release_text(self) -> None:
        """Let go of the card's markdown (its hashes are kept)."""
        _ = self.front_hash, self.back_hash
        self.card.front_md = self.card.back_md = ""

    def fields(self) -> list[str]:
        if self._fields is None:
            c = self.card
            front = c.front_html or render_markdown(c.front_md)
            back = c.back_html or render_markdown(c.back_md)
            e = _escape
            self._fields = [
                front,
                back,
                _TITLE_DIFFICULTY[c.difficulty],
                e(c.concept),
                e(c.cognitive_level),
                e(c.source_section),
                "Yes" if c.critical else "",
                e(c.key_terminology),
                e(self.label),
                str(c.number),
            ]
        return self._fields


def _subdeck_names(lesson: Lesson) -> dict[int, str]:
    """Card number -> subdeck name: one per difficulty, split further by (interval, multiplier)."""
    pairs: dict[str, Counter[tuple[int, float]]] = defaultdict(Counter)
    for c in lesson.cards:
        pairs[c.difficulty][(c.initial_interval_days, c.multiplier)] += 1
    main = {d: counts.most_common(1)[0][0] for d, counts in pairs.items()}
    out = {}
    for c in lesson.cards:
        name = _TITLE_DIFFICULTY[c.difficulty]
        main_pair = main[c.difficulty]
        pair = (c.initial_interval_days, c.multiplier)
        if pair != main_pair:
            name = f"{name} ({pair[0]}d x {pair[1]:g})"
        out[c.number] = name
    return out


def _targets(lesson: Lesson, config: Config, deck_name: str) -> list[_Target]:
    label = naming.lesson_label(lesson)
    ltag = naming.lesson_tag(lesson, config)
    root = config.tag_root
    subdecks = _subdeck_names(lesson)
    out = []
    for c in lesson.cards:
        tags = [
            ltag,
            f"{root}::difficulty::{c.difficulty}",
        ]
        if c.concept:
            tags.append(f"{root}::concept::{naming.slug(c.concept)}")
        bloom = c.bloom_level or c.cognitive_level
        if bloom:
            tags.append(f"{root}::bloom::{naming.slug(bloom)}")
        tags += [f"{root}::key_concept::{naming.slug(k)}" for k in c.key_concepts]
        if c.critical:
            tags.append(naming.critical_tag(config))
        sub = f"{deck_name}::{subdecks[c.number]}"
        src = _h(
            IMPORT_LOGIC_VERSION,
            c.front_md,
            c.back_md,
            c.difficulty,
            c.cognitive_level,
            c.concept,
            c.source_section,
            c.critical,
            c.key_terminology,
            c.number,
            label,
            sub,
            " ".join(sorted(tags)),
        )
        out.append(
            _Target(
                card=c,
                lesson=lesson,
                label=label,
                src_hash=src,
                deck_name=sub,
                tags=sorted(set(tags)),
            )
        )
    return out


# ---------------------------------------------------------------------------
# Existing notes


@dataclass
class _Existing:
    nid: NoteId
    fields: list[str]
    tags: list[str]
    state: NoteState

    @property
    def edited(self) -> bool:
        fields = self.fields[:ID_FIELD]
        # Stored as written (the hash is of NFC text, so then the stored text is NFC too) is the
        # usual case: known without normalising each note's text again.
        return (
            _fields_hash(fields, nfc=False) != self.state.fields_hash
            and _fields_hash(fields) != self.state.fields_hash
        )


class _LessonNotes(NamedTuple):
    existing: dict[str, list[_Existing]]  # lesson key -> its notes that carry an import state
    ids: dict[str, list[int]]  # lesson key -> the ids of all its notes


def _existing_by_lesson(
    col: Collection,
    nt: NotetypeDict | None,
    keys: Iterable[str],
    known_ids: dict[str, str] | None = None,
) -> _LessonNotes:
    """The notes of these lessons (``known_ids``: their ids by lesson key, when just read)."""
    wanted = set(keys)
    out: dict[str, list[_Existing]] = {k: [] for k in wanted}
    ids_by_key: dict[str, list[int]] = defaultdict(list)
    if nt is None or not wanted:
        return _LessonNotes(out, ids_by_key)
    if known_ids is not None:
        for k in wanted:
            ids_by_key[k] = [int(x) for x in known_ids[k].split(",")] if k in known_ids else []
    else:
        for nid, guid in _db(col).all("select id, guid from notes where mid = ?", nt["id"]):
            if guid.startswith("lf") and guid[2:10] in wanted:
                ids_by_key[guid[2:10]].append(nid)
    all_ids = [nid for ids in ids_by_key.values() for nid in ids]
    for start in range(0, len(all_ids), 5000):
        chunk = all_ids[start : start + 5000]
        rows = _db(col).all(
            f"select id, guid, flds, tags from notes where id in ({','.join(map(str, chunk))})"
        )
        for nid, guid, flds, tags in rows:
            fields = flds.split("\x1f")
            if len(fields) <= ID_FIELD:
                continue
            state = NoteState.decode(fields[ID_FIELD])
            if state is None:
                continue
            out[guid[2:10]].append(_Existing(NoteId(nid), fields, tags.split(), state))
    return _LessonNotes(out, ids_by_key)


# ---------------------------------------------------------------------------
# Planning


@dataclass
class _Work:
    key: str
    targets: list[_Target]
    adds: list[_Target] = field(default_factory=list)
    updates: list[tuple[_Target, _Existing, bool]] = field(
        default_factory=list
    )  # (target, note, fields changed)
    retag: list[tuple[_Target, _Existing]] = field(default_factory=list)  # state/tags/deck only
    retires: list[_Existing] = field(default_factory=list)
    conflicts: list[tuple[_Target, _Existing]] = field(default_factory=list)
    keep: list[tuple[_Target, _Existing]] = field(default_factory=list)  # matched, nothing to write
    deck_root: str | None = None
    digest: str | None = None  # sha1 of the file's bytes, when known
    # Ids of all the lesson's notes of our note type (retired ones too): those read when
    # planning, then those written.
    note_ids: set[int] = field(default_factory=set)


def _similar(a: str, b: str) -> float:
    a, b = _plain(a, 4000).lower(), _plain(b, 4000).lower()
    if not a or not b:
        return 0.0
    return difflib.SequenceMatcher(None, a, b, autojunk=False).ratio()


def _match(
    targets: list[_Target], existing: list[_Existing]
) -> tuple[list[tuple[_Target, _Existing, str]], list[_Target], list[_Existing]]:
    """Pair cards with notes: by content first, then by number when still clearly the same card."""
    pairs: list[tuple[_Target, _Existing, str]] = []
    free_t = list(targets)
    free_e = [e for e in existing]

    def take(key_t: Any, key_e: Any, why: str) -> None:
        nonlocal free_t, free_e
        index: dict[Any, list[_Existing]] = defaultdict(list)
        for e in free_e:
            index[key_e(e)].append(e)
        rest = []
        for t in free_t:
            cands = index.get(key_t(t))
            if cands:
                # several notes with the same content: prefer the one that had this number
                cands.sort(key=lambda e: (e.state.number != t.card.number, e.state.number))
                e = cands.pop(0)
                pairs.append((t, e, why))
            else:
                rest.append(t)
        used = {id(p[1]) for p in pairs}
        free_t = rest
        free_e = [e for e in free_e if id(e) not in used]

    take(lambda t: t.src_hash, lambda e: e.state.src_hash, "same")
    take(
        lambda t: (t.front_hash, t.back_hash),
        lambda e: (e.state.front_hash, e.state.back_hash),
        "same text",
    )
    take(lambda t: t.front_hash, lambda e: e.state.front_hash, "answer changed")
    take(lambda t: t.back_hash, lambda e: e.state.back_hash, "question changed")
    # Same number, both sides reworded: the same card only if the text is still alike.
    by_number = {e.state.number: e for e in free_e}
    rest = []
    for t in free_t:
        e = by_number.get(t.card.number)
        if e is not None:
            f = t.fields()
            score = max(_similar(f[0], e.fields[0]), _similar(f[1], e.fields[1]))
            if score >= 0.6:
                pairs.append((t, e, "question and answer reworded"))
                del by_number[t.card.number]
                continue
        rest.append(t)
    used = {id(p[1]) for p in pairs}
    return pairs, rest, [e for e in existing if id(e) not in used]


def _managed(tag: str, config: Config) -> bool:
    """Tags the importer owns on a note (the user's own tags are kept)."""
    root = config.tag_root.lower() + "::"
    low = tag.lower()
    return low.startswith(root) and low not in (
        naming.waiting_tag(config).lower(),
        naming.retired_tag(config).lower(),
    )


def _plan_lesson(
    lesson: Lesson,
    config: Config,
    existing: list[_Existing],
    deck_root: str | None,
) -> LessonPlan:
    deck_name = naming.lesson_deck_name(lesson, config, deck_root)
    key = lesson_key(lesson)
    targets = _targets(lesson, config, deck_name)
    work = _Work(key=key, targets=targets, deck_root=deck_root)
    plan = LessonPlan(
        file=lesson.file,
        label=naming.lesson_label(lesson),
        deck_name=deck_name,
        lesson=lesson,
        work=work,
    )
    pairs, new, gone = _match(targets, existing)
    retired = naming.retired_tag(config).lower()
    for t, e, why in sorted(pairs, key=lambda p: p[0].card.number):
        c = t.card
        was_retired = retired in (x.lower() for x in e.tags)
        detail = "" if why == "same" else why
        if e.state.number != c.number:
            detail = ", ".join(
                x for x in (f"renumbered {e.state.number} -> {c.number}", detail) if x
            )
        if was_retired:
            detail = ", ".join(x for x in ("back in the file: un-retired", detail) if x)
        source_same = e.state.src_hash == t.src_hash
        if e.edited:
            if source_same and not was_retired:
                # The user edited the note and the file did not change: keep the edit.
                work.keep.append((t, e))
                plan.actions.append(
                    CardAction(
                        "unchanged",
                        c.number,
                        e.nid,
                        functools.partial(_plain, e.fields[0]),
                        "edited in Anki; kept",
                        c,
                    )
                )
                continue
            if config.on_conflict == "keep":
                work.conflicts.append((t, e))
                plan.actions.append(
                    CardAction(
                        "conflict",
                        c.number,
                        e.nid,
                        functools.partial(_plain, e.fields[0]),
                        "edited in Anki since the last import and changed in the file: "
                        "your edit is kept (config on_conflict: overwrite to take the file's version)",
                        c,
                    )
                )
                continue
            work.updates.append((t, e, True))
            plan.actions.append(
                CardAction(
                    "update",
                    c.number,
                    e.nid,
                    _plain(t.fields()[0]),
                    "your edit in Anki is overwritten",
                    c,
                )
            )
            continue
        if source_same and not was_retired:
            work.keep.append((t, e))
            plan.actions.append(
                CardAction(
                    "unchanged", c.number, e.nid, functools.partial(_plain, e.fields[0]), "", c
                )
            )
            continue
        new_fields = t.fields()
        fields_changed = new_fields != e.fields[:ID_FIELD]
        if fields_changed or was_retired:
            work.updates.append((t, e, fields_changed))
            plan.actions.append(
                CardAction("update", c.number, e.nid, _plain(new_fields[0]), detail or "changed", c)
            )
        else:
            # Only tags, deck, number or bookkeeping differ.
            work.retag.append((t, e))
            plan.actions.append(
                CardAction(
                    "update",
                    c.number,
                    e.nid,
                    _plain(new_fields[0]),
                    detail or "tags or deck changed",
                    c,
                )
            )
    for t in new:
        work.adds.append(t)
        plan.actions.append(
            CardAction("add", t.card.number, None, _plain_md(t.card.front_md), "", t.card)
        )
    for e in sorted(gone, key=lambda e: e.state.number):
        if retired in (x.lower() for x in e.tags):
            continue  # already retired
        work.retires.append(e)
        plan.actions.append(
            CardAction(
                "retire",
                None,
                e.nid,
                functools.partial(_plain, e.fields[0]),
                f"card {e.state.number} is gone from the file",
            )
        )
    return plan


def plan_import(
    col: Collection,
    lessons: Sequence[Lesson],
    config: Config,
    deck_root: str | None = None,
    *,
    notes: _LessonNotes | None = None,
) -> ImportPlan:
    """What importing these lessons would do. Read-only. Raises LessonError for two files of one
    lesson. ``notes``: the lessons' notes, when the caller just read them."""
    seen: dict[str, Lesson] = {}
    for lesson in lessons:
        other = seen.get(lesson.identity)
        if other is not None:
            raise LessonError(
                lesson.file,
                1,
                f"this is the same lesson as {other.file} ({lesson.identity.split(':', 1)[1]}); "
                "import only one of the two files",
            )
        seen[lesson.identity] = lesson
    if notes is None:
        notes = _existing_by_lesson(col, find_notetype(col), map(lesson_key, lessons))
    existing, ids = notes
    plan = ImportPlan(on_conflict=config.on_conflict)
    for lesson in lessons:
        key = lesson_key(lesson)
        lp = _plan_lesson(lesson, config, existing[key], deck_root)
        lp.work.note_ids.update(ids.get(key, ()))
        plan.lessons.append(lp)
    return plan


# ---------------------------------------------------------------------------
# Fast path for files that did not change since their last import


def default_cache_path(col: Collection) -> Path:
    return Path(col.path).with_name(Path(col.path).stem + ".lesson-flashcards-cache.json")


def _config_fingerprint(config: Config, deck_root: str | None) -> str:
    return _h(
        IMPORT_LOGIC_VERSION, config.tag_root, deck_root or config.deck_root, config.on_conflict
    )


def _load_cache(path: Path | None) -> dict[str, Any]:
    """The cache file's records that have the expected shape (a damaged or hand-edited cache
    costs speed, never an import)."""
    if path is None:
        return {}
    try:
        with open(path, "rb") as f:
            data = orjson.loads(f.read())
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict) or data.get("v") != CACHE_VERSION:
        return {}
    files = data.get("files")
    paths = data.get("paths")
    return {
        "files": {d: r for d, r in files.items() if _valid_file_record(r)}
        if isinstance(files, dict)
        else {},
        "paths": {w: r for w, r in paths.items() if _valid_path_record(r)}
        if isinstance(paths, dict)
        else {},
    }


def _valid_file_record(r: object) -> bool:
    # (type() is: JSON gives plain str and int; a bool is not a count)
    return (
        type(r) is dict
        and type(r.get("key")) is str
        and type(r.get("fp")) is str
        and type(r.get("label")) is str
        and type(r.get("deck")) is str
        and type(r.get("count")) is int
        and type(r.get("mod")) is int
        and type(r.get("size")) is int
        and type(r.get("retired")) is int
    )


def _valid_path_record(r: object) -> bool:
    """{"stat": [size, mtime, ctime, inode, device], "sha1": ..., "seen": when looked at}"""
    if type(r) is not dict or type(r.get("sha1")) is not str or type(r.get("seen")) is not int:
        return False
    stat = r.get("stat")
    return type(stat) is list and len(stat) == 5 and all(type(x) is int for x in stat)


def _trusted(rec: dict[str, Any]) -> bool:
    """A path record whose file times stand for its content: both older than _RACY_NS before
    the file was looked at."""
    _size, mtime, ctime, _ino, _dev = rec["stat"]
    return bool(max(mtime, ctime) < rec["seen"] - _RACY_NS)


_Stats = dict[str, tuple[int, int, int]]


class _Scan(NamedTuple):
    stats: _Stats  # lesson key -> (notes, newest modification, sum of mod times and tag lengths)
    ids: dict[str, str]  # lesson key -> its note ids, comma-separated
    retired: dict[str, int]  # lesson key -> notes tagged retired


def _lesson_stats(
    col: Collection, nt: NotetypeDict | None, config: Config, ids: Iterable[int] | None = None
) -> _Scan:
    """Per lesson key, for all our notes (or those of ``ids``), in one query: statistics that
    any note added, deleted, edited or retagged since changes, the note ids, the retired count.
    (Only columns stored before the fields are read: no note's text is scanned.)"""
    if nt is None:
        return _Scan({}, {}, {})
    which = "" if ids is None else f"id in ({','.join(map(str, ids))}) and "
    rows = _db(col).all(
        "select substr(guid, 3, 8), count(), max(mod), sum(mod) + sum(length(tags)), "
        f"group_concat(id), sum(tags like ?) from notes where {which}mid = ? and guid like 'lf%' "
        "group by 1",
        f"% {naming.retired_tag(config)} %",
        nt["id"],
    )
    return _Scan(
        {r[0]: (r[1], r[2], r[3]) for r in rows},
        {r[0]: r[4] for r in rows},
        {r[0]: int(r[5] or 0) for r in rows},
    )


@gc_paused
def plan_files(
    col: Collection,
    files: Iterable[tuple[str, bytes] | LessonFile],
    config: Config,
    deck_root: str | None = None,
    cache_path: Path | None = None,
) -> ImportPlan:
    """Parse (file name, bytes) pairs and plan their import. Files byte-identical to their last
    import into this collection (and whose notes nobody touched since) are not even parsed.
    ``files`` is read once, in order (a generator keeps only one file's bytes in memory). A
    LessonFile whose size and modification time are those recorded at its last import is not
    even read (see _RACY_NS). Raises LessonError for a refused file (the first one parsed: a file
    known from the cache is parsed after the others); nothing is changed.

    While the files are looked at and parsed, a thread has Anki read the statistics of the
    lessons' notes (which tell whether a known file's notes changed), then the notes of each
    lesson parsed. A LessonFile known from the cache is decided on once the statistics are in."""
    cache = _load_cache(cache_path)
    known: dict[str, dict[str, Any]] = cache.get("files", {})
    fp = _config_fingerprint(config, deck_root)
    nt = find_notetype(col)
    parsed: list[tuple[int, Lesson, str]] = []  # (position in files, lesson, digest)
    skipped: list[tuple[int, LessonPlan]] = []
    seen_keys: dict[str, str] = {}
    on_disk: dict[str, dict[str, Any]] = cache.get("paths", {})
    stamps: dict[str, tuple[list[int], int]] = {}  # name -> (LessonFile.stat, when looked at)
    started = time.time_ns()

    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="lesson-flashcards") as pool:
        # Anki reads the statistics of every lesson's notes, then the notes of each lesson parsed,
        # in this thread (without holding the GIL) while the next files are looked at and parsed.
        # (The block's end waits for it, also on an error.)
        scan_f = pool.submit(_lesson_stats, col, nt, config) if known else None
        fetched: list[Future[_LessonNotes]] = []
        to_fetch: list[str] = []  # keys of lessons parsed, whose notes are not asked for yet

        def fetch(last: bool = False) -> None:
            if not to_fetch or scan_f is None or not (last or scan_f.done()):
                return
            if not last and fetched and not fetched[-1].done():
                return  # one query at a time: the next one asks for all the lessons parsed since
            ids = scan_f.result().ids
            fetched.append(pool.submit(_existing_by_lesson, col, nt, list(to_fetch), ids))
            to_fetch.clear()

        def parse(pos: int, name: str, data: bytes, digest: str) -> None:
            # Render later, only what is written (new notes: while Anki stores the previous batch).
            lesson = parse_text(data, name, render=False)
            # Export rows are only cross-checked against the cards (the warnings are kept); they
            # repeat every card's text, so they are not kept in memory for the whole import.
            lesson.export_rows = []
            parsed.append((pos, lesson, digest))
            to_fetch.append(lesson_key(lesson))
            fetch()

        def skip(pos: int, name: str, digest: str, rec: dict[str, Any]) -> bool:
            """Plan a file as unchanged if its lesson's notes are as its last import left them
            (and no file before it is that lesson: then the duplicate check speaks)."""
            assert scan_f is not None
            stats = scan_f.result().stats
            if (
                stats.get(rec["key"]) != (rec["count"], rec["mod"], rec["size"])
                or rec["key"] in seen_keys
            ):
                return False
            seen_keys[rec["key"]] = name
            skipped.append(
                (
                    pos,
                    LessonPlan(
                        file=name,
                        label=rec["label"],
                        deck_name=rec["deck"],
                        lesson=None,
                        skipped_unchanged=rec["count"] - rec.get("retired", 0),
                        work=_Work(key=rec["key"], targets=[], deck_root=deck_root, digest=digest),
                    ),
                )
            )
            return True

        # Files with the content of a former import, decided once the statistics are in (their
        # bytes are not kept: read again if they must be parsed).
        deferred: list[tuple[int, LessonFile, str, dict[str, Any]]] = []
        for pos, item in enumerate(files):
            data: bytes | None
            if isinstance(item, LessonFile):
                name, data = item.name, None
                stamps[name] = (item.stat, started)
                seen = on_disk.get(os.path.abspath(name))
                if seen is not None and seen["stat"] == item.stat and _trusted(seen):
                    digest = seen["sha1"]  # the content it had: read only if it must be parsed
                else:
                    data = item.read()
                    digest = hashlib.sha1(data).hexdigest()
            else:
                name, data = item
                digest = hashlib.sha1(data).hexdigest()
            rec = known.get(digest)
            if rec is not None and rec["fp"] == fp:
                assert scan_f is not None
                if isinstance(item, LessonFile) and not scan_f.done():
                    deferred.append((pos, item, digest, rec))
                    continue
                if skip(pos, name, digest, rec):
                    continue
            if data is None:  # its notes changed since: plan it again
                assert isinstance(item, LessonFile)
                data = item.read()
            parse(pos, name, data, digest)
            del data
        for pos, item, digest, rec in deferred:
            if not skip(pos, item.name, digest, rec):
                data = item.read()
                parse(pos, item.name, data, hashlib.sha1(data).hexdigest())
                del data
        notes: _LessonNotes | None = None
        if scan_f is not None:
            fetch(last=True)
            notes = _LessonNotes({}, {})
            for f in fetched:
                part = f.result()
                notes.existing.update(part.existing)
                notes.ids.update(part.ids)
    parsed.sort(key=lambda x: x[0])
    lessons = [lesson for _pos, lesson, _digest in parsed]
    for lesson in lessons:
        if lesson_key(lesson) in seen_keys:
            raise LessonError(
                lesson.file,
                1,
                f"this is the same lesson as {seen_keys[lesson_key(lesson)]}; import only one of the two files",
            )
    plan = plan_import(col, lessons, config, deck_root, notes=notes)
    for lp, (_pos, _lesson, digest) in zip(plan.lessons, parsed, strict=True):
        lp.work.digest = digest
    skipped.sort(key=lambda x: x[0])
    plan.lessons = [lp for _pos, lp in skipped] + plan.lessons
    plan.file_stamps = stamps
    plan.cache = (cache_path, cache)
    return plan


def _save_cache(col: Collection, plan: ImportPlan, config: Config, cache_path: Path | None) -> None:
    if cache_path is None:
        return
    if plan.cache is not None and plan.cache[0] == cache_path:
        cache = plan.cache[1]  # as read when planning (not read and validated again)
    else:
        cache = _load_cache(cache_path)
    files: dict[str, Any] = cache.get("files", {})
    paths: dict[str, dict[str, Any]] = cache.get("paths", {})
    new_paths = dict(paths)
    for lp in plan.lessons:
        stamp = plan.file_stamps.get(lp.file)
        if stamp is None or not lp.work.digest:
            continue
        where = os.path.abspath(lp.file)
        old = paths.get(where)
        if (
            old is not None
            and old["stat"] == stamp[0]
            and old["sha1"] == lp.work.digest
            and _trusted(old)
        ):
            continue
        new_paths[where] = {"stat": stamp[0], "sha1": lp.work.digest, "seen": stamp[1]}
    parsed = [lp for lp in plan.lessons if lp.work.digest and lp.lesson is not None]
    if not parsed and new_paths == paths:
        return  # nothing was parsed: the cache already knows every file
    if parsed:
        # Only the written lessons' notes are read (by id). A note of theirs that this import did
        # not know of (e.g. synced in since planning) makes the next import plan the lesson
        # again: the statistics then differ.
        ids = {nid for lp in parsed for nid in lp.work.note_ids}
        scan = _lesson_stats(col, find_notetype(col), config, ids)
        stats, retired = scan.stats, scan.retired
        parsed = [lp for lp in parsed if lp.work.key in stats]
        # forget older digests of the lessons written now
        written = {lp.work.key for lp in parsed}
        files = {d: r for d, r in files.items() if r.get("key") not in written}
        for lp in parsed:
            key = lp.work.key
            files[lp.work.digest] = {
                "key": key,
                "fp": _config_fingerprint(config, lp.work.deck_root),
                "count": stats[key][0],
                "mod": stats[key][1],
                "size": stats[key][2],
                "retired": retired.get(key, 0),
                "label": lp.label,
                "deck": lp.deck_name,
            }
        new_paths = {w: r for w, r in new_paths.items() if r["sha1"] in files}
    tmp = cache_path.with_name(cache_path.name + ".tmp")
    try:
        with open(tmp, "wb") as f:
            f.write(orjson.dumps({"v": CACHE_VERSION, "files": files, "paths": new_paths}))
        os.replace(tmp, cache_path)
    except OSError:
        pass  # a cache only: the next import takes the slower path


# ---------------------------------------------------------------------------
# Applying


def _deck_description(lesson: Lesson, config: Config, count: int) -> str:
    e = html.escape
    parts = [f"<p><b>{e(naming.lesson_label(lesson))}</b></p>"]
    if lesson.subject:
        parts.append(f"<p>{e(lesson.subject)}</p>")
    by_diff = Counter(c.difficulty for c in lesson.cards)
    dist = ", ".join(
        f"{by_diff[d]} {_TITLE_DIFFICULTY[d]}" for d in ("easy", "medium", "hard") if by_diff[d]
    )
    parts.append(f"<p>{count} cards ({dist}).</p>")
    if lesson.key_concepts:
        items = "".join(
            f"<li>{e(k)}: cards {', '.join(map(str, v))}</li>"
            for k, v in lesson.key_concepts.items()
        )
        parts.append(
            f"<p><b>Key concepts</b> (prioritised in the critical review):</p><ul>{items}</ul>"
        )
    if lesson.connections and lesson.connections.headers:
        t = lesson.connections
        head = "".join(f"<th>{e(h)}</th>" for h in t.headers)
        rows = "".join("<tr>" + "".join(f"<td>{e(c)}</td>" for c in r) + "</tr>" for r in t.rows)
        related = sorted(
            {int(n) for h in t.headers for n in re.findall(r"Lesson\s+(\d+)", h, re.I)}
        )
        searches = "".join(
            f"<li>Lesson {n}: search <code>tag:{e(config.tag_root)}::lesson::{n:02d}_*</code></li>"
            for n in related
        )
        parts.append(
            "<p><b>Connection to other lessons</b></p>"
            f'<div class="lf-table"><table><tr>{head}</tr>{rows}</table></div>'
            + (f"<ul>{searches}</ul>" if searches else "")
        )
    return "\n".join(parts)


_OWN_BLOCKS = re.compile(
    r"(<!-- lesson-flashcards:(\w+) -->.*?<!-- /lesson-flashcards:\2 -->)", re.S
)


def _describe(text: str) -> Callable[[dict[str, Any]], None]:
    """A deck edit: the importer's description, keeping blocks other parts of the add-on own
    (e.g. why cards are waiting)."""

    def edit(deck: dict[str, Any]) -> None:
        old = deck.get("desc", "") or ""
        blocks = _OWN_BLOCKS.findall(old)
        deck["desc"] = text + "".join("\n" + b[0] for b in blocks)

    return edit


def _new_guid(key: str, t: _Target, taken: set[str]) -> str:
    base = guid_prefix(key) + _h(t.card.number, t.front_hash)[:10]
    guid, n = base, 0
    while guid in taken:
        n += 1
        guid = f"{base}{n}"
    taken.add(guid)
    return guid


@gc_paused
def apply_plan(
    col: Collection,
    plan: ImportPlan,
    config: Config,
    cache_path: Path | None = None,
    *,
    release_text: bool = False,
) -> ImportResult:
    """Carry out a plan as one undo step ("Import Lessons"). On any error the step is undone.

    ``release_text``: the caller will not use the plan's lessons again, so each card's markdown
    is let go once its note is written (a large import then peaks much lower)."""
    result = ImportResult()
    step = UndoStep(col, UNDO_NAME)

    def work() -> None:
        try:
            _apply(col, plan, config, result, step.checkpoint, release_text)
            result.changes = step.finish()
        except BaseException:
            step.roll_back()  # inside the transaction: undo acts on changes still there
            raise

    # One database transaction around the many backend operations: each would otherwise commit
    # on its own (most of the cost of creating thousands of decks). On an error the operations
    # are undone and the transaction is rolled back.
    try:
        _db(col).transact(work)
    except BaseException:
        if step.finished:
            step.discard()  # the commit itself failed
        raise
    _save_cache(col, plan, config, cache_path)
    return result


# Notes per bulk add. Each add scans every note already in the collection (Anki's duplicate
# check), so many small batches cost time; each batch's JSON (about 5 MB) and Anki's copies of it
# cost memory.
ADD_CHUNK = 1000
# The last batch is small: nothing is left to render while Anki adds it.
LAST_CHUNK = 200
# So is the first: Anki starts adding sooner.
FIRST_CHUNK = 200
# Batches rendered ahead of the worker.
MAX_QUEUED = 2


def _batch_sizes(total: int) -> Iterator[int]:
    """E.g. 10,000 notes: 200 (so that Anki starts sooner), nine batches of 1,000, then 600 and
    200."""
    if total > ADD_CHUNK + 2 * LAST_CHUNK:
        yield FIRST_CHUNK
        total -= FIRST_CHUNK
    while total > ADD_CHUNK + LAST_CHUNK:
        yield ADD_CHUNK
        total -= ADD_CHUNK
    if total > 2 * LAST_CHUNK:
        yield total - LAST_CHUNK
        total = LAST_CHUNK
    if total:
        yield total


def _lesson_order(t: _Target) -> tuple[int, int]:
    """Easy before Medium before Hard, by card number inside (the order new cards are shown)."""
    return (_DIFF_ORDER[t.card.difficulty], t.card.number)


def _apply(
    col: Collection,
    plan: ImportPlan,
    config: Config,
    result: ImportResult,
    checkpoint: Callable[[], None],
    release_text: bool = False,
) -> None:
    nt = ensure_notetype(col)
    checkpoint()
    fidx = {f["name"]: f["ord"] for f in nt["flds"]}
    order = [fidx[name] for name in FIELDS]
    id_ord = fidx[FIELDS[ID_FIELD]]
    retired_tag = naming.retired_tag(config)
    lessons = [lp for lp in plan.lessons if lp.lesson is not None]
    taken_guids: set[str] = set()
    if any(lp.work.adds for lp in lessons):
        taken_guids = set(_db(col).list("select guid from notes where guid like 'lf%'"))

    def note_values(t: _Target, key: str) -> list[str]:
        values = t.fields()
        state = NoteState(
            key, t.card.number, t.front_hash, t.back_hash, t.src_hash, _fields_hash(values)
        ).encode()
        full = [""] * len(nt["flds"])
        for i, v in enumerate(values):
            full[order[i]] = v
        full[id_ord] = state
        return full

    # 1. New notes, in bulk calls that also create their decks (much faster than one backend
    #    operation per deck and per note), in lesson order so that their new-card positions
    #    already follow the lesson.
    added_guids: dict[str, tuple[int, int]] = {}  # guid -> (lesson index, card number)

    def batches() -> Iterator[list[dict[str, Any]]]:
        foreign: list[dict[str, Any]] = []
        sizes = _batch_sizes(sum(len(lp.work.adds) for lp in lessons))
        size = next(sizes, 0)
        for index, lp in enumerate(lessons):
            work: _Work = lp.work
            for t in sorted(work.adds, key=_lesson_order):
                guid = _new_guid(work.key, t, taken_guids)
                added_guids[guid] = (index, t.card.number)
                foreign.append(
                    {
                        "guid": guid,
                        "fields": note_values(t, work.key),
                        "tags": list(t.tags),
                        "notetype": nt["id"],
                        "deck": t.deck_name,
                    }
                )
                # Written: do not keep the HTML. The markdown stays unless the caller is done
                # with the lessons (after a failure the dialog plans again from them).
                t.drop_fields()
                if release_text:
                    t.release_text()
                if len(foreign) >= size:
                    yield foreign
                    foreign = []
                    size = next(sizes, 0)
            result.added += len(work.adds)
        if foreign:
            yield foreign

    # The new decks are created first, on their presets and with their descriptions. Then
    # rendering (Python) overlaps Anki's bulk add (Rust, without the GIL): a worker thread adds
    # each batch of notes while this thread renders the next; the collection is only ever used
    # by one thread at a time.
    decks = DeckIndex(col)
    new_decks = _new_decks(lessons, decks, config)
    # A thread waiting for the GIL gets it only every switch interval (5 ms by default): a
    # short interval for the duration lets the worker go on as soon as Anki returns.
    interval = sys.getswitchinterval()
    sys.setswitchinterval(min(interval, 0.0001))
    try:
        created = _add_in_background(col, config, nt, new_decks, batches(), checkpoint)
    finally:
        sys.setswitchinterval(interval)
    if new_decks:
        decks = DeckIndex(col, created)  # with the decks just created, on their presets

    # 2. Updates, retirements, deck moves.
    update_notes: list[Note] = []
    update_targets: dict[
        int, tuple[_Target, DeckId, str]
    ] = {}  # nid -> (target, deck, lesson deck)
    unretire_nids: list[int] = []
    retire_nids: list[NoteId] = []
    deck_schedules: dict[DeckId, tuple[str, int, float]] = {}
    lesson_decks: list[tuple[LessonPlan, DeckId]] = []
    for lp in plan.lessons:
        result.unchanged += lp.count("unchanged")
        result.lessons.append(lp.deck_name)
    for lp in lessons:
        assert lp.lesson is not None
        work = lp.work
        result.warnings += lp.warnings
        lesson_decks.append((lp, decks.get(lp.deck_name)))
        for t in work.targets:
            deck_schedules[decks.get(t.deck_name)] = (
                t.card.difficulty,
                t.card.initial_interval_days,
                t.card.multiplier,
            )
        for t, e, _changed in work.updates + [(t, e, False) for t, e in work.retag]:
            note = col.get_note(e.nid)
            note.fields = note_values(t, work.key)
            user_tags = [
                x for x in note.tags if not _managed(x, config) and x.lower() != retired_tag.lower()
            ]
            if any(x.lower() == retired_tag.lower() for x in note.tags):
                unretire_nids.append(e.nid)
            note.tags = user_tags + t.tags
            update_notes.append(note)
            update_targets[e.nid] = (t, decks.get(t.deck_name), lp.deck_name)
        result.updated += len(work.updates) + len(work.retag)
        for t, e in work.conflicts:
            result.conflicts.append(
                f"{lp.label}, card {t.card.number} ({_plain(e.fields[0], 60)}): edited in Anki and "
                "changed in the file; your edit was kept"
            )
        retire_nids += [e.nid for e in work.retires]
        result.retired += len(work.retires)

    if update_notes:
        col.update_notes(update_notes)
        checkpoint()
        moves: dict[DeckId, list[CardId]] = defaultdict(list)
        for cid, nid, did, odid in _cards_of(col, update_targets, "id, nid, did, odid"):
            _t, target_did, lesson_deck = update_targets[nid]
            # Cards the user moved out of the lesson's decks stay where the user put them.
            if did != target_did and not odid and decks.in_tree(did, lesson_deck):
                moves[target_did].append(CardId(cid))
        for did, cids in moves.items():
            col.set_deck(cids, did)
            checkpoint()
    if unretire_nids:
        col.sched.unsuspend_cards([CardId(c) for (c,) in _cards_of(col, unretire_nids, "id")])
        checkpoint()
    if retire_nids:
        col.tags.bulk_add(retire_nids, retired_tag)
        cids = [CardId(c) for c, queue in _cards_of(col, retire_nids, "id, queue") if queue != -1]
        if cids:
            col.sched.suspend_cards(cids)
        checkpoint()

    # 3. Deck descriptions, presets, new-card order, holds, the critical filter.
    edits = DeckEdits()
    for lp, lesson_did in lesson_decks:
        assert lp.lesson is not None
        edits.add(lesson_did, _describe(_deck_description(lp.lesson, config, len(lp.lesson.cards))))
    nids_by_lesson = _note_ids_by_lesson(col, lessons, added_guids)
    for lp, nids in zip(lessons, nids_by_lesson, strict=True):
        lp.work.note_ids.update(nids.values())
    _schedule(
        col, lesson_decks, config, deck_schedules, nids_by_lesson, edits, result, checkpoint, decks
    )


def _add_in_background(
    col: Collection,
    config: Config,
    nt: NotetypeDict,
    new_decks: list[scheduling.NewDeck],
    batches: Iterator[list[dict[str, Any]]],
    checkpoint: Callable[[], None],
) -> dict[int, int]:
    """Create the new decks (here), then add the batches of notes in a worker thread while this
    thread builds the next batches. The first failure stops the rest and is raised. Returns the
    preset of each deck created (by deck id)."""
    failed = threading.Event()

    def guarded(fn: Callable[..., None], *args: Any) -> Callable[[], None]:
        def task() -> None:
            if failed.is_set():
                return
            try:
                fn(*args)
                checkpoint()
            except BaseException:
                failed.set()
                raise

        return task

    # The new decks first, here: one small backend call per deck, which a thread competing for
    # the GIL would make slower (measured), while the few large note batches overlap well.
    created = scheduling.prepare_new_decks(col, config, new_decks, checkpoint)
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="lesson-flashcards") as pool:
        outstanding: deque[Future[None]] = deque()
        try:
            for batch in batches:
                data = _foreign_json(nt, batch)
                outstanding.append(pool.submit(guarded(_add_foreign_notes, col, data, len(batch))))
                while len(outstanding) > MAX_QUEUED:  # bounded memory
                    outstanding.popleft().result()
            while outstanding:
                outstanding.popleft().result()
        except BaseException:
            failed.set()
            raise
    return created


def _initial_description(lp: LessonPlan, config: Config) -> str:
    """The lesson deck's description as the import will leave it: the lesson's own text and, for
    a lesson that is entirely new, the block saying which cards wait (as update_holds writes it)."""
    lesson = lp.lesson
    assert lesson is not None
    deck: dict[str, Any] = {"desc": ""}
    _describe(_deck_description(lesson, config, len(lesson.cards)))(deck)
    work: _Work = lp.work
    if config.hold_until_mastered and not (
        work.updates or work.retag or work.keep or work.conflicts or work.retires
    ):
        block = scheduling.waiting_html(config, scheduling.parse_prerequisites(lesson))
        scheduling.put_waiting_block(deck, block)
    return str(deck["desc"])


def _new_decks(
    lessons: list[LessonPlan], decks: DeckIndex, config: Config
) -> list[scheduling.NewDeck]:
    """The decks this import creates: the deck root (when it is the configured one), the lesson
    decks ("lesson order" preset, description) and their subdecks (their schedule's preset)."""
    out: list[scheduling.NewDeck] = []
    seen: set[str] = set(decks.ids)

    def missing(name: str) -> bool:
        key = name.casefold()
        if key in seen:
            return False
        seen.add(key)
        return True

    for lp in lessons:
        if "::" in lp.deck_name:
            root = lp.deck_name.rsplit("::", 1)[0]
            if root == naming.deck_root_name(config) and missing(root):
                out.append(scheduling.NewDeck(root, None))
        if missing(lp.deck_name):
            out.append(scheduling.NewDeck(lp.deck_name, None, _initial_description(lp, config)))
        for t in lp.work.targets:
            if missing(t.deck_name):
                c = t.card
                out.append(
                    scheduling.NewDeck(
                        t.deck_name,
                        scheduling.DeckSchedule(
                            0, c.difficulty, c.initial_interval_days, c.multiplier
                        ),
                    )
                )
    return out


def _cards_of(col: Collection, nids: Iterable[int], columns: str) -> list[Sequence[Any]]:
    """Rows of ``columns`` for the cards of these notes, in a few queries."""
    ids = sorted({int(n) for n in nids})
    rows: list[Sequence[Any]] = []
    for start in range(0, len(ids), 20000):
        chunk = ",".join(map(str, ids[start : start + 20000]))
        rows += _db(col).all(
            f"select {columns} from cards where nid in ({chunk}) order by nid, ord"
        )
    return rows


def _note_ids_by_lesson(
    col: Collection, lessons: list[LessonPlan], added_guids: dict[str, tuple[int, int]]
) -> list[dict[int, int]]:
    """Card number -> note id of each lesson's current (not retired) notes, from the plan and
    the GUIDs of the notes just added."""
    out: list[dict[int, int]] = [{} for _ in lessons]
    for index, lp in enumerate(lessons):
        work: _Work = lp.work
        for t, e, _changed in work.updates:
            out[index][t.card.number] = e.nid
        for t, e in work.retag + work.keep + work.conflicts:
            out[index][t.card.number] = e.nid
    guids = list(added_guids)
    for start in range(0, len(guids), 5000):
        chunk = guids[start : start + 5000]
        marks = ",".join("?" * len(chunk))
        for nid, guid in _db(col).all(
            f"select id, guid from notes where guid in ({marks})", *chunk
        ):
            index, number = added_guids[guid]
            out[index][number] = nid
    return out


def _foreign_json(nt: NotetypeDict, notes: list[dict[str, Any]]) -> bytes:
    """Anki's foreign-data JSON for these notes, as UTF-8 bytes (see _add_foreign_notes)."""
    return orjson.dumps(
        {
            "notes": notes,
            "default_deck": 1,
            "default_notetype": nt["id"],
            # Never merge with an existing note that happens to share a first field.
            "dupe_resolution": "Duplicate",
        }
    )


_STRING_FIELD = b"\x0a"  # field 1, length-delimited: anki.generic_pb2.String.val


def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        low, n = n & 0x7F, n >> 7
        if not n:
            out.append(low)
            return bytes(out)
        out.append(low | 0x80)


def _load_malloc_trim() -> Callable[[], None]:
    """glibc's ``malloc_trim``: Anki and Python free the memory of each batch of notes, but glibc
    keeps most of it mapped; returning it keeps a large import's footprint near its working set.
    A no-op elsewhere (macOS, Windows, musl)."""
    try:
        import ctypes

        trim = ctypes.CDLL("libc.so.6").malloc_trim
    except (OSError, AttributeError):
        return noop
    trim.argtypes = [ctypes.c_size_t]

    def give_back() -> None:
        trim(0)

    return give_back


_give_back_memory = _load_malloc_trim()


def _add_foreign_notes(col: Collection, data: bytes, count: int) -> None:
    """Add notes (with their GUIDs) through Anki's own bulk JSON import, creating decks as needed.

    The request (a protobuf ``String``) is built from the UTF-8 JSON directly: passing a ``str``
    to ``col.import_json_string`` would cost two more copies of every batch, one of them twice
    the size for text with box-drawing characters (37 MB more at the peak of 10,000 notes)."""
    backend = col._backend
    if hasattr(backend, "import_json_string_raw"):
        out = ImportResponse()
        out.ParseFromString(
            backend.import_json_string_raw(_STRING_FIELD + _varint(len(data)) + data)
        )
    else:  # not seen in 26.x: the public call
        out = col.import_json_string(data.decode())
    added = len(out.log.new) + len(out.log.duplicate)
    if added != count:
        raise RuntimeError(
            f"Anki added {added} of {count} notes "
            f"({len(out.log.conflicting)} conflicting, {len(out.log.missing_notetype)} without note type, "
            f"{len(out.log.empty_first_field)} with an empty first field)"
        )
    _give_back_memory()


def _schedule(
    col: Collection,
    lesson_decks: list[tuple[LessonPlan, DeckId]],
    config: Config,
    deck_schedules: dict[DeckId, tuple[str, int, float]],
    nids_by_lesson: list[dict[int, int]],
    edits: DeckEdits,
    result: ImportResult,
    checkpoint: Callable[[], None],
    index: DeckIndex | None = None,
) -> None:
    """Presets, new-card order, held-back cards and the critical filter (other modules)."""
    lessons = [lp for lp, _did in lesson_decks]
    if deck_schedules:
        result.messages += scheduling.configure_decks(
            col,
            config,
            [
                scheduling.DeckSchedule(did, diff, ivl, mult)
                for did, (diff, ivl, mult) in deck_schedules.items()
            ],
            edits,
            checkpoint,
            index,
        )
    # New cards in the lesson's order (already so for notes this import added).
    card_rows: dict[int, list[int]] = defaultdict(list)
    all_nids = [nid for nids in nids_by_lesson for nid in nids.values()]
    for cid, nid in _cards_of(col, all_nids, "id, nid"):
        card_rows[nid].append(cid)
    in_order: list[list[int]] = []
    for lp, nids in zip(lessons, nids_by_lesson, strict=True):
        assert lp.lesson is not None
        ordered = sorted(lp.lesson.cards, key=lambda c: (_DIFF_ORDER[c.difficulty], c.number))
        in_order.append(
            [cid for c in ordered if c.number in nids for cid in card_rows[nids[c.number]]]
        )
    scheduling.order_new_cards_many(col, in_order, checkpoint)
    holds = []
    for (lp, lesson_did), nids in zip(lesson_decks, nids_by_lesson, strict=True):
        assert lp.lesson is not None
        holds.append(
            scheduling.LessonHolds(
                lp.lesson.identity, lesson_did, scheduling.parse_prerequisites(lp.lesson), nids
            )
        )
    result.messages += scheduling.update_holds(col, config, holds, edits)
    checkpoint()
    edits.flush(col, checkpoint)
    try:
        review_filter.ensure_filter_deck(col, config)
        review_filter.ensure_saved_searches(
            col,
            config,
            [(lp.label, naming.lesson_tag(lp.lesson, config)) for lp in lessons if lp.lesson],
        )
    except review_filter.ReviewFilterError as e:
        result.messages.append(str(e))
    checkpoint()
    result.messages = list(dict.fromkeys(result.messages))


# ---------------------------------------------------------------------------
# Conveniences for the command line, the sources and the GUI


@dataclass(frozen=True)
class LessonFile:
    """A lesson file on disk, read only when needed: a file whose size, times, inode and device
    are those of its last import (and older than that import, see plan_files) is not read. A
    copy that keeps the size and modification time (cp -p, rsync -t, unzip) still changes the
    inode change time (ctime), so it is read."""

    name: str
    stat: list[int]  # size, mtime_ns, ctime_ns, inode, device

    @staticmethod
    def at(path: str | os.PathLike[str]) -> LessonFile:
        name = os.fspath(path)
        try:
            st = os.stat(name)
        except OSError as e:
            raise unreadable(name, e) from None
        return LessonFile(name, [st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino, st.st_dev])

    def read(self) -> bytes:
        return read_lesson_file(self.name)[1]


def iter_lesson_files(paths: Iterable[str | os.PathLike[str]]) -> Iterator[LessonFile]:
    """The files as LessonFile (stat only), for plan_files / import_files."""
    for p in paths:
        yield LessonFile.at(p)


def read_files(paths: Iterable[str | os.PathLike[str]]) -> list[tuple[str, bytes]]:
    """(name, bytes) of each file, all read now (LessonError for the first unreadable one)."""
    return [read_lesson_file(p) for p in paths]


@gc_paused  # (plan and apply pause it too; without a pause between them)
def import_lessons(
    col: Collection,
    lessons: Sequence[Lesson],
    config: Config,
    deck_root: str | None = None,
) -> ImportResult:
    """Plan and apply parsed lessons in one undo step."""
    return apply_plan(col, plan_import(col, lessons, config, deck_root), config)


@gc_paused  # (plan and apply pause it too; without a pause between them)
def import_files(
    col: Collection,
    files: Iterable[tuple[str, bytes] | LessonFile],
    config: Config,
    deck_root: str | None = None,
    cache_path: Path | None = None,
) -> ImportResult:
    """Parse, plan and apply (file name, bytes) pairs or LessonFiles; nothing changes if any file
    is refused."""
    settle = threading.Thread(target=_sync_log, args=(col.path,), name="lesson-flashcards-log")
    settle.start()
    try:
        plan = plan_files(col, files, config, deck_root, cache_path)
    finally:
        settle.join()
    return apply_plan(col, plan, config, cache_path, release_text=True)


def _sync_log(collection_path: str) -> None:
    """Sync the collection's write-ahead log file to disk, if there is one. SQLite creates it
    when the collection is opened, and the first commit after that syncs it: on a journaling
    file system that first sync also waits for the file's creation to reach the journal (70 ms
    of a 10 ms commit here). Done in a thread while the files are read, the import's commit is
    left with the writes. (A sync changes nothing; where it cannot be done, nothing is lost.)"""
    try:
        fd = os.open(collection_path + "-wal", os.O_RDONLY)
    except OSError:
        return  # no write-ahead log (another journal mode), or not readable
    try:
        os.fsync(fd)
    except OSError:
        pass  # e.g. Windows needs write access to flush a file
    finally:
        os.close(fd)


def retired_counts(col: Collection, config: Config) -> tuple[int, int]:
    """(notes, review log entries) that ``delete_retired`` would delete."""
    nids = col.find_notes(f'"tag:{naming.retired_tag(config)}"')
    if not nids:
        return 0, 0
    reviews = _db(col).scalar(
        "select count() from revlog where cid in (select id from cards where nid in "
        f"({','.join(map(str, nids))}))"
    )
    return len(nids), int(reviews or 0)


def delete_retired(col: Collection, config: Config) -> OpChangesWithCount:
    """Delete the notes an import retired (an explicit user command, undoable)."""
    nids = col.find_notes(f'"tag:{naming.retired_tag(config)}"')
    return col.remove_notes(nids)
