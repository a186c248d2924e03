"""Parse a lesson flashcard markdown file into :class:`~.model.Lesson` (pure Python).

Tolerant of the drift that hand-edited and generated files show (CRLF, BOM, ``—``/``-``/``|``
between card number and difficulty, ``**FRONT:**`` or ``**FRONT (Question):**``, any case,
missing optional sections, extra table columns, ``---`` rules and "Card 7" inside answers,
fenced code that looks like headings). Strict about what makes the data wrong: such files
raise :class:`~.errors.LessonError` naming the file and line.
"""

from __future__ import annotations

import bisect
import csv
import functools
import gc
import os
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, NamedTuple, TypeVar

from .errors import LessonError, LessonWarning
from .model import DEFAULT_SCHEDULE, DIFFICULTIES, Card, ExportRow, Lesson, Table
from .render import render_markdown, split_table_row

__all__ = ["parse_file", "parse_text"]

_FENCE_OPEN = re.compile(r"^\s*(`{3,}|~{3,})(.*)$")
_SECTION = re.compile(r"^\s{0,3}(#{1,2})(?!#)\s*(.*?)\s*#*\s*$")
_CARD = re.compile(r"^\s{0,3}###(?!#)\s*card\s*#?\s*(\d{1,9})(?!\d)(.*)$", re.I)
_WRONG_LEVEL_CARD = re.compile(r"^\s{0,3}(?:#{1,2}|#{4,6})\s*card\s*#?\s*\d+", re.I)
_ANY_HEADING = re.compile(r"^\s{0,3}#{1,6}\s")
_TITLE = re.compile(
    r"^(?:flashcard\s*set\s*[:\-–—]\s*)?lesson\s*#?\s*(\d{1,9})(?!\d)\s*(?:[:\-–—|]\s*)?(.*)$", re.I
)
_FOOTER = re.compile(r"^\s*[*_]*\s*generated from lesson\s*(\d+)\s*[:\-–—]\s*([^|*_]+)", re.I)
_FILE_NUMBER = re.compile(r"lesson[\s_\-]*0*(\d{1,9})", re.I)
# "**Label:** value", "**Label**: value", "Label: value", "- **Label:** value"
_LABEL = re.compile(
    r"^\s*(?:[-*+]\s+)?(?P<b1>\*\*|__)?\s*(?P<label>[A-Za-z][A-Za-z'’ ()/_\-]{0,60}?)\s*"
    r"(?::\s*(?P<b2>\*\*|__)|(?P<b3>\*\*|__)\s*:|:)\s*(?P<value>.*)$"
)  # (the value's trailing blanks are stripped after the match: twice as fast as "(.*?)\s*$")
# "**FRONT**", "#### Back (Answer)" on a line of their own
_SIDE_ALONE = re.compile(
    r"^\s*(?:#{4,6}\s*|\*\*|__)\s*(front|back|question|answer)\s*(?:\([^)]*\))?\s*(?:\*\*|__)?\s*$",
    re.I,
)
_PAREN = re.compile(r"\([^)]*\)")
_RULE = re.compile(r"^\s{0,3}(?:(?:-\s*){3,}|(?:\*\s*){3,}|(?:_\s*){3,})$")
_TABLE_SEP = re.compile(r"^\s*\|?\s*:?-+:?\s*(?:\|\s*:?-+:?\s*)*\|?\s*$")
_INT = re.compile(r"\d+")
_NUMBER = re.compile(r"-?\d+(?:[.,]\d+)?")
_DIFF_WORD = re.compile(r"\b(easy|medium|hard)\b", re.I)
_BULLET = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+(.*)$")
_CARD_REFS = re.compile(
    r"\bcards?\b\s*#?\s*((?:\d+\s*(?:[-–—]\s*\d+\s*)?(?:,|&|\band\b|;)?\s*)+)", re.I
)
_RANGE = re.compile(r"(\d+)\s*(?:[-–—]\s*(\d+))?")
_WORD = re.compile(r"[a-z0-9]+")
_BOLD_ITEM = re.compile(r"^(?:\*\*|__)(.+?)(?:\*\*|__)\s*[:\-–—]?\s*(.*)$")
_LETTERS = re.compile(r"[^\W\d_]+")
_FLAG_VALUE = re.compile(r"^(yes|no|true|false|y|n|✓|✔|✗|✘|x)\b\s*[-–—:,.]?\s*(.*)$", re.I)

_SECTION_NAMES = {
    "summary": ("critical knowledge summary", "key concepts", "critical knowledge"),
    "cards": ("flashcards", "cards"),
    "export": ("export formats", "export format", "export"),
    "mapping": ("source mapping",),
    "schedule": ("spaced repetition schedule", "spaced repetition", "review schedule", "schedule"),
    "connections": ("connection to other lessons", "connections to other lessons", "connections"),
}
_META_LABELS = {
    "cognitive level": "cognitive_level",
    "bloom's level": "cognitive_level",
    "bloom’s level": "cognitive_level",
    "bloom level": "cognitive_level",
    "level": "cognitive_level",
    "concept": "concept",
    "source section": "source_section",
    "source": "source_section",
    "section": "source_section",
    "difficulty": "difficulty",
}
_FRONT_LABELS = ("front", "question", "q")
_BACK_LABELS = ("back", "answer", "a")
_CRITICAL_LABELS = ("critical knowledge flag", "critical knowledge", "critical flag", "critical")
_STOPWORDS = frozenset(
    [
        "the",
        "and",
        "for",
        "with",
        "what",
        "why",
        "how",
        "are",
        "does",
        "that",
        "this",
        "from",
        "into",
        "your",
        "you",
        "which",
        "each",
        "its",
        "not",
        "use",
        "using",
        "between",
    ]
)
_MAX_MULTIPLIER = 100.0
_MAX_INTERVAL = 36500


# A label as written -> (its normalised name, whether its first word is in capitals). The same
# few labels come back on every card.
_LABEL_NAMES: dict[str, tuple[str, bool]] = {}


class _Label(NamedTuple):
    name: str  # normalised: lower case, no parenthesis, single spaces
    value: str
    bold: bool
    upper: bool


@dataclass
class _Section:
    kind: str | None  # key of _SECTION_NAMES, or None for an unknown section
    title: str
    start: int  # index of the heading line
    end: int  # index after the last line


class _Parser:
    def __init__(self, text: str, file: str) -> None:
        self.file = file
        self.text = text
        self.lines = text.split("\n")
        self.warnings: list[LessonWarning] = []
        self.fenced = self._mark_fences()
        self._csv_fields: dict[int, dict[str, str]] = {}  # id(ExportRow) -> CSV cells by header
        self._explicit_missing: set[int] = set()  # id(ExportRow) naming a card that is not there
        # Lines that may hold a Critical Knowledge Flag (outside fences), in order.
        fenced = self.fenced
        self.critical_lines = [i for i in self.lines_with("ritical", "RITICAL") if not fenced[i]]
        # Lines with a "#" outside fences (headings), in order.
        self.hash_lines = [i for i in self.lines_with("#") if not fenced[i]]

    def lines_with(self, *needles: str) -> list[int]:
        """Indexes of the lines that contain any of needles, in order. str.find and
        str.count run in C, instead of a Python loop over every line (fastest with
        one-character needles)."""
        text = self.text
        found: set[int] = set()
        for needle in needles:
            line = 0
            last = 0
            i = text.find(needle)
            while i >= 0:
                line += text.count("\n", last, i)
                found.add(line)
                last = text.find("\n", i)
                if last < 0:
                    break
                i = text.find(needle, last + 1)
        return sorted(found)

    # ------------------------------------------------------------------ helpers

    def warn(self, index: int, message: str) -> None:
        self.warnings.append(LessonWarning(self.file, index + 1, message))

    def error(self, index: int, message: str) -> LessonError:
        return LessonError(self.file, index + 1, message)

    def _mark_fences(self) -> list[bool]:
        """True for every line that is a fence delimiter or inside a fenced block."""
        lines = self.lines
        n = len(lines)
        fenced = [False] * n
        # Only lines with ` or ~ can open or close a fence.
        marks = self.lines_with("`", "~")
        k = 0
        while k < len(marks):
            i = marks[k]
            k += 1
            line = lines[i]
            m = _FENCE_OPEN.match(line)
            if not m or (m.group(1)[0] == "`" and "`" in m.group(2)):
                continue
            fence = m.group(1)
            close = None
            while k < len(marks):
                j = marks[k]
                k += 1
                t = lines[j].strip()
                if t and t[0] == fence[0] and len(t) >= len(fence) and t.strip(fence[0]) == "":
                    close = j
                    break
            if close is None:
                # Unclosed: end it before the next card or section heading, so one missing
                # ``` does not swallow the rest of the file.
                j = i + 1
                while j < n and not (_CARD.match(lines[j]) or _SECTION.match(lines[j])):
                    j += 1
                self.warn(
                    i,
                    f"code block opened here ({fence}) is never closed; it was ended at line {j}. "
                    f"Add a closing {fence} line.",
                )
                close = j - 1
                k = bisect.bisect_right(marks, close)  # go on after the end
            fenced[i : close + 1] = [True] * (close + 1 - i)
        return fenced

    def label(self, index: int) -> _Label | None:
        line = self.lines[index]
        if self.fenced[index] or (":" not in line and "*" not in line and "#" not in line):
            return None
        m = _SIDE_ALONE.match(line)
        if m:
            return _Label(m.group(1).lower(), "", True, m.group(1).isupper())
        m = _LABEL.match(line)
        if not m:
            return None
        raw = m.group("label")
        known = _LABEL_NAMES.get(raw)
        if known is None:
            if len(_LABEL_NAMES) >= 4096:
                _LABEL_NAMES.clear()
            known = _LABEL_NAMES[raw] = (
                " ".join(_PAREN.sub(" ", raw).lower().split()),
                raw.strip().split(" ")[0].isupper(),
            )
        b1, b2, b3, value = m.group("b1", "b2", "b3", "value")
        value = value.rstrip()
        bold = bool(b1 or b2 or b3)
        if bold and b1 and not (b2 or b3) and value.endswith(("**", "__")):
            value = value[:-2].rstrip()
        return _Label(known[0], value, bold, known[1])

    def table_at(self, start: int, end: int) -> list[tuple[Table, list[int]]]:
        """Every GFM table between line indexes start and end: (table, line index of each row)."""
        found: list[tuple[Table, list[int]]] = []
        lines = self.lines
        i = start
        while i < end - 1:
            if (
                not self.fenced[i]
                and "|" in lines[i]
                and "|" in lines[i + 1]
                and _TABLE_SEP.match(lines[i + 1])
            ):
                headers = split_table_row(lines[i])
                rows: list[list[str]] = []
                row_lines: list[int] = []
                line_no = i
                i += 2
                while i < end and not self.fenced[i] and "|" in lines[i] and lines[i].strip():
                    cells = split_table_row(lines[i], len(headers))
                    cells += [""] * (len(headers) - len(cells))
                    rows.append(cells)
                    row_lines.append(i)
                    i += 1
                found.append((Table(headers, rows, line_no + 1), row_lines))
                continue
            i += 1
        return found

    # ------------------------------------------------------------------ structure

    def sections(self) -> tuple[int, list[_Section], list[int]]:
        """(end of the header region, sections, card heading indexes)."""
        lines = self.lines
        heads: list[tuple[int, str]] = []
        cards: list[int] = []
        for i in self.hash_lines:
            line = lines[i]
            if _CARD.match(line):
                cards.append(i)
                continue
            m = _SECTION.match(line)
            if m and len(m.group(1)) == 2:
                heads.append((i, m.group(2)))
        sections: list[_Section] = []
        for k, (i, title) in enumerate(heads):
            end = heads[k + 1][0] if k + 1 < len(heads) else len(lines)
            sections.append(_Section(_section_kind(title), title, i, end))
        first_structure = min([len(lines)] + [h[0] for h in heads] + cards[:1])
        return first_structure, sections, cards

    # ------------------------------------------------------------------ header

    def header(self, end: int) -> dict[str, object]:
        info: dict[str, object] = {
            "number": None,
            "title": "",
            "title_line": None,
            "source": None,
            "subject": "",
            "date": "",
            "total": None,
            "total_line": 0,
            "distribution": {},
            "distribution_line": 0,
        }
        for i in range(end):
            if self.fenced[i]:
                continue
            line = self.lines[i]
            m = _SECTION.match(line)
            if m and len(m.group(1)) == 1 and info["title_line"] is None:
                info["title_line"] = i
                text = _strip_md(m.group(2))
                t = _TITLE.match(text)
                if t:
                    info["number"] = int(t.group(1))
                    info["title"] = t.group(2).strip(" -–—:|")
                else:
                    info["title"] = text
                continue
            lab = self.label(i)
            if lab is None:
                continue
            if lab.name == "source" and info["source"] is None:
                info["source"] = _strip_md(lab.value) or None
            elif lab.name in ("subject area", "subject") and not info["subject"]:
                info["subject"] = _strip_md(lab.value)
            elif lab.name in ("date generated", "date", "generated") and not info["date"]:
                info["date"] = _strip_md(lab.value)
            elif lab.name in ("total cards", "total", "cards") and info["total"] is None:
                nums = _INT.findall(lab.value)
                if nums:
                    info["total"] = int(nums[0])
                    info["total_line"] = i
            elif lab.name == "distribution" and not info["distribution"]:
                dist: dict[str, int] = {}
                for count, word in re.findall(
                    r"(\d+)\s*[x×]?\s*(easy|medium|hard)", lab.value, re.I
                ):
                    dist[word.lower()] = int(count)
                for word, count in re.findall(
                    r"(easy|medium|hard)\s*[:=]?\s*(\d+)", lab.value, re.I
                ):
                    dist.setdefault(word.lower(), int(count))
                info["distribution"] = dist
                info["distribution_line"] = i
        return info

    # ------------------------------------------------------------------ cards

    def card(self, start: int, end: int) -> Card:
        lines = self.lines
        head = _CARD.match(lines[start])
        assert head is not None
        number = int(head.group(1))
        rest = head.group(2)
        meta: dict[str, str] = {}
        state = "meta"
        front: list[str] | None = None
        back: list[str] | None = None
        critical = False
        note = ""
        i = start + 1
        while i < end:
            line = lines[i]
            if state == "back":
                # Only the flag ends a back: jump to the next line that may hold it.
                assert back is not None
                k = bisect.bisect_right(self.critical_lines, i - 1)
                flag = end
                while k < len(self.critical_lines) and self.critical_lines[k] < end:
                    j = self.critical_lines[k]
                    lab = self.label(j)
                    if lab is not None and lab.name in _CRITICAL_LABELS:
                        critical, note = _critical(lab.value)
                        flag = j
                        break
                    k += 1
                back.extend(lines[i:flag])
                break
            if state == "front":
                t = line.lstrip()[:1]
                lab = (
                    self.label(i)
                    if t and (t in ("*", "_", "#") or ":" in line) and _may_end_front(line)
                    else None
                )
            else:
                lab = self.label(i)
            i += 1
            if lab is not None:
                side_ok = lab.bold or lab.upper
                if side_ok and lab.name in _FRONT_LABELS and state == "meta":
                    state = "front"
                    front = [lab.value] if lab.value else []
                    continue
                if side_ok and lab.name in _BACK_LABELS and state in ("meta", "front"):
                    state = "back"
                    back = [lab.value] if lab.value else []
                    continue
                if lab.name in _CRITICAL_LABELS:
                    critical, note = _critical(lab.value)
                    continue
                if state == "meta" and lab.name in _META_LABELS:
                    meta.setdefault(_META_LABELS[lab.name], _strip_md(lab.value))
                    continue
            if state == "front":
                assert front is not None
                front.append(line)
        difficulty = _difficulty_word(rest) or meta.get("difficulty", "").strip()
        if not difficulty:
            raise self.error(
                start,
                f"card {number} has no difficulty; write it in the heading, e.g. "
                f"'### Card {number} | Medium' (Easy, Medium or Hard)",
            )
        if difficulty.lower() not in DIFFICULTIES:
            raise self.error(
                start,
                f"card {number} has difficulty '{difficulty}', which is not Easy, Medium or Hard; "
                f"change the heading to e.g. '### Card {number} | Medium'",
            )
        front_md = _trim(front or [])
        back_md = _trim(back or [])
        if not front_md:
            what = "no FRONT" if front is None else "an empty FRONT"
            raise self.error(
                start,
                f"card {number} has {what}; add a '**FRONT (Question):**' line followed by the question",
            )
        if not back_md:
            what = "no BACK" if back is None else "an empty BACK"
            raise self.error(
                start,
                f"card {number} has {what}; add a '**BACK (Answer):**' line followed by the answer",
            )
        return Card(
            number=number,
            difficulty=difficulty.lower(),
            cognitive_level=meta.get("cognitive_level", ""),
            concept=meta.get("concept", ""),
            source_section=meta.get("source_section", ""),
            front_md=front_md,
            back_md=back_md,
            critical=critical,
            critical_note=note,
            line=start + 1,
        )

    # ------------------------------------------------------------------ sections

    def summary(self, sec: _Section, cards: dict[int, Card]) -> dict[str, list[int]]:
        concepts: dict[str, list[int]] = {}
        tables = self.table_at(sec.start + 1, sec.end)
        if tables:
            for table, row_lines in tables:
                ci = _column(table.headers, "concept", "term", "topic")
                ni = _column(table.headers, "card")
                if ci is None or ni is None:
                    continue
                for row, li in zip(table.rows, row_lines, strict=True):
                    name = _strip_md(row[ci])
                    if name:
                        self._add_concept(concepts, name, _numbers(row[ni]), li, cards)
        for i in range(sec.start + 1, sec.end):
            if self.fenced[i]:
                continue
            m = _BULLET.match(self.lines[i])
            if not m:
                continue
            item = m.group(1).strip()
            bm = _BOLD_ITEM.match(item)
            if bm:
                name, rest = bm.group(1).strip().rstrip(":").strip(), bm.group(2)
            elif ":" in item:
                name, rest = item.split(":", 1)
            else:
                continue
            refs = _CARD_REFS.search(rest)
            nums = _numbers(refs.group(1)) if refs else _numbers(_PAREN.sub(" ", rest))
            name = _strip_md(name)
            if name and nums:
                self._add_concept(concepts, name, nums, i, cards)
        return concepts

    def _add_concept(
        self,
        concepts: dict[str, list[int]],
        name: str,
        nums: list[int],
        index: int,
        cards: dict[int, Card],
    ) -> None:
        listed = concepts.setdefault(name, [])
        for n in nums:
            if n not in cards:
                self.warn(
                    index,
                    f"Critical Knowledge Summary lists card {n} for '{name}', but there is no card {n}",
                )
                continue
            if n not in listed:
                listed.append(n)
                if name not in cards[n].key_concepts:
                    cards[n].key_concepts.append(name)

    def exports(self, sec: _Section, cards: list[Card]) -> list[ExportRow]:
        rows: list[ExportRow] = []
        lines = self.lines
        heading = ""
        i = sec.start + 1
        while i < sec.end:
            line = lines[i]
            if not self.fenced[i]:
                if _ANY_HEADING.match(line):
                    heading = line.lower()
                i += 1
                continue
            m = _FENCE_OPEN.match(line)
            if not m:
                i += 1
                continue
            lang = m.group(2).strip().lower()
            body_start = i + 1
            j = body_start
            while (
                j < sec.end
                and self.fenced[j]
                and not (
                    lines[j].strip()
                    and lines[j].strip().strip(m.group(1)[0]) == ""
                    and len(lines[j].strip()) >= len(m.group(1))
                )
            ):
                j += 1
            body = lines[body_start:j]
            if "csv" in lang or ("csv" in heading and "tsv" not in lang):
                kind = "csv"
            elif (
                "tsv" in lang
                or "tab" in heading
                or "tsv" in heading
                or "anki" in heading
                or any("\t" in b for b in body)
            ):
                kind = "tsv"
            else:
                kind = "csv"
            rows.extend(
                self._tsv(body, body_start) if kind == "tsv" else self._csv(body, body_start)
            )
            i = j + 1
        self._match_exports(rows, cards)
        return rows

    def _tsv(self, body: list[str], first: int) -> list[ExportRow]:
        rows = []
        for k, line in enumerate(body):
            if not line.strip():
                continue
            if "\t" not in line:
                self.warn(
                    first + k,
                    "TSV export row has no tab between front and back (an editor may have turned "
                    "tabs into spaces); it was not checked against the cards",
                )
                continue
            cells = line.split("\t")
            rows.append(
                ExportRow(
                    "tsv",
                    first + k + 1,
                    cells[0].strip(),
                    cells[1].strip(),
                    [c.strip() for c in cells[2:]],
                )
            )
        return rows

    def _csv(self, body: list[str], first: int) -> list[ExportRow]:
        rows: list[ExportRow] = []
        reader = csv.reader(body)
        header: list[str] | None = None
        prev = 0
        try:
            for rec in reader:
                start_line = first + prev + 1
                prev = reader.line_num
                if not rec or not any(c.strip() for c in rec):
                    continue
                if header is None:
                    low = [c.strip().lower() for c in rec]
                    if "front" in low and "back" in low:
                        header = low
                        continue
                if header is not None:
                    fi, bi = header.index("front"), header.index("back")
                else:
                    fi, bi = 0, 1
                if len(rec) <= max(fi, bi):
                    self.warn(
                        start_line - 1,
                        "CSV export row has fewer columns than Front and Back; ignored",
                    )
                    continue
                extra = [c for k, c in enumerate(rec) if k not in (fi, bi)]
                row = ExportRow("csv", start_line, rec[fi].strip(), rec[bi].strip(), extra)
                if header is not None:
                    named = {h: rec[k] for k, h in enumerate(header) if k < len(rec)}
                    row_card = named.get("card") or named.get("card number") or named.get("number")
                    if row_card and _INT.search(row_card):
                        row.card_number = int(_INT.findall(row_card)[0])
                    self._csv_fields[id(row)] = named
                rows.append(row)
        except csv.Error as e:
            self.warn(
                first + prev, f"CSV export could not be read ({e}); the rest of it was not checked"
            )
        return rows

    def _match_exports(self, rows: list[ExportRow], cards: list[Card]) -> None:
        """Pair export rows with cards: an explicit card column, else by content near the
        expected position, else by content anywhere, else by position. Linear in practice."""
        by_number = {c.number: c for c in cards}
        token_cache: dict[int, set[str]] = {}
        snippet_cache: dict[int, str] = {}

        def card_snippet(ci: int) -> str:
            t = snippet_cache.get(ci)
            if t is None:
                t = snippet_cache[ci] = _snippet(cards[ci].front_md)
            return t

        def card_tokens(ci: int) -> set[str]:
            t = token_cache.get(ci)
            if t is None:
                c = cards[ci]
                t = token_cache[ci] = _tokens(c.front_md[:2000] + " " + c.concept)
            return t

        for kind in ("tsv", "csv"):
            group = [r for r in rows if r.kind == kind]
            taken: set[int] = set()
            for r in group:
                if r.card_number is None:
                    continue
                if r.card_number not in by_number:
                    self.warn(
                        r.line - 1,
                        f"{kind.upper()} export row names card {r.card_number}, but there is no "
                        "such card",
                    )
                    r.card_number = None
                    self._explicit_missing.add(id(r))
                else:
                    taken.add(r.card_number)
            pending = [
                (pos, r)
                for pos, r in enumerate(group)
                if r.card_number is None and id(r) not in self._explicit_missing
            ]
            # 1. content, near where the row is expected (rows follow card order)
            leftovers: list[tuple[int, ExportRow, set[str]]] = []
            expected = 0
            for pos, r in pending:
                # The usual case first: the row starts like the card expected here (no tokens).
                rs = _snippet(r.front)
                if len(rs) >= _MIN_SNIPPET:
                    hit = None
                    for ci in (expected, expected + 1):
                        if (
                            0 <= ci < len(cards)
                            and cards[ci].number not in taken
                            and _same_start(rs, card_snippet(ci))
                        ):
                            hit = ci
                            break
                    if hit is not None:
                        r.card_number = cards[hit].number
                        taken.add(r.card_number)
                        expected = hit + 1
                        continue
                rt = _tokens(r.front)
                best: tuple[float, int] | None = None
                for ci in dict.fromkeys((expected, expected + 1, expected + 2, expected - 1, pos)):
                    if 0 <= ci < len(cards) and cards[ci].number not in taken:
                        score = len(rt & card_tokens(ci)) / max(1, len(rt))
                        if score >= 0.34 and (best is None or score > best[0]):
                            best = (score, ci)
                if best is not None:
                    r.card_number = cards[best[1]].number
                    taken.add(r.card_number)
                    expected = best[1] + 1
                else:
                    leftovers.append((pos, r, rt))
            # 2. content, anywhere among the cards still free (bounded work)
            free = [ci for ci in range(len(cards)) if cards[ci].number not in taken]
            if leftovers and free and len(leftovers) * len(free) <= 200_000:
                scored = []
                for li, (pos, _r, rt) in enumerate(leftovers):
                    for ci in free:
                        score = len(rt & card_tokens(ci)) / max(1, len(rt))
                        if score >= 0.34:
                            scored.append((score, -abs(pos - ci), li, ci))
                scored.sort(reverse=True)
                for _, _, li, ci in scored:
                    r = leftovers[li][1]
                    if r.card_number is None and cards[ci].number not in taken:
                        r.card_number = cards[ci].number
                        taken.add(r.card_number)
            # 3. position
            for pos, r, _ in leftovers:
                if r.card_number is not None:
                    continue
                if pos < len(cards) and cards[pos].number not in taken:
                    r.card_number = cards[pos].number
                    taken.add(r.card_number)
                else:
                    self.warn(
                        r.line - 1,
                        f"{kind.upper()} export row '{_short(r.front)}' does not match any card "
                        f"(the file has {len(cards)} cards); remove it or add the card",
                    )
            for r in group:
                if r.card_number is None:
                    continue
                card = by_number[r.card_number]
                named = self._csv_fields.get(id(r))
                said = _export_difficulty(r, named)
                if said and said != card.difficulty:
                    self.warn(
                        r.line - 1,
                        f"{kind.upper()} export row '{_short(r.front)}' says {said.title()}, but card "
                        f"{card.number} is {card.difficulty.title()}",
                    )
                level = (named or {}).get("cognitive_level") or (named or {}).get("cognitive level")
                level = (level or "").strip()
                if level and card.cognitive_level and level.lower() != card.cognitive_level.lower():
                    self.warn(
                        r.line - 1,
                        f"CSV export row '{_short(r.front)}' says cognitive level {level}, but card "
                        f"{card.number} is {card.cognitive_level}",
                    )

    def mapping(self, sec: _Section, cards: dict[int, Card]) -> None:
        for table, row_lines in self.table_at(sec.start + 1, sec.end):
            ni = _column(table.headers, "card")
            if ni is None:
                continue
            ti = _column(table.headers, "terminolog", "key term", "terms")
            bi = _column(table.headers, "bloom", "cognitive", "level")
            for row, li in zip(table.rows, row_lines, strict=True):
                nums = _INT.findall(row[ni])
                if not nums:
                    continue
                n = int(nums[0])
                card = cards.get(n)
                if card is None:
                    self.warn(li, f"Source Mapping names card {n}, but there is no card {n}")
                    continue
                if ti is not None:
                    card.key_terminology = _strip_md(row[ti])
                if bi is not None:
                    bloom = _strip_md(row[bi])
                    card.bloom_level = bloom
                    if (
                        bloom
                        and card.cognitive_level
                        and bloom.lower() != card.cognitive_level.lower()
                    ):
                        self.warn(
                            li,
                            f"Source Mapping gives card {n} Bloom's level {bloom}, but the card says "
                            f"Cognitive Level: {card.cognitive_level}",
                        )

    def schedule(self, sec: _Section, cards: dict[int, Card]) -> bool:
        declared = False
        seen: set[int] = set()
        for table, row_lines in self.table_at(sec.start + 1, sec.end):
            ni = _column(table.headers, "card")
            ii = _column(table.headers, "interval")
            mi = _column(table.headers, "multiplier", "ease", "factor")
            ri = _column(table.headers, "recommend", "review", "note")
            if ni is None or (ii is None and mi is None):
                continue
            for row, li in zip(table.rows, row_lines, strict=True):
                nums = _INT.findall(row[ni])
                if not nums:
                    continue
                declared = True
                n = int(nums[0])
                card = cards.get(n)
                if card is None:
                    self.warn(
                        li, f"Spaced Repetition Schedule names card {n}, but there is no card {n}"
                    )
                    continue
                if n in seen:
                    self.warn(
                        li, f"Spaced Repetition Schedule lists card {n} twice; the last row is used"
                    )
                seen.add(n)
                dm = _DIFF_WORD.search(row[ni])
                if dm and dm.group(1).lower() != card.difficulty:
                    self.warn(
                        li,
                        f"Spaced Repetition Schedule says card {n} is {dm.group(1).title()}, but the card "
                        f"is {card.difficulty.title()}; the schedule row's interval and multiplier are used",
                    )
                if ii is not None:
                    days = _days(row[ii])
                    if days is None:
                        self.warn(
                            li,
                            f"cannot read the initial interval '{row[ii]}' of card {n} (write e.g. "
                            f"'3 days'); the default for {card.difficulty} is used",
                        )
                    else:
                        card.initial_interval_days = days
                if mi is not None:
                    mult = _multiplier(row[mi])
                    if mult is None:
                        self.warn(
                            li,
                            f"cannot read the multiplier '{row[mi]}' of card {n} (write e.g. '2.0x'); "
                            f"the default for {card.difficulty} is used",
                        )
                    else:
                        card.multiplier = mult
                if ri is not None:
                    card.recommended_review = _strip_md(row[ri])
        return declared


# ---------------------------------------------------------------------------- small helpers


def _section_kind(title: str) -> str | None:
    t = " ".join(_strip_md(title).lower().split())
    for kind, names in _SECTION_NAMES.items():
        if t in names:
            return kind
    for kind, names in _SECTION_NAMES.items():
        if any(t.startswith(name) for name in names if len(name) > 8):
            return kind
    return None


# Where a label may start (see _LABEL), then "a" as a whole word: the one-letter answer label.
_A_LABEL = re.compile(r"\s*(?:[-*+]\s+)?(?:\*\*|__)?\s*[Aa](?![A-Za-z])")


def _may_end_front(line: str) -> bool:
    """Could this line be a label that matters inside a FRONT: a BACK label (back, answer, a)
    or the critical flag? (A cheap test, true for every such line: the others are front text,
    label or not, and need no label parsing.)"""
    low = line.lower()
    return "back" in low or "answer" in low or "critical" in low or _A_LABEL.match(line) is not None


def _strip_md(text: str) -> str:
    t = text.strip()
    if t[:1] not in ("*", "_", "`"):
        return t
    for mark in ("**", "__", "*", "_", "`"):
        if len(t) > 2 * len(mark) and t.startswith(mark) and t.endswith(mark):
            t = t[len(mark) : -len(mark)].strip()
    return t


def _difficulty_word(rest: str) -> str:
    t = rest.strip().lstrip("|-–—:([{•·.").strip()
    t = _strip_md(t).lstrip("*_").strip()
    m = _LETTERS.match(t)
    return m.group(0) if m else ""


def _critical(value: str) -> tuple[bool, str]:
    v = _strip_md(value)
    m = _FLAG_VALUE.match(v)
    if not m:
        return (False, v) if not v else (True, v)
    word = m.group(1).lower()
    return word in ("yes", "true", "y", "✓", "✔"), m.group(2).strip()


def _trim(lines: list[str]) -> str:
    """Strip blank lines and trailing --- rules from a card side."""
    start, end = 0, len(lines)
    while start < end and not lines[start].strip():
        start += 1
    while end > start and (not lines[end - 1].strip() or _RULE.match(lines[end - 1])):
        end -= 1
    return "\n".join(lines[start:end]).rstrip()


def _column(headers: list[str], *keys: str) -> int | None:
    norm = [_strip_md(h).lower() for h in headers]
    for key in keys:
        for k, h in enumerate(norm):
            if key in h:
                return k
    return None


def _numbers(text: str) -> list[int]:
    out: list[int] = []
    for a, b in _RANGE.findall(text):
        lo = int(a)
        hi = int(b) if b else lo
        if hi < lo or hi - lo > 1000:
            hi = lo
        for n in range(lo, hi + 1):
            if n not in out:
                out.append(n)
    return out


def _days(text: str) -> int | None:
    t = text.lower()
    m = _NUMBER.search(t)
    if not m:
        return None
    value = float(m.group(0).replace(",", "."))
    unit = t[m.end() :].strip()
    if unit.startswith(("week", "wk", "w")):
        value *= 7
    elif unit.startswith(("month", "mo")):
        value *= 30
    elif unit.startswith(("hour", "hr", "h", "min")):
        value = 1
    days = round(value)
    if days < 1 or days > _MAX_INTERVAL:
        return None
    return days


def _multiplier(text: str) -> float | None:
    m = _NUMBER.search(text)
    if not m:
        return None
    value = float(m.group(0).replace(",", "."))
    if value <= 0 or value > _MAX_MULTIPLIER:
        return None
    return value


_SNIPPET_MARKS = re.compile(r"[*_`#>\"'|\\]+")
_MIN_SNIPPET = 16


def _snippet(text: str) -> str:
    """The start of a text, lower case, without markdown marks or quotes, spaces collapsed."""
    return " ".join(_SNIPPET_MARKS.sub(" ", text[:240].lower()).split())[:80]


def _same_start(a: str, b: str) -> bool:
    """One snippet starts the other and they share at least _MIN_SNIPPET characters."""
    n = min(len(a), len(b))
    return n >= _MIN_SNIPPET and a[:n] == b[:n]


def _tokens(text: str) -> set[str]:
    return {w[:6] for w in _WORD.findall(text.lower()) if len(w) >= 3 and w not in _STOPWORDS}


def _short(text: str, limit: int = 40) -> str:
    t = " ".join(text.split())
    return t if len(t) <= limit else t[: limit - 1] + "…"


def _export_difficulty(row: ExportRow, named: dict[str, str] | None) -> str:
    if named is not None and "difficulty" in named:
        return (
            named["difficulty"].strip().lower()
            if named["difficulty"].strip().lower() in DIFFICULTIES
            else ""
        )
    cells: Iterable[str] = row.extra
    for cell in cells:
        for tag in cell.split():
            first = tag.split("::", 1)[0].lower()
            if first in DIFFICULTIES:
                return first
        if cell.strip().lower() in DIFFICULTIES:
            return cell.strip().lower()
    return ""


# ---------------------------------------------------------------------------- entry points


def _decode(data: str | bytes, file: str) -> str:
    if isinstance(data, bytes):
        if data.startswith((b"\xff\xfe", b"\xfe\xff")):
            raise LessonError(
                file, 1, "the file is UTF-16, not UTF-8 text; save it as UTF-8 and import it again"
            )
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as e:
            line = data[: e.start].count(b"\n") + 1
            raise LessonError(
                file,
                line,
                f"the file is not UTF-8 text (byte 0x{data[e.start]:02x} cannot be decoded); "
                "save it as UTF-8 and import it again",
            ) from None
    else:
        text = data
    if text.startswith("\ufeff"):
        text = text[1:]
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    nul = text.find("\x00")
    if nul >= 0:
        raise LessonError(
            file,
            text.count("\n", 0, nul) + 1,
            "the file contains a NUL character, so it is not a text file; check you chose the right file",
        )
    return text


_T = TypeVar("_T")


def gc_paused(fn: Callable[..., _T]) -> Callable[..., _T]:
    """Run ``fn`` with the cyclic GC paused (restored after). Parsing and importing allocate
    many small objects and keep them all: the collector would walk them again and again (a
    third of the time on a 10,000-card file) for no garbage."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> _T:
        was_enabled = gc.isenabled()
        gc.disable()
        try:
            return fn(*args, **kwargs)
        finally:
            if was_enabled:
                gc.enable()

    return wrapper


@gc_paused
def parse_text(data: str | bytes, file: str, render: bool = True) -> Lesson:
    """Parse a lesson file's content. ``file`` is used in messages and, with no title line,
    for the lesson number (``Lesson_6_minimal.md`` is lesson 6).

    With ``render=False`` the cards' ``front_html``/``back_html`` stay "" (call
    ``render_markdown`` on ``front_md``/``back_md`` only for the cards you need).

    Raises LessonError when the file cannot be imported; odd but usable content is
    reported in ``lesson.warnings``.
    """
    return _parse(data, file, render)


def _parse(data: str | bytes, file: str, render: bool = True) -> Lesson:
    text = _decode(data, file)
    p = _Parser(text, file)
    header_end, sections, card_heads = p.sections()
    if not card_heads:
        hint = ""
        for i, line in enumerate(p.lines):
            if not p.fenced[i] and _WRONG_LEVEL_CARD.match(line):
                return_line = i
                hint = (
                    f"; line {return_line + 1} looks like a card heading at the wrong level — "
                    "cards start with '### Card N | Difficulty'"
                )
                break
        raise LessonError(
            file, 1, f"no flashcards found: expected headings like '### Card 1 | Easy'{hint}"
        )
    info = p.header(header_end)

    # A card runs to the next card heading or the next section (## or #) heading.
    boundaries = sorted({s.start for s in sections} | set(card_heads))
    for i in p.hash_lines:
        m = _SECTION.match(p.lines[i])
        if m and len(m.group(1)) == 1:
            boundaries.append(i)
    boundaries = sorted(set(boundaries))
    cards: list[Card] = []
    first_line: dict[int, int] = {}
    for start in card_heads:
        k = bisect.bisect_right(boundaries, start)
        end = boundaries[k] if k < len(boundaries) else len(p.lines)
        card = p.card(start, end)
        if card.number in first_line:
            raise p.error(
                start,
                f"two cards are numbered {card.number} (the first is at line "
                f"{first_line[card.number]}); give each card its own number",
            )
        first_line[card.number] = card.line
        cards.append(card)
    by_number = {c.number: c for c in cards}
    # The document's defaults; the Spaced Repetition Schedule overrides them card by card.
    for c in cards:
        c.initial_interval_days, c.multiplier = DEFAULT_SCHEDULE[c.difficulty]

    key_concepts: dict[str, list[int]] = {}
    export_rows: list[ExportRow] = []
    schedule_declared = False
    connections: Table | None = None
    for sec in sections:
        if sec.kind == "summary":
            key_concepts.update(p.summary(sec, by_number))
        elif sec.kind == "export":
            export_rows.extend(p.exports(sec, cards))
        elif sec.kind == "mapping":
            p.mapping(sec, by_number)
        elif sec.kind == "schedule":
            schedule_declared = p.schedule(sec, by_number) or schedule_declared
        elif sec.kind == "connections" and connections is None:
            tables = p.table_at(sec.start + 1, sec.end)
            if tables:
                connections = tables[0][0]

    number = info["number"]
    title = str(info["title"])
    if number is None:
        m = _FILE_NUMBER.search(os.path.basename(file))
        if m:
            number = int(m.group(1))
    if not title:
        for line in p.lines[::-1]:
            fm = _FOOTER.match(line)
            if fm and (number is None or int(fm.group(1)) == number):
                title = fm.group(2).strip()
                number = number if number is not None else int(fm.group(1))
                break

    # Declared counts against the cards found.
    total = info["total"]
    if isinstance(total, int) and total != len(cards):
        p.warn(
            int(str(info["total_line"])),
            f"Total Cards says {total}, but the file has {len(cards)} cards",
        )
    dist = info["distribution"]
    assert isinstance(dist, dict)
    if dist:
        found = {d: sum(1 for c in cards if c.difficulty == d) for d in DIFFICULTIES}
        if any(dist.get(d, 0) != found[d] for d in DIFFICULTIES):
            said = ", ".join(f"{dist.get(d, 0)} {d.title()}" for d in DIFFICULTIES)
            has = ", ".join(f"{found[d]} {d.title()}" for d in DIFFICULTIES)
            p.warn(
                int(str(info["distribution_line"])),
                f"Distribution says {said}, but the cards are {has}",
            )

    if render:
        for c in cards:
            c.front_html = render_markdown(c.front_md)
            c.back_html = render_markdown(c.back_md)

    src = info["source"]
    return Lesson(
        file=file,
        source=str(src) if src else None,
        number=number if isinstance(number, int) else None,
        title=title,
        subject=str(info["subject"]),
        date_generated=str(info["date"]),
        declared_total=total if isinstance(total, int) else None,
        declared_distribution=dict(dist),
        key_concepts=key_concepts,
        cards=cards,
        export_rows=export_rows,
        schedule_declared=schedule_declared,
        connections=connections,
        warnings=sorted(p.warnings, key=lambda w: w.line),
    )


def unreadable(name: str, e: OSError) -> LessonError:
    """The error for a lesson file that cannot be read (or looked at)."""
    return LessonError(name, 1, f"cannot read the file ({e.strerror or e}); check the path")


def read_lesson_file(path: str | os.PathLike[str]) -> tuple[str, bytes]:
    """(name, bytes) of a lesson file; LessonError (line 1) when it cannot be read."""
    name = os.fspath(path)
    try:
        with open(name, "rb") as f:
            return name, f.read()
    except OSError as e:
        raise unreadable(name, e) from None


def parse_file(path: str | os.PathLike[str], render: bool = True) -> Lesson:
    """Read and parse a lesson file (bytes, so a non-UTF-8 file gets a line number).
    ``render``: as for :func:`parse_text`."""
    name, data = read_lesson_file(path)
    return parse_text(data, name, render)
