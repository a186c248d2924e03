"""The critical-knowledge review filter and the browser's saved searches.

A filtered deck (``config.critical_deck``, "Lessons::Critical Knowledge" by default) whose
search lives in the deck itself, so that its Rebuild button selects the same cards on the
desktop, AnkiDroid and AnkiMobile: the critical cards of the imported lessons that are due
or new and not suspended, retired or waiting; cards tagged with a key concept of a lesson's
Critical Knowledge Summary come first (the first of the deck's two search terms), the other
critical cards after them (the second term). Rescheduling is on, so a review there counts as
an ordinary review under the card's own preset and the card then goes back to its lesson deck.

The importer calls ``ensure_filter_deck`` on every import: it creates the deck *empty*
(added as a deck, never built) or updates its search terms, and never moves a card. The
deck is filled only when the learner asks (``rebuild_critical``, the per-lesson
``rebuild_lesson_critical``, or the deck's own Rebuild button).

Anki only, never aqt; every function takes the collection.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from anki.collection import Collection, OpChangesWithCount
from anki.decks import DeckId

from ..config import Config
from . import naming

# Deck.Filtered.SearchTerm.Order.DUE: most overdue reviews first, new cards in their
# lesson order (the importer sets new-card positions by difficulty, then card number).
ORDER_DUE = 6
TERM_LIMIT = 9999
DIFFICULTIES = ("easy", "medium", "hard")
UNDO_REBUILD = "Review Critical Knowledge"
LESSON_SEPARATOR = " - "  # filtered decks cannot have subdecks: per-lesson decks are siblings


class ReviewFilterError(ValueError):
    """The configured deck name cannot hold a filtered deck (what to change is in the message)."""


# ---------------------------------------------------------------------------
# Searches


def _escape(text: str) -> str:
    """Literal text inside a quoted search term (``_`` and ``*`` are wildcards in Anki searches)."""
    out = text.replace("\\", "\\\\").replace('"', '\\"')
    return out.replace("*", "\\*").replace("_", "\\_")


def tag_term(tag: str) -> str:
    """A search for a tag and its child tags (``tag:a::b`` also matches ``a::b::c``)."""
    return f'"tag:{_escape(tag)}"'


def deck_term(name: str) -> str:
    return f'"deck:{_escape(name)}"'


def key_concept_term(config: Config) -> str:
    return tag_term(f"{config.tag_root}::key_concept")


def critical_search(config: Config, lesson_tag: str | None = None) -> str:
    """Critical cards that are due or new and not suspended, retired or waiting."""
    parts = [tag_term(naming.critical_tag(config))]
    if lesson_tag:
        parts.append(tag_term(lesson_tag))
    parts += [
        "-" + tag_term(naming.retired_tag(config)),
        "-" + tag_term(naming.waiting_tag(config)),
        "-is:suspended",
        "(is:due OR is:new)",
    ]
    return " ".join(parts)


def filter_terms(config: Config, lesson_tag: str | None = None) -> list[list[Any]]:
    """The deck's two search terms (legacy ``[search, limit, order]``): key concepts first."""
    base = critical_search(config, lesson_tag)
    key = key_concept_term(config)
    return [
        [f"{base} {key}", TERM_LIMIT, ORDER_DUE],
        [f"{base} -{key}", TERM_LIMIT, ORDER_DUE],
    ]


# ---------------------------------------------------------------------------
# The filtered decks


def critical_deck_name(config: Config) -> str:
    name = config.critical_deck.strip().strip(":")
    return name or f"{config.deck_root}::Critical Knowledge"


def lesson_critical_deck_name(config: Config, lesson_name: str) -> str:
    """'Lessons::Critical Knowledge - Lesson 04 - Transformers' (a sibling of the main deck)."""
    return f"{critical_deck_name(config)}{LESSON_SEPARATOR}{naming.clean_deck_part(lesson_name)}"


def _check_parents(col: Collection, name: str, config: Config) -> None:
    parts = name.split("::")
    for i in range(1, len(parts)):
        parent = "::".join(parts[:i])
        did = col.decks.id_for_name(parent)
        if did is not None and col.decks.is_filtered(did):
            raise ReviewFilterError(
                f"The critical-knowledge deck {name!r} would be inside the filtered deck {parent!r}, "
                "and filtered decks cannot have subdecks: change 'critical_deck' in the add-on's "
                f"config (now {config.critical_deck!r}) or rename that deck."
            )


def _ensure_filtered(col: Collection, name: str, terms: list[list[Any]], config: Config) -> DeckId:
    """Create the filtered deck ``name`` empty, or bring its search terms up to date (no rebuild).

    A normal deck the user made under that name is left alone: the filter then lives in
    ``<name> (filter)``.
    """
    did = col.decks.id_for_name(name)
    if did is not None and not col.decks.is_filtered(did):
        return _ensure_filtered(col, f"{name} (filter)", terms, config)
    if did is None:
        _check_parents(col, name, config)
        deck = col.decks.new_deck_legacy(True)
        deck["name"] = name
        deck["terms"] = terms
        deck["resched"] = True
        # Added as a deck, not through add_or_update_filtered_deck (which builds it at once):
        # no card moves until the learner asks.
        return DeckId(col.decks.add_deck_legacy(deck).id)
    current = col.decks.get(did)
    assert current is not None
    deck = current
    if deck.get("terms") != terms or not deck.get("resched"):
        deck["terms"] = terms
        deck["resched"] = True
        col.decks.update_dict(deck)  # saves the settings; the cards in it stay where they are
    return did


def ensure_filter_deck(col: Collection, config: Config) -> int:
    """The critical-knowledge filtered deck's id, created empty if missing (never filled here).

    Called by the importer on every import: an existing deck gets the current search terms
    (the tag root may have changed) without being rebuilt or emptied.
    """
    return int(_ensure_filtered(col, critical_deck_name(config), filter_terms(config), config))


def filter_deck_id(col: Collection, config: Config) -> int | None:
    """The filtered deck's id if it exists (no change to the collection)."""
    for name in (critical_deck_name(config), critical_deck_name(config) + " (filter)"):
        did = col.decks.id_for_name(name)
        if did is not None and col.decks.is_filtered(did):
            return int(did)
    return None


def _lesson_deck_ids(col: Collection, config: Config) -> list[DeckId]:
    """The per-lesson critical decks this module made (filtered siblings of the main deck)."""
    prefix = (critical_deck_name(config) + LESSON_SEPARATOR).lower()
    return [
        DeckId(d.id)
        for d in col.decks.all_names_and_ids(include_filtered=True)
        if d.name.lower().startswith(prefix) and col.decks.is_filtered(DeckId(d.id))
    ]


def _release(col: Collection, dids: Iterable[DeckId], search: str) -> None:
    """Empty those of ``dids`` that hold cards matching ``search`` (so a rebuild can take them)."""
    for did in dids:
        if col.find_cards(f"{search} did:{int(did)}"):
            col.sched.empty_filtered_deck(did)


def _build(
    col: Collection, did: DeckId, others: Sequence[DeckId], search: str
) -> OpChangesWithCount:
    pos = col.add_custom_undo_entry(UNDO_REBUILD)
    _release(col, [d for d in others if d != did], search)
    count = col.sched.rebuild_filtered_deck(did).count
    out = OpChangesWithCount(count=count)
    out.changes.CopyFrom(col.merge_undo_entries(pos))
    return out


def rebuild_critical_op(col: Collection, config: Config) -> OpChangesWithCount:
    """Fill the critical deck (one undo step); for ``CollectionOp`` in the GUI.

    Cards that a per-lesson critical deck holds go back first, so the rebuild sees them all.
    """
    did = DeckId(ensure_filter_deck(col, config))
    return _build(col, did, _lesson_deck_ids(col, config), tag_term(naming.critical_tag(config)))


def rebuild_critical(col: Collection, config: Config) -> int:
    """Rebuild the critical deck; the number of cards now in it (0: nothing critical to review)."""
    return int(rebuild_critical_op(col, config).count)


def rebuild_lesson_critical_op(
    col: Collection, config: Config, lesson_tag: str, lesson_name: str
) -> tuple[int, OpChangesWithCount]:
    """Create/rebuild the lesson's own critical deck (one undo step): (deck id, changes with count)."""
    did = _ensure_filtered(
        col,
        lesson_critical_deck_name(config, lesson_name),
        filter_terms(config, lesson_tag),
        config,
    )
    others = _lesson_deck_ids(col, config)
    main = filter_deck_id(col, config)
    if main is not None:
        others.append(DeckId(main))
    return int(did), _build(col, did, others, tag_term(lesson_tag))


def rebuild_lesson_critical(
    col: Collection, config: Config, lesson_tag: str, lesson_name: str
) -> tuple[int, int]:
    """(deck id, number of cards) of the lesson's critical deck, created on demand and rebuilt.

    The lesson's cards sitting in the main critical deck (or another lesson deck of ours)
    go back home first so the lesson deck can take them.
    """
    did, out = rebuild_lesson_critical_op(col, config, lesson_tag, lesson_name)
    return did, int(out.count)


def nothing_to_review_message(config: Config, lesson_name: str | None = None) -> str:
    where = f" in {lesson_name}" if lesson_name else ""
    return (
        f"No critical cards{where} are due or new right now. "
        "Cards come back here when they are due again; retired and waiting cards are left out."
    )


# ---------------------------------------------------------------------------
# Saved searches (collection config "savedFilters", shown in the browser sidebar; it syncs)

SAVED_SEARCHES_KEY = "savedFilters"


def saved_search_prefix(config: Config) -> str:
    return f"{config.deck_root}: "


def saved_searches(config: Config, lessons: Sequence[tuple[str, str]]) -> dict[str, str]:
    """The add-on's saved searches: name -> search, all named under ``saved_search_prefix``."""
    p = saved_search_prefix(config)
    root = config.tag_root
    critical = tag_term(naming.critical_tag(config))
    retired = tag_term(naming.retired_tag(config))
    out = {
        f"{p}Critical knowledge": f"{critical} -{retired}",
        f"{p}Retired (gone from their lesson file)": retired,
        f"{p}Waiting for prerequisites": tag_term(naming.waiting_tag(config)),
    }
    for d in DIFFICULTIES:
        out[f"{p}Difficulty {d.capitalize()}"] = (
            f"{tag_term(f'{root}::difficulty::{d}')} -{retired}"
        )
    for name, lesson_tag in lessons:
        label = naming.clean_deck_part(name)
        out[f"{p}{label}"] = tag_term(lesson_tag)
        out[f"{p}{label} - critical"] = f"{tag_term(lesson_tag)} {critical} -{retired}"
    return out


def ensure_saved_searches(col: Collection, config: Config, lessons: list[tuple[str, str]]) -> None:
    """Add or update the add-on's saved searches; the user's own ones are left as they are.

    ``lessons`` holds (lesson display name, lesson tag) pairs. Nothing is written when
    nothing changes (no sync traffic); the change is undoable, so inside the importer's
    undo step it is undone with the import.
    """
    stored = col.get_config(SAVED_SEARCHES_KEY, {})
    current: dict[str, Any] = stored if isinstance(stored, dict) else {}
    wanted = saved_searches(config, lessons)
    if all(current.get(k) == v for k, v in wanted.items()):
        return
    merged = dict(current)
    merged.update(wanted)
    col.set_config(SAVED_SEARCHES_KEY, merged, undoable=True)
