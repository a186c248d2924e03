"""Scheduling from the lesson file, kept in collection data that syncs (anki only, never aqt).

Why presets (see DESIGN.md): reviews also happen on AnkiDroid/AnkiMobile, which run the same
scheduler on synced data, so the lesson's schedule lives in deck presets, card positions,
suspensions and collection config, never in a desktop answer hook.

- :func:`configure_decks`: each difficulty subdeck goes on an add-on preset, one per distinct
  (initial interval, multiplier) pair, shared across lessons ("Lesson Flashcards · 3d × 2.0"):
  graduating interval = initial interval, easy interval above it, starting ease = multiplier,
  interval modifier 1.0, new cards gathered by position. The lesson deck above the subdecks goes
  and the deck root above it (``config.deck_root``) go on "Lesson Flashcards · lesson order"
  (new cards by position, so Easy comes before Medium before Hard instead of Anki's alphabetical
  deck order, which would put Hard before Medium) when they are on the Default preset.
  Under FSRS (collection-wide switch) the multipliers do not apply: the presets carry a desired
  retention per difficulty (``config.fsrs_desired_retention``) and a message says so.
  Everything goes through ``update_deck_configs`` (an undoable op, so it merges into the
  importer's undo step; the legacy ``add_config``/``update_config`` path clears the undo queue),
  with the collection's custom scheduling code, FSRS switch, review-limit settings and the
  deck's own limits passed back unchanged. The user's own presets are never modified: a new
  add-on preset is cloned from the deck's previous preset (or Default), so daily limits, learning
  steps and FSRS parameters carry over; afterwards only the fields above are kept up to date.
- :func:`order_new_cards`: new cards repositioned in the lesson's order; learning/review
  cards are never touched.
- Holds: :func:`parse_prerequisites` reads "After mastering Cards 1-2" / "Review after all
  others mastered"; :func:`update_holds` suspends the dependent cards that are still new (tag
  ``<tag_root>::waiting``) until every prerequisite card has an interval of at least
  ``config.mastery_interval_days``; :func:`release_holds` (GUI: on profile open and after each
  sync) unsuspends them. What is held is remembered in the collection config key
  :data:`HOLDS_KEY` (it syncs), so only cards the add-on suspended are ever unsuspended; the
  reason is written into the lesson deck's description between
  ``<!-- lesson-flashcards:waiting -->`` and ``<!-- /lesson-flashcards:waiting -->``.
"""

from __future__ import annotations

import functools
import html
import itertools
import math
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from anki.cards import CardId
from anki.collection import Collection, OpChangesWithCount
from anki.deck_config_pb2 import DeckConfig
from anki.decks import DeckId, UpdateDeckConfigs, UpdateDeckConfigsMode
from anki.notes import NoteId

from ..config import Config
from ..lesson.model import Lesson
from . import naming
from .decks import DEFAULT_PRESET_ID, DeckEdits, DeckIndex
from .undo import UndoStep, noop

PRESET_PREFIX = "Lesson Flashcards · "
ORDER_PRESET_NAME = PRESET_PREFIX + "lesson order"
PRESETS_KEY = "lessonFlashcardsPresets"  # {"3|2": dcid, "order": dcid}
HOLDS_KEY = "lessonFlashcardsHolds"
WAITING_BLOCK_START = "<!-- lesson-flashcards:waiting -->"
WAITING_BLOCK_END = "<!-- /lesson-flashcards:waiting -->"
RELEASE_UNDO_NAME = "Release Waiting Lesson Cards"

MIN_EASE = 1.31  # Anki replaces a starting ease outside 1.31-5.0 by its default when read back
MAX_EASE = 5.0
MAX_INITIAL_INTERVAL = 36500

_C = DeckConfig.Config
_GATHER_BY_POSITION = _C.NEW_CARD_GATHER_PRIORITY_LOWEST_POSITION
_SORT_AS_GATHERED = _C.NEW_CARD_SORT_ORDER_NO_SORT
_INSERT_IN_ORDER = _C.NEW_CARD_INSERT_ORDER_DUE
_DEFAULT_PRESET_ID = DEFAULT_PRESET_ID
_DEFAULT_DECK_ID = 1

# card type / queue values (anki.consts)
_TYPE_NEW = 0
_TYPE_REVIEW = 2
_TYPE_RELEARNING = 3
_QUEUE_SUSPENDED = -1


@dataclass
class DeckSchedule:
    deck_id: int
    difficulty: str  # "easy" | "medium" | "hard"
    initial_interval_days: int
    multiplier: float


# ---------------------------------------------------------------------------
# Presets


def fsrs_enabled(col: Collection) -> bool:
    return bool(col.get_config("fsrs", False))


def preset_name(initial_interval_days: int, multiplier: float) -> str:
    return f"{PRESET_PREFIX}{initial_interval_days}d × {_mult_label(multiplier)}"


def _mult_label(multiplier: float) -> str:
    text = f"{multiplier:.2f}".rstrip("0")
    return text + "0" if text.endswith(".") else text


def _pair_key(ivl: int, mult: float) -> str:
    return f"{ivl}|{mult:g}"


def easy_interval(initial_interval_days: int, multiplier: float) -> int:
    """The Easy button's graduating interval: initial × multiplier, at least one day more."""
    return max(initial_interval_days + 1, math.ceil(initial_interval_days * multiplier - 1e-9))


def _close(a: float, b: float) -> bool:
    return abs(a - b) < 1e-4  # presets store float32


def _presets(col: Collection) -> dict[str, int]:
    value = col.get_config(PRESETS_KEY, {})
    return {str(k): int(v) for k, v in value.items()} if isinstance(value, dict) else {}


def _all_configs(col: Collection, deck_id: int) -> tuple[Any, dict[int, DeckConfig]]:
    info = col.decks.get_deck_configs_for_update(DeckId(deck_id))
    return info, {c.config.id: c.config for c in info.all_config}


def _find_preset(
    known: dict[str, int], key: str, name: str, configs: dict[int, DeckConfig]
) -> DeckConfig | None:
    dcid = known.get(key)
    if dcid in configs:
        return configs[dcid]
    for conf in configs.values():  # e.g. the mapping was lost; the name is ours
        if conf.name == name:
            return conf
    return None


def _assign(col: Collection, deck_id: int, preset: DeckConfig) -> int:
    """Save ``preset`` and put ``deck_id`` on it through the undoable deck-options op, passing back
    the collection's current custom scheduling code, FSRS switch, review-limit settings and the
    deck's own limits so that none of them changes. Returns the preset's id."""
    _save_presets(col, deck_id, [preset])
    deck = col.decks.get(DeckId(deck_id))
    assert deck is not None
    return int(deck["conf"])


def _save_presets(col: Collection, deck_id: int, presets: list[DeckConfig]) -> None:
    """Save ``presets`` (new ones when their id is 0) in one ``update_deck_configs``; ``deck_id``
    goes on the last of them (Anki's rule), everything else passed back unchanged."""
    info = col.decks.get_deck_configs_for_update(DeckId(deck_id))
    limits = type(info.current_deck.limits)()
    limits.CopyFrom(info.current_deck.limits)
    # An inactive "today only" limit is reported with its old value; sending it back would
    # switch it on for today.
    if not limits.review_today_active:
        limits.ClearField("review_today")
    if not limits.new_today_active:
        limits.ClearField("new_today")
    request = UpdateDeckConfigs(
        target_deck_id=deck_id,
        configs=presets,
        mode=UpdateDeckConfigsMode.UPDATE_DECK_CONFIGS_MODE_NORMAL,
        card_state_customizer=info.card_state_customizer,
        limits=limits,
        new_cards_ignore_review_limit=info.new_cards_ignore_review_limit,
        fsrs=info.fsrs,
        apply_all_parent_limits=info.apply_all_parent_limits,
        fsrs_reschedule=False,
        fsrs_health_check=info.fsrs_health_check,
    )
    col.decks.update_deck_configs(request)


def _clamped(ivl: int, mult: float) -> tuple[int, float]:
    ivl = min(max(1, int(ivl)), MAX_INITIAL_INTERVAL)
    mult = round(float(mult), 2)
    return ivl, min(max(mult, MIN_EASE), MAX_EASE)


def _retention(by_difficulty: Mapping[str, float], difficulties: Iterable[str]) -> float | None:
    """Desired retention of a preset shared by these difficulties: the highest they ask for."""
    wanted = [by_difficulty[d] for d in difficulties if d in by_difficulty]
    return max(wanted) if wanted else None


def _preset_for(
    known: dict[str, int],
    key: str,
    name: str,
    configs: dict[int, DeckConfig],
    base: Callable[[], DeckConfig],
    set_fields: Callable[[DeckConfig], bool],
) -> tuple[DeckConfig, bool]:
    """The add-on preset for ``key`` (found, or new from ``base()``) with ``set_fields`` applied.
    -> (preset, whether it must be saved)."""
    preset = _find_preset(known, key, name, configs)
    if preset is None:
        preset = _new_preset(base(), name)
        set_fields(preset)
        return preset, True
    return preset, set_fields(preset)


@dataclass
class NewDeck:
    """A deck an import is about to create, with its preset and description from the start."""

    name: str
    schedule: DeckSchedule | None  # None: a lesson deck or the deck root ("lesson order")
    description: str = ""


def prepare_new_decks(
    col: Collection,
    config: Config,
    new: list[NewDeck],
    checkpoint: Callable[[], None] = noop,
) -> dict[int, int]:
    """Create decks on their add-on preset with their description in one operation each (rather
    than letting the note import create them on Default and updating each afterwards). Returns
    the preset of each deck created (by deck id).

    Missing or outdated add-on presets are saved first, all in one ``update_deck_configs`` whose
    target is the Default deck, sent back on its own preset (so it does not change).
    :func:`configure_decks` afterwards finds these decks already as they should be."""
    if not new:
        return {}
    retention_by_diff = {k.lower(): float(v) for k, v in config.fsrs_desired_retention.items()}
    diffs_by_pair: dict[tuple[int, float], set[str]] = {}
    for nd in new:
        if nd.schedule is not None:
            pair = _clamped(nd.schedule.initial_interval_days, nd.schedule.multiplier)
            diffs_by_pair.setdefault(pair, set()).add(nd.schedule.difficulty.lower())
    known = _presets(col)
    info, configs = _all_configs(col, _DEFAULT_DECK_ID)
    # (a Default deck pointing at a missing preset is on preset 1 as far as Anki is concerned)
    default_conf = configs.get(info.current_deck.config_id) or configs.get(_DEFAULT_PRESET_ID)
    to_save: list[DeckConfig] = []
    chosen: dict[Any, DeckConfig] = {}

    def base() -> DeckConfig:  # new decks start on Default
        return configs.get(_DEFAULT_PRESET_ID) or next(iter(configs.values()))

    for (ivl, mult), diffs in diffs_by_pair.items():
        retention = _retention(retention_by_diff, diffs)
        preset, dirty = _preset_for(
            known,
            _pair_key(ivl, mult),
            preset_name(ivl, mult),
            configs,
            base,
            functools.partial(_set_schedule_fields, ivl=ivl, mult=mult, retention=retention),
        )
        if dirty:
            to_save.append(preset)
        chosen[(ivl, mult)] = preset
    if any(nd.schedule is None for nd in new):
        order, dirty = _preset_for(
            known, "order", ORDER_PRESET_NAME, configs, base, _set_order_fields
        )
        if dirty:
            to_save.append(order)
        chosen["order"] = order
    if to_save:
        if default_conf is None:
            raise RuntimeError("the Default deck has no preset")
        _save_presets(col, _DEFAULT_DECK_ID, [*to_save, default_conf])
        checkpoint()
        by_name: dict[str, int] = {}
        for c in sorted(_all_configs(col, _DEFAULT_DECK_ID)[1].values(), key=lambda c: c.id):
            by_name[c.name] = c.id
        for preset in to_save:
            if not preset.id:
                preset.id = by_name[preset.name]
    stored = dict(known)
    for key, preset in chosen.items():
        stored[key if key == "order" else _pair_key(*key)] = preset.id
    if stored != known:
        col.set_config(PRESETS_KEY, stored, undoable=True)
    template = col.decks.new_deck_legacy(False)
    created: dict[int, int] = {}
    for i, nd in enumerate(sorted(new, key=lambda d: d.name.count("::"))):  # parents first
        deck = dict(template)  # only top-level keys change
        deck["name"] = nd.name
        if nd.schedule is None:
            deck["conf"] = chosen["order"].id
        else:
            pair = _clamped(nd.schedule.initial_interval_days, nd.schedule.multiplier)
            deck["conf"] = chosen[pair].id
        deck["desc"] = nd.description
        created[col.decks.add_deck_legacy(deck).id] = deck["conf"]
        if i % 8 == 7:  # one operation per deck; the undo step merges well before 30
            checkpoint()
    checkpoint()
    return created


def _base_for_clone(
    col: Collection, deck_id: int, configs: dict[int, DeckConfig], ours: set[int]
) -> DeckConfig:
    deck = col.decks.get(DeckId(deck_id))
    current = int(deck["conf"]) if deck and "conf" in deck else _DEFAULT_PRESET_ID
    if current in configs and current not in ours:
        return configs[current]
    return configs.get(_DEFAULT_PRESET_ID) or next(iter(configs.values()))


def _new_preset(base: DeckConfig, name: str) -> DeckConfig:
    conf = DeckConfig()
    conf.CopyFrom(base)
    conf.id = 0
    conf.name = name
    conf.mtime_secs = 0
    conf.usn = 0
    return conf


def _set_order_fields(conf: DeckConfig) -> bool:
    inner = conf.config
    changed = (
        inner.new_card_gather_priority != _GATHER_BY_POSITION
        or inner.new_card_sort_order != _SORT_AS_GATHERED
        or inner.new_card_insert_order != _INSERT_IN_ORDER
    )
    inner.new_card_gather_priority = _GATHER_BY_POSITION
    inner.new_card_sort_order = _SORT_AS_GATHERED
    inner.new_card_insert_order = _INSERT_IN_ORDER
    return changed


def _set_schedule_fields(conf: DeckConfig, ivl: int, mult: float, retention: float | None) -> bool:
    inner = conf.config
    easy = easy_interval(ivl, mult)
    changed = _set_order_fields(conf)
    changed |= (
        not _close(inner.graduating_interval_good, ivl)
        or not _close(inner.graduating_interval_easy, easy)
        or not _close(inner.initial_ease, mult)
        or not _close(inner.interval_multiplier, 1.0)
        or (retention is not None and not _close(inner.desired_retention, retention))
    )
    inner.graduating_interval_good = ivl
    inner.graduating_interval_easy = easy
    inner.initial_ease = mult
    inner.interval_multiplier = 1.0
    if retention is not None:
        inner.desired_retention = retention
    return changed


def configure_decks(
    col: Collection,
    config: Config,
    decks: list[DeckSchedule],
    edits: DeckEdits | None = None,
    checkpoint: Callable[[], None] = noop,
    index: DeckIndex | None = None,
) -> list[str]:
    """Put each deck on its add-on preset (see module doc). Returns messages for the summary.

    A preset that is new or changed is saved through ``update_deck_configs`` with its first
    deck; the other decks are switched to it through ``edits`` (one deck update each, written
    by the caller's ``edits.flush``; flushed here when no ``edits`` are given)."""
    messages: list[str] = []
    if not decks:
        return messages
    own_edits = edits is None
    queue = DeckEdits() if edits is None else edits
    fsrs = fsrs_enabled(col)
    retention_by_diff = {k.lower(): float(v) for k, v in config.fsrs_desired_retention.items()}

    # (interval, multiplier) -> decks, after clamping to what Anki accepts
    groups: dict[tuple[int, float], list[DeckSchedule]] = {}
    for d in decks:
        ivl, mult = _clamped(d.initial_interval_days, d.multiplier)
        if mult != round(float(d.multiplier), 2):
            messages.append(
                f"Multiplier {_mult_label(d.multiplier)}× is outside what Anki allows as a starting "
                f"ease ({MIN_EASE}–{MAX_EASE:g}); {_mult_label(mult)}× is used instead."
            )
        if ivl != d.initial_interval_days:
            messages.append(
                f"Initial interval {d.initial_interval_days} days is out of range; {ivl} is used."
            )
        groups.setdefault((ivl, mult), []).append(d)

    index = DeckIndex(col) if index is None else index
    known = _presets(col)
    first_deck = decks[0].deck_id
    _info, configs = _all_configs(col, first_deck)
    ours = {v for v in known.values() if v in configs}
    stored = dict(known)
    retention_notes: list[str] = []
    for (ivl, mult), members in groups.items():
        key = _pair_key(ivl, mult)
        name = preset_name(ivl, mult)
        diffs = sorted({m.difficulty.lower() for m in members})
        retention = _retention(retention_by_diff, diffs)
        if fsrs and len({retention_by_diff[x] for x in diffs if x in retention_by_diff}) > 1:
            retention_notes.append(
                f"{name} is shared by {', '.join(diffs)} cards; it asks for the highest retention ({retention:.0%})."
            )
        preset, dirty = _preset_for(
            known,
            key,
            name,
            configs,
            functools.partial(_base_for_clone, col, members[0].deck_id, configs, ours),
            functools.partial(_set_schedule_fields, ivl=ivl, mult=mult, retention=retention),
        )
        for member in members:
            current = index.conf(member.deck_id)
            if current is None:
                continue  # a filtered deck or gone
            if dirty:
                preset.id = _assign(col, member.deck_id, preset)
                checkpoint()
                dirty = False
                configs[preset.id] = preset
                ours.add(preset.id)
            elif current != preset.id:
                queue.set_conf(member.deck_id, preset.id)
            index.confs[member.deck_id] = preset.id
        if preset.id:
            stored[key] = preset.id

    # The lesson deck: new cards by position (Easy, Medium, Hard), unless the user chose a preset.
    parents = {p for p in (index.parent(d.deck_id) for d in decks) if p is not None}
    # ... and the deck root above the lessons ("Lessons"), so studying it keeps that order too.
    for p in list(parents):
        root = index.parent(p)
        if root is not None and index.names.get(root) == naming.deck_root_name(config):
            parents.add(root)
    order_preset = _find_preset(known, "order", ORDER_PRESET_NAME, configs)
    order_dirty = order_preset is not None and _set_order_fields(order_preset)
    for parent in sorted(parents):
        current = index.conf(parent)
        if current is None:
            continue
        if order_preset is not None and current == order_preset.id:
            if not order_dirty:
                continue
        elif current != _DEFAULT_PRESET_ID:
            continue  # the user's own preset on the lesson deck: leave it alone
        if order_preset is None:
            order_preset = _new_preset(configs[current], ORDER_PRESET_NAME)
            _set_order_fields(order_preset)
            order_dirty = True
        if order_dirty:
            order_preset.id = _assign(col, parent, order_preset)
            checkpoint()
            order_dirty = False
            configs[order_preset.id] = order_preset
        else:
            queue.set_conf(parent, order_preset.id)
    if order_preset is not None and order_preset.id:
        stored["order"] = order_preset.id

    if stored != known:
        col.set_config(PRESETS_KEY, stored, undoable=True)
    if own_edits:
        queue.flush(col, checkpoint)

    if fsrs:
        parts = ", ".join(
            f"{d.title()} {retention_by_diff[d]:.0%}"
            for d in ("easy", "medium", "hard")
            if d in retention_by_diff and any(m.difficulty.lower() == d for m in decks)
        )
        messages.append(
            "FSRS is on in this collection, so the lesson's difficulty multipliers do not apply: "
            f"the lesson presets ask for a desired retention by difficulty ({parts}) instead. "
            "Your FSRS parameters, your FSRS setting and your custom scheduling were left as they were."
        )
        messages += retention_notes
    return messages


# ---------------------------------------------------------------------------
# New-card order


def order_new_cards(col: Collection, card_ids: list[int]) -> None:
    """Reposition the new cards among ``card_ids`` (already in lesson order) so Anki shows them in
    that order; cards in learning or review are left alone. No change when already in order."""
    order_new_cards_many(col, [card_ids])


def order_new_cards_many(
    col: Collection, lessons: list[list[int]], checkpoint: Callable[[], None] = noop
) -> int:
    """:func:`order_new_cards` for several lessons, reading all positions in one query; only the
    lessons out of order are repositioned (one operation each). -> lessons repositioned."""
    assert col.db is not None
    wanted = sorted({int(c) for ids in lessons for c in ids})
    due: dict[int, int] = {}
    for start in range(0, len(wanted), 20000):
        ids = ",".join(map(str, wanted[start : start + 20000]))
        due.update(
            (int(cid), int(pos))
            for cid, pos in col.db.all(
                f"select id, due from cards where type = {_TYPE_NEW} and id in ({ids})"
            )
        )
    moved = 0
    for card_ids in lessons:
        new_ids = [int(c) for c in card_ids if int(c) in due]
        if not new_ids:
            continue
        positions = [due[c] for c in new_ids]
        if all(a < b for a, b in itertools.pairwise(positions)):
            continue
        col.sched.reposition_new_cards(
            [CardId(c) for c in new_ids],
            starting_from=max(0, min(positions)),
            step_size=1,
            randomize=False,
            shift_existing=False,
        )
        moved += 1
        checkpoint()
    return moved


# ---------------------------------------------------------------------------
# Prerequisites ("Recommended Review")

_AFTER_MASTERING = re.compile(r"\bafter\b.*\bmaster", re.I)
_ALL_OTHERS = re.compile(r"\ball\s+(?:the\s+)?other", re.I)
_CARD_REFS = re.compile(r"\bcards?\s*#?\s*(\d[\d\s,;&/–—-]*(?:\s*(?:and|&)\s*\d+)*)", re.I)
_AND = re.compile(r"\s*(?:and|&)\s*", re.I)
_LIST_SEP = re.compile(r"[,;/]")
_RANGE = re.compile(r"(\d+)\s*[-–—]\s*(\d+)")


def _numbers(text: str) -> list[int]:
    out: list[int] = []
    for m in _CARD_REFS.finditer(text):
        spec = _AND.sub(",", m.group(1))
        for part in _LIST_SEP.split(spec):
            part = part.strip()
            if not part:
                continue
            rng = _RANGE.fullmatch(part)
            if rng:
                a, b = int(rng.group(1)), int(rng.group(2))
                if a <= b and b - a <= 1000:
                    out.extend(range(a, b + 1))
            elif part.isdigit():
                out.append(int(part))
    return out


def prerequisites_from_text(
    text: str, card_number: int, all_numbers: Iterable[int]
) -> list[int] | None:
    """Card numbers one Recommended Review text waits for, ``None`` for "all others", [] for none.

    Only "after ... master..." holds a card back ("After mastering Cards 1-2", "Review after all
    others mastered"); "Review with Card 1" or "After card 1" only order it."""
    if not text or not _AFTER_MASTERING.search(text):
        return []
    if _ALL_OTHERS.search(text):
        return None
    known = set(all_numbers)
    return sorted({n for n in _numbers(text) if n != card_number and n in known})


def parse_prerequisites(lesson: Lesson) -> dict[int, list[int]]:
    """Card number -> the card numbers that must be mastered first (only cards that wait)."""
    numbers = [c.number for c in lesson.cards]
    raw: dict[int, list[int] | None] = {}
    for card in lesson.cards:
        pre = prerequisites_from_text(card.recommended_review, card.number, numbers)
        if pre is None or pre:
            raw[card.number] = pre
    all_others = {n for n, v in raw.items() if v is None}
    out: dict[int, list[int]] = {}
    for n, pre in raw.items():
        out[n] = pre if pre is not None else [m for m in numbers if m != n and m not in all_others]
    # Drop edges that would make cards wait for each other forever.
    for n in sorted(out):
        out[n] = [m for m in out[n] if not _reaches(out, m, n)]
    return {n: v for n, v in out.items() if v}


def _reaches(graph: Mapping[int, list[int]], start: int, target: int) -> bool:
    seen: set[int] = set()
    stack = [start]
    while stack:
        x = stack.pop()
        if x == target:
            return True
        if x in seen:
            continue
        seen.add(x)
        stack.extend(graph.get(x, []))
    return False


# ---------------------------------------------------------------------------
# Holds


def _holds(col: Collection) -> dict[str, dict[str, Any]]:
    value = col.get_config(HOLDS_KEY, {})
    return value if isinstance(value, dict) else {}


def _save_holds(col: Collection, holds: dict[str, dict[str, Any]], before: Any) -> None:
    if holds != before:
        col.set_config(HOLDS_KEY, holds, undoable=True)


def _note_cards(col: Collection, nids: Iterable[int]) -> dict[int, list[tuple[int, int, int, int]]]:
    """nid -> [(cid, type, queue, ivl)]."""
    ids = sorted({int(n) for n in nids})
    out: dict[int, list[tuple[int, int, int, int]]] = {n: [] for n in ids}
    if not ids:
        return out
    assert col.db is not None
    for cid, nid, ctype, queue, ivl in col.db.all(
        f"select id, nid, type, queue, ivl from cards where nid in ({','.join(map(str, ids))})"
    ):
        out[nid].append((cid, ctype, queue, ivl))
    return out


def _notes_with_tag(col: Collection, nids: Iterable[int], tag: str) -> set[int]:
    """The notes among ``nids`` that carry ``tag`` (case-insensitive, as Anki compares tags).
    SQL's LIKE, which ignores the case of ASCII letters only, narrows the rows to those whose
    tags contain the tag's ASCII end (e.g. "::retired"); the comparison in Python decides."""
    ids = sorted({int(n) for n in nids})
    if not ids:
        return set()
    low = tag.lower()
    end = len(tag)
    while end > 0 and tag[end - 1].isascii():
        end -= 1
    pattern = tag[end:].replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    assert col.db is not None
    return {
        int(nid)
        for nid, tags in col.db.all(
            f"select id, tags from notes where id in ({','.join(map(str, ids))}) "
            "and tags like ? escape '\\'",
            f"%{pattern}%",
        )
        if low in tags.lower().split()
    }


def _mastered(cards: list[tuple[int, int, int, int]] | None, days: int) -> bool:
    """A prerequisite note is mastered when each of its cards reached an interval >= ``days``
    (a note that no longer exists holds nothing back)."""
    if not cards:
        return True
    return all(
        ctype in (_TYPE_REVIEW, _TYPE_RELEARNING) and ivl >= days for _cid, ctype, _q, ivl in cards
    )


def _cards_phrase(numbers: list[int]) -> str:
    nums = sorted(numbers)
    if len(nums) == 1:
        return f"card {nums[0]}"
    return "cards " + ", ".join(map(str, nums[:-1])) + f" and {nums[-1]}"


def _evaluate(
    col: Collection,
    config: Config,
    entry: dict[str, Any],
    may_hold: bool,
    cards: dict[int, list[tuple[int, int, int, int]]],
    retired_nids: set[int],
) -> tuple[list[int], list[int], dict[int, list[int]], list[int]]:
    """-> (cards to hold, cards to release, waiting card number -> unmastered prerequisites,
    held cards to forget: reviewed, retired, or unsuspended by the user).

    ``entry["done"]`` lists cards released once (by mastery or by the user): never held again."""
    prereq = {int(k): [int(x) for x in v] for k, v in entry.get("prereq", {}).items()}
    notes = {int(k): int(v) for k, v in entry.get("notes", {}).items()}
    held = {int(c) for c in entry.get("held", [])}
    done = {int(c) for c in entry.get("done", [])}
    retired = naming.retired_tag(config).lower()
    to_hold: list[int] = []
    to_release: list[int] = []
    waiting: dict[int, list[int]] = {}
    forget: list[int] = []
    for number, pres in sorted(prereq.items()):
        nid = notes.get(number)
        if nid is None:
            continue
        missing = [
            p
            for p in pres
            if p in notes and not _mastered(cards.get(notes[p]), config.mastery_interval_days)
        ]
        is_retired = nid in retired_nids
        for cid, ctype, queue, _ivl in cards.get(nid, []):
            if cid in held:
                if is_retired or ctype != _TYPE_NEW:
                    forget.append(cid)  # the retirement owns the suspension now; or it was studied
                elif queue != _QUEUE_SUSPENDED:
                    forget.append(cid)  # the user unsuspended it: their choice stands
                    done.add(cid)
                elif not missing or not config.hold_until_mastered:
                    to_release.append(cid)
                    done.add(cid)
                else:
                    waiting.setdefault(number, missing)
            elif (
                may_hold
                and missing
                and config.hold_until_mastered
                and not is_retired
                and ctype == _TYPE_NEW
                and queue != _QUEUE_SUSPENDED  # suspended by the user: not ours to manage
                and cid not in done
            ):
                to_hold.append(cid)
                waiting.setdefault(number, missing)
    # Held cards no longer waiting for anything (the file changed, or the card left the lesson).
    seen = {cid for nid in (notes.get(n) for n in prereq) if nid for cid, *_ in cards.get(nid, [])}
    stray = sorted(held - seen)
    if stray:
        assert col.db is not None
        rows = col.db.all(
            f"select c.id, c.type, c.queue, n.tags from cards c join notes n on n.id = c.nid "
            f"where c.id in ({','.join(map(str, stray))})"
        )
        for cid, ctype, queue, note_tags in rows:
            if (
                ctype == _TYPE_NEW
                and queue == _QUEUE_SUSPENDED
                and retired not in note_tags.lower().split()
            ):
                to_release.append(cid)
                done.add(cid)
            else:
                forget.append(cid)
        gone = set(stray) - {int(r[0]) for r in rows}
        forget.extend(sorted(gone))
    entry["done"] = sorted(done)
    return to_hold, to_release, waiting, forget


def waiting_html(config: Config, waiting: dict[int, list[int]]) -> str:
    if not waiting:
        return ""
    items = "".join(
        f"<li>Card {n} waits until {html.escape(_cards_phrase(pres))} "
        f"{'is' if len(pres) == 1 else 'are'} mastered.</li>"
        for n, pres in sorted(waiting.items())
    )
    return (
        f"{WAITING_BLOCK_START}<p><b>Waiting cards</b> (suspended, tagged "
        f"<code>{html.escape(naming.waiting_tag(config))}</code>; they come back by themselves once "
        f"their prerequisite cards reach an interval of {config.mastery_interval_days} days):</p>"
        f"<ul>{items}</ul>{WAITING_BLOCK_END}"
    )


_BLOCK = re.compile(
    r"\n?" + re.escape(WAITING_BLOCK_START) + r".*?" + re.escape(WAITING_BLOCK_END), re.S
)


def put_waiting_block(deck: dict[str, Any], block: str) -> None:
    """Replace (or add, or remove) the waiting block in the deck description; the rest stays."""
    old = deck.get("desc", "") or ""
    replacement = ("\n" + block) if block and old.strip() else block
    if _BLOCK.search(old):
        new = _BLOCK.sub(lambda _m: replacement, old, count=1)
    elif block:
        new = old.rstrip("\n") + replacement
    else:
        return
    if new != old:
        deck["desc"] = new


def _entry_nids(entry: dict[str, Any]) -> set[int]:
    return {int(v) for v in entry.get("notes", {}).values()}


def _waiting_nids(entry: dict[str, Any]) -> set[int]:
    """The notes of the entry's cards that have prerequisites."""
    waiting = {int(k) for k in entry.get("prereq", {})}
    return {int(v) for k, v in entry.get("notes", {}).items() if int(k) in waiting}


def _apply_entries(
    col: Collection,
    config: Config,
    entries: list[dict[str, Any]],
    may_hold: bool,
    edits: DeckEdits,
) -> list[tuple[int, int, dict[int, list[int]]]]:
    """Hold/release the cards of several lessons as their prerequisites say, in a few bulk
    operations (one suspend, one unsuspend, one retag); the waiting blocks of the lesson decks
    go to ``edits``. -> (held now, released, waiting) per entry."""
    needed: set[int] = set()
    for entry in entries:
        needed |= _entry_nids(entry)
    cards = _note_cards(col, needed)
    # (only the notes of cards that wait can be retired ones that matter)
    retired_nids = _notes_with_tag(
        col, {n for e in entries for n in _waiting_nids(e)}, naming.retired_tag(config)
    )
    all_hold: list[int] = []
    all_release: list[int] = []
    all_held: set[int] = set()
    touched: set[int] = set()
    out = []
    for entry in entries:
        to_hold, to_release, waiting, forget = _evaluate(
            col, config, entry, may_hold, cards, retired_nids
        )
        held = {int(c) for c in entry.get("held", [])}
        held = (held | set(to_hold)) - set(to_release) - set(forget)
        entry["held"] = sorted(held)
        all_hold += to_hold
        all_release += to_release
        all_held |= held
        touched |= set(to_hold) | set(to_release) | set(forget)
        block = waiting_html(config, waiting)
        edits.add(int(entry.get("deck", 0)), functools.partial(put_waiting_block, block=block))
        out.append((len(to_hold), len(to_release), waiting))
    if all_hold:
        col.sched.suspend_cards([CardId(c) for c in all_hold])
    if all_release:
        col.sched.unsuspend_cards([CardId(c) for c in all_release])
    _retag(col, naming.waiting_tag(config), all_held, touched)
    return out


def _retag(col: Collection, tag: str, held: set[int], touched: set[int]) -> None:
    """Notes with a held card carry the waiting tag; touched notes without one lose it."""
    if not touched:
        return
    assert col.db is not None
    ids = ",".join(map(str, sorted(held | touched)))
    nid_of: dict[int, int] = {
        int(c): int(n) for c, n in col.db.all(f"select id, nid from cards where id in ({ids})")
    }
    waiting_nids = {nid_of[c] for c in held if c in nid_of}
    touched_nids = {nid_of[c] for c in touched if c in nid_of}
    add = sorted(waiting_nids)
    remove = sorted(touched_nids - waiting_nids)
    tagged = _notes_with_tag(col, add + remove, tag)
    add = [n for n in add if n not in tagged]
    remove = [n for n in remove if n in tagged]
    if add:
        col.tags.bulk_add([NoteId(n) for n in add], tag)
    if remove:
        col.tags.bulk_remove([NoteId(n) for n in remove], tag)


@dataclass
class LessonHolds:
    identity: str  # Lesson.identity
    deck_id: int  # the lesson deck (its description says what waits)
    prerequisites: dict[int, list[int]]  # card number -> card numbers to master first
    note_ids_by_card: dict[int, int]  # card number -> note id (current notes)


def update_holds(
    col: Collection,
    config: Config,
    lessons: list[LessonHolds],
    edits: DeckEdits | None = None,
) -> list[str]:
    """Hold back the lessons' dependent cards that are still new until their prerequisites are
    mastered (see module doc); remember the holds in the collection config. The deck
    descriptions go to ``edits`` (flushed here when none are given). -> summary messages."""
    queue = DeckEdits() if edits is None else edits
    holds = _holds(col)
    before = {k: dict(v) for k, v in holds.items()}
    entries: list[tuple[LessonHolds, dict[str, Any]]] = []
    for item in lessons:
        prereq = {str(k): sorted({int(x) for x in v}) for k, v in item.prerequisites.items() if v}
        if not prereq and item.identity not in holds:
            continue  # nothing waits and nothing was ever held
        entry = dict(holds.get(item.identity, {}))
        entry["deck"] = int(item.deck_id)
        entry["prereq"] = prereq
        entry["notes"] = {str(k): int(v) for k, v in item.note_ids_by_card.items()}
        entry.setdefault("held", [])
        entries.append((item, entry))
    results = _apply_entries(col, config, [e for _, e in entries], True, queue)
    messages: list[str] = []
    for (item, entry), (held_now, released, waiting) in zip(entries, results, strict=True):
        if entry["held"] or entry["prereq"]:
            holds[item.identity] = entry
        else:
            holds.pop(item.identity, None)
        if not ((waiting and held_now) or released):
            continue
        label = (col.decks.name_if_exists(DeckId(item.deck_id)) or "").rsplit("::", 1)[-1]
        if waiting and held_now:
            parts = "; ".join(
                f"card {n} after {_cards_phrase(p)}" for n, p in sorted(waiting.items())
            )
            messages.append(
                f"{label}: {len(waiting)} card{'s' if len(waiting) != 1 else ''} wait until their "
                f"prerequisites reach an interval of {config.mastery_interval_days} days ({parts}); "
                f"they are suspended and tagged {naming.waiting_tag(config)} until then."
            )
        if released:
            messages.append(
                f"{label}: {released} waiting card{'s' if released != 1 else ''} released."
            )
    _save_holds(col, holds, before)
    if edits is None:
        queue.flush(col)
    return messages


def release_holds(col: Collection, config: Config, checkpoint: Callable[[], None] = noop) -> int:
    """Unsuspend the held cards whose prerequisites are now mastered (all of them when
    ``hold_until_mastered`` is off) and refresh the deck descriptions. Holds nothing new (that
    happens at import). -> number of cards released."""
    holds = _holds(col)
    before = {k: dict(v) for k, v in holds.items()}
    identities = [i for i in holds if holds[i].get("held")]
    entries = [dict(holds[i]) for i in identities]
    edits = DeckEdits()
    results = _apply_entries(col, config, entries, False, edits)
    for identity, entry in zip(identities, entries, strict=True):
        holds[identity] = entry
    _save_holds(col, holds, before)
    checkpoint()
    edits.flush(col, checkpoint)
    return sum(n for _held, n, _waiting in results)


def release_holds_op(col: Collection, config: Config) -> OpChangesWithCount:
    """:func:`release_holds` as one undo step, for ``CollectionOp`` in the GUI."""
    step = UndoStep(col, RELEASE_UNDO_NAME)
    try:
        count = release_holds(col, config, step.checkpoint)
        out = OpChangesWithCount(count=count)
        out.changes.CopyFrom(step.finish())
    except BaseException:
        step.roll_back()
        raise
    return out
