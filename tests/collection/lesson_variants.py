"""Edited variants of a lesson file, made by text surgery like a person would edit it."""

from __future__ import annotations

import re

CARD_HEAD = re.compile(r"^### Card (\d+)\b.*$", re.M)


def card_span(text: str, number: int) -> tuple[int, int]:
    """Start/end offsets of card ``number`` (from its heading to the next card or section)."""
    heads = list(CARD_HEAD.finditer(text))
    for i, m in enumerate(heads):
        if int(m.group(1)) == number:
            start = m.start()
            if i + 1 < len(heads):
                end = heads[i + 1].start()
            else:
                nxt = re.search(r"^## ", text[m.end() :], re.M)
                end = m.end() + nxt.start() if nxt else len(text)
            return start, end
    raise KeyError(number)


def remove_card(text: str, number: int) -> str:
    start, end = card_span(text, number)
    return text[:start] + text[end:]


def replace_in_card(text: str, number: int, old: str, new: str) -> str:
    start, end = card_span(text, number)
    body = text[start:end]
    assert old in body, f"{old!r} not in card {number}"
    return text[:start] + body.replace(old, new, 1) + text[end:]


def new_card(
    number: int, difficulty: str, question: str, answer: str, critical: bool = False
) -> str:
    flag = "Yes - added later" if critical else "No"
    return (
        f"### Card {number} | {difficulty}\n"
        "**Cognitive Level:** Understand\n"
        "**Concept:** Layer Normalization\n"
        "**Source Section:** Core Concepts - Concept 4\n\n"
        f"**FRONT (Question):**\n{question}\n\n"
        f"**BACK (Answer):**\n{answer}\n\n"
        f"**Critical Knowledge Flag:** {flag}\n\n---\n\n"
    )


def insert_card_before(text: str, number: int, card_text: str) -> str:
    start, _ = card_span(text, number)
    return text[:start] + card_text + text[start:]


def renumber_from(text: str, first: int, shift: int = 1) -> str:
    """Cards numbered >= first get number + shift (headings only; the rest of the file is prose)."""

    def bump(m: re.Match[str]) -> str:
        n = int(m.group(1))
        if n < first:
            return m.group(0)
        return m.group(0).replace(f"Card {n}", f"Card {n + shift}", 1)

    return CARD_HEAD.sub(bump, text)


def append_card(text: str, card_text: str) -> str:
    """Add a card after the last one (before the next ## section)."""
    heads = list(CARD_HEAD.finditer(text))
    _, end = card_span(text, int(heads[-1].group(1)))
    return text[:end] + card_text + text[end:]
