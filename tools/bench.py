"""Import and re-sync speed and memory, against Anki's own CSV import (issue 8).

    python -m tools.bench [--files 1000] [--cards 10] [--seed 8] [--out DIR] [--json]
                          [--repeat N] [--profile]

Generates a deterministic corpus of lesson files (like ../shared/lessons/Lesson_4.md: tables,
fenced code, box diagrams, formulas, lists; Source headers, Critical Knowledge Summary,
Source Mapping, Spaced Repetition Schedule, Export Formats) and measures, each step in its
own subprocess (so peak RSS is the step's own) on collections in a temp dir:

- baseline:  Anki's CSV import (``col.import_csv``) of the same notes, fields rendered to HTML
             beforehand (not timed), into the same lesson/difficulty decks (deck column), with
             the same tags (tags column), into a note type with our fields;
- full:      ``import_files`` of the whole corpus into a fresh collection, the files given as
             the import command gives them (``iter_lesson_files``; reading them is timed);
- unchanged: the same again, nothing changed (same collection, same cache file: as for the
             import command, a file whose size, times and inode did not change is not read);
- edit:      after 1% of the cards' answers were changed on disk, spread over the files.

Every step is checked (note counts, decks, the ImportResult, the edited text in the notes):
a fast but wrong import is reported as WRONG, never as PASS. Exit status: 0 when every step
ran and was correct (whether or not the speed targets pass: this is a measurement), 1 when
a step crashed or its result was wrong, 2 for bad arguments.

``--profile`` then runs the full and the 1% import once more under cProfile and prints where
the time goes (the profiles are kept in the output folder for ``python -m pstats``).
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent

STEPS = ("baseline", "full", "unchanged", "edit")
# step -> (maximum ratio to the baseline, aim) ; memory target for the full import
TARGETS: dict[str, tuple[float, float | None]] = {
    "full": (3.0, 2.0),
    "unchanged": (0.1, None),
    "edit": (0.2, None),
}
FULL_PEAK_MB = 300.0
EDIT_FRACTION = 0.01
EDIT_MARK = "BENCHEDIT"

# ---------------------------------------------------------------------------
# Corpus

_ADJ = (
    "Scaled",
    "Sparse",
    "Dense",
    "Causal",
    "Recurrent",
    "Distributed",
    "Adaptive",
    "Residual",
    "Stochastic",
    "Bayesian",
    "Contrastive",
    "Latent",
    "Hierarchical",
    "Federated",
    "Quantized",
    "Streaming",
    "Incremental",
    "Probabilistic",
    "Convolutional",
    "Autoregressive",
    "Robust",
    "Regularized",
    "Cached",
    "Sharded",
    "Parallel",
    "Lock-Free",
    "Immutable",
    "Versioned",
    "Eventual",
    "Strong",
    "Weighted",
    "Gated",
    "Rotary",
    "Linear",
    "Nonlinear",
    "Bidirectional",
)
_NOUN = (
    "Attention",
    "Embeddings",
    "Gradients",
    "Optimizers",
    "Caches",
    "Indexes",
    "Transactions",
    "Consensus",
    "Replication",
    "Schedulers",
    "Tokenizers",
    "Encoders",
    "Decoders",
    "Retrieval",
    "Inference",
    "Sampling",
    "Normalization",
    "Dropout",
    "Pipelines",
    "Queues",
    "Hashing",
    "Compression",
    "Routing",
    "Partitioning",
    "Checkpointing",
    "Evaluation",
    "Calibration",
    "Distillation",
    "Pruning",
    "Search",
    "Planning",
    "Memory",
    "Agents",
    "Prompts",
    "Graphs",
    "Kernels",
    "Locks",
    "Snapshots",
    "Logs",
    "Transformers",
    "Filters",
    "Heuristics",
)
_TERM = (
    "softmax",
    "√d_k scaling",
    "KV cache",
    "beam search",
    "top-p",
    "LoRA",
    "RoPE",
    "ALiBi",
    "B-tree",
    "LSM tree",
    "quorum",
    "vector clock",
    "Raft",
    "Paxos",
    "bloom filter",
    "FAISS",
    "HNSW",
    "INT8",
    "flash attention",
    "layer norm",
    "Adam",
    "SGD",
    "cosine decay",
    "warmup",
    "cross-entropy",
    "KL divergence",
    "perplexity",
    "recall@k",
    "MRR",
    "nDCG",
    "p99 latency",
)
_LEVELS = {
    "easy": ("Remember", "Understand"),
    "medium": ("Apply", "Analyze"),
    "hard": ("Evaluate", "Synthesize", "Create"),
}
# (interval days, multiplier) per difficulty; most files use the document's defaults
_SCHEDULES = (
    {"easy": (1, 2.5), "medium": (3, 2.0), "hard": (7, 1.5)},
    {"easy": (1, 2.3), "medium": (3, 1.9), "hard": (6, 1.4)},
    {"easy": (2, 2.7), "medium": (4, 2.1), "hard": (8, 1.6)},
)
_REVIEW = (
    "Foundation - review first",
    "Review with the previous card",
    "After mastering the basics",
    "Decision skill",
    "Review after all others mastered",
    "Before the case study",
)


@dataclass
class GenCard:
    number: int
    difficulty: str
    level: str
    concept: str
    section: str
    front: str
    back: str
    critical: bool
    terms: str
    short_front: str
    short_back: str


@dataclass
class GenLesson:
    index: int  # 1-based file number (also the lesson number)
    title: str
    subject: str
    cards: list[GenCard]
    schedule: dict[str, tuple[int, float]]
    key_concepts: list[tuple[str, list[int], str]] = field(default_factory=list)

    @property
    def file_name(self) -> str:
        return f"Lesson_{self.index:04d}.md"


def _days(n: int) -> str:
    return f"{n} day" if n == 1 else f"{n} days"


def _mult(x: float) -> str:
    return f"{x:g}x"


def _table(rng: random.Random, topic: str, cols: int, rows: int) -> str:
    heads = rng.sample(
        [
            "Component",
            "Approach",
            "Formula Part",
            "Purpose",
            "Trade-off",
            "Cost",
            "When to Use",
            "Failure Mode",
            "Mitigation",
            "Example",
            "Complexity",
            "Quality Impact",
        ],
        cols,
    )
    lines = [
        "| " + " | ".join(heads) + " |",
        "|" + "|".join("-" * (len(h) + 2) for h in heads) + "|",
    ]
    for _ in range(rows):
        cells = [f"**{rng.choice(_ADJ)} {rng.choice(_NOUN)}**"]
        for _ in range(cols - 1):
            k = rng.random()
            if k < 0.25:
                cells.append(f"O(n{rng.choice(['²', ' log n', '²d', '·k'])}) for {topic.lower()}")
            elif k < 0.45:
                cells.append(f"`{rng.choice(_TERM)}` then {rng.choice(_TERM)}")
            elif k < 0.6:
                cells.append(
                    f'"{rng.choice(_ADJ).lower()}" → {rng.choice(_NOUN).lower()} ({rng.randint(2, 64)}x)'
                )
            else:
                cells.append(
                    f"{rng.choice(_ADJ)} {rng.choice(_NOUN).lower()} keeps {rng.choice(_TERM)} "
                    f"within {rng.randint(1, 500)} ms"
                )
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _code(rng: random.Random, topic: str) -> str:
    name = topic.lower().replace(" ", "_").replace("-", "_")
    body = [
        f"def {name}(x, k={rng.randint(2, 16)}):",
        f'    """{rng.choice(_ADJ)} {rng.choice(_NOUN).lower()} step."""',
        f"    scores = x @ W_{rng.choice('QKV')}.T / math.sqrt(d_k)  # {rng.choice(_TERM)}",
        "    weights = softmax(scores, axis=-1)",
        "    for i in range(k):",
        f"        if weights[i] < {rng.random():.3f}:",
        "            weights[i] = 0  # prune <small> & renormalise",
        "    return weights @ V",
    ]
    lang = rng.choice(["python", "", "py"])
    return f"```{lang}\n" + "\n".join(body[: rng.randint(5, len(body))]) + "\n```"


def _box(rng: random.Random) -> str:
    width = 61
    out = ["```"]
    stages = rng.sample(_NOUN, rng.randint(2, 3))
    for si, stage in enumerate(stages):
        out.append("┌" + "─" * width + "┐")
        out.append("│ " + f"{stage.upper()} STAGE".center(width - 2) + " │")
        out.append("│ " + ("─" * 35).ljust(width - 2) + " │")
        for _ in range(rng.randint(2, 4)):
            line = f"{rng.choice(_ADJ)} {rng.choice(_NOUN).lower()}: {rng.choice(_TERM)} → {rng.randint(1, 99)}ms"
            out.append("│ " + line[: width - 2].ljust(width - 2) + " │")
        if si < len(stages) - 1:
            out.append("└" + "─" * 25 + "┬" + "─" * (width - 26) + "┘")
            out.append(" " * 26 + "│")
            out.append(" " * 26 + "▼")
        else:
            out.append("└" + "─" * width + "┘")
    out.append("```")
    return "\n".join(out)


def _math(rng: random.Random) -> str:
    forms = (
        "Attention(Q, K, V) = softmax(Q @ K^T / √d_k) @ V",
        "L = -Σ_i y_i · log(ŷ_i) + λ‖θ‖²",
        "θ_{t+1} = θ_t - η · m̂_t / (√v̂_t + ε)",
        "P(A|B) = P(B|A) · P(A) / P(B)",
        "T(n) = 2T(n/2) + O(n)  ⇒  O(n log n)",
        "PE(pos, 2i) = sin(pos / 10000^(2i/d_model))",
    )
    return "**Formula:**\n```\n" + rng.choice(forms) + "\n```"


def _bullets(rng: random.Random, numbered: bool) -> str:
    lines = []
    for i in range(rng.randint(3, 5)):
        mark = f"{i + 1}." if numbered else "-"
        lines.append(
            f"{mark} **{rng.choice(_ADJ)} {rng.choice(_NOUN).lower()}**: uses {rng.choice(_TERM)} "
            f"so that *{rng.choice(_NOUN).lower()}* stay below {rng.randint(2, 90)}% (α = {rng.random():.2f})"
        )
    return "\n".join(lines)


def _prose(rng: random.Random, topic: str) -> str:
    return (
        f"**Key Insight:** {topic} trades {rng.choice(_TERM)} for {rng.choice(_TERM)}: each "
        f"{rng.choice(_NOUN).lower()[:-1]} is a weighted combination of *all* inputs, with weights "
        f"learned from data (≈{rng.randint(2, 40)}% fewer errors, `k ≤ {rng.randint(4, 128)}`)."
    )


def _card(rng: random.Random, number: int, difficulty: str, lesson_title: str) -> GenCard:
    concept = f"{rng.choice(_ADJ)} {rng.choice(_NOUN)}"
    level = rng.choice(_LEVELS[difficulty])
    terms = ", ".join(rng.sample(_TERM, 3))
    kind = rng.randrange(4)
    if kind == 0:
        front = (
            f"Write the complete formula for {concept.lower()} in {lesson_title.lower()} and explain "
            "the purpose of each component."
        )
    elif kind == 1:
        other = rng.choice(_NOUN).lower()
        front = (
            f"Why does {concept.lower()} use {rng.choice(_TERM)} instead of {other}? What do the "
            f"different {rng.choice(_NOUN).lower()} learn to capture?"
        )
    elif kind == 2:
        front = (
            f"You are designing {concept.lower()} for a system with {rng.randint(2, 900)}K users. "
            f"Analyze the following tasks and choose an approach for each:\n\n**Tasks:**\n"
            + _bullets(rng, numbered=True)
        )
    else:
        front = (
            f"Design a complete {concept.lower()} system that:\n"
            + _bullets(rng, numbered=True)
            + "\n\nYour design must specify:\n"
            + _bullets(rng, numbered=False)
        )
    parts: list[str] = []
    blocks: list[Callable[[], str]] = [
        lambda: _math(rng),
        lambda: (
            f"**Component Breakdown:**\n\n{_table(rng, concept, rng.randint(3, 4), rng.randint(3, 7))}"
        ),
        lambda: f"**Implementation:**\n{_code(rng, concept)}",
        lambda: f"**System Overview:**\n\n{_box(rng)}",
        lambda: f"**Requirement Analysis:**\n{_bullets(rng, numbered=False)}",
        lambda: f"**Steps:**\n{_bullets(rng, numbered=True)}",
        lambda: _prose(rng, concept),
    ]
    # about 3 KB of markdown per card, like a real lesson
    order = rng.sample(range(len(blocks)), len(blocks))
    size = 0
    for i in order:
        text = blocks[i]()
        parts.append(text)
        size += len(text)
        if size > 1800:
            break
    if rng.random() < 0.15:
        parts.insert(len(parts) // 2, "---")
    parts.append(f"**Complexity:** O(n²d) where n = {rng.choice(_NOUN).lower()}, d = dimension")
    back = "\n\n".join(parts)
    return GenCard(
        number=number,
        difficulty=difficulty,
        level=level,
        concept=concept,
        section=f"Core Concepts - Concept {rng.randint(1, 12)}",
        front=front,
        back=back,
        critical=rng.random() < 0.6,
        terms=terms,
        short_front=front.split("\n")[0][:80],
        short_back=f"{concept}: {terms}",
    )


def _distribution(n: int) -> list[str]:
    hard = max(1, round(n * 0.2)) if n >= 3 else 0
    easy = max(1, round(n * 0.4))
    medium = max(0, n - easy - hard)
    return ["easy"] * easy + ["medium"] * medium + ["hard"] * hard


def generate_lesson(index: int, n_cards: int, seed: int) -> GenLesson:
    """The lesson of one file; the same (index, n_cards, seed) always gives the same lesson."""
    rng = random.Random(f"{seed}:{index}:{n_cards}")
    title = f"{rng.choice(_ADJ)} {rng.choice(_NOUN)} {index}"
    subject = (
        f"AI Learning - {title}: {rng.choice(_NOUN)}, {rng.choice(_NOUN)} and {rng.choice(_NOUN)}"
    )
    r = rng.random()
    schedule = _SCHEDULES[0 if r < 0.7 else 1 if r < 0.9 else 2]
    cards = [_card(rng, k + 1, d, title) for k, d in enumerate(_distribution(n_cards))]
    lesson = GenLesson(index, title, subject, cards, schedule)
    nums = [c.number for c in cards]
    for _ in range(min(4, max(1, n_cards // 3))):
        refs = sorted(rng.sample(nums, min(len(nums), rng.randint(2, 3))))
        lesson.key_concepts.append((rng.choice(cards).concept, refs, rng.choice(_REVIEW).lower()))
    return lesson


def lesson_markdown(lesson: GenLesson, edits: dict[int, str] | None = None) -> str:
    """The file's text; ``edits`` maps card numbers to a line added to that card's answer."""
    edits = edits or {}
    diffs = [c.difficulty for c in lesson.cards]
    dist = " | ".join(
        f"{diffs.count(d)} {d.title()}" for d in ("easy", "medium", "hard") if d in diffs
    )
    out = [
        f"# Flashcard Set: Lesson {lesson.index} - {lesson.title}",
        "",
        f"**Source:** Lessons/{lesson.file_name}",
        f"**Subject Area:** {lesson.subject}",
        "**Date Generated:** 2026-01-08",
        f"**Total Cards:** {len(lesson.cards)}",
        f"**Distribution:** {dist}",
        "",
        "---",
        "",
        "## Critical Knowledge Summary",
        "",
        "Concepts appearing in multiple cards (prioritize for review):",
    ]
    for concept, refs, why in lesson.key_concepts:
        out.append(f"- **{concept}**: Appears in Cards {', '.join(map(str, refs))} ({why})")
    out += ["", "---", "", "## Flashcards", ""]
    for c in lesson.cards:
        back = c.back
        if c.number in edits:
            back += f"\n\n**Revision note:** {edits[c.number]}"
        flag = f"Yes - {c.concept} is foundational" if c.critical else "No"
        out += [
            "---",
            f"### Card {c.number} | {c.difficulty.title()}",
            f"**Cognitive Level:** {c.level}",
            f"**Concept:** {c.concept}",
            f"**Source Section:** {c.section}",
            "",
            "**FRONT (Question):**",
            c.front,
            "",
            "**BACK (Answer):**",
            back,
            "",
            f"**Critical Knowledge Flag:** {flag}",
            "",
            "---",
            "",
        ]
    out += ["## Export Formats", "", "### Anki-Compatible (Tab-Separated)", "```"]
    for c in lesson.cards:
        out.append(
            f"{c.short_front}\t{c.short_back}\t{c.difficulty}::{c.concept.split()[-1].lower()}"
        )
    out += [
        "```",
        "",
        "### CSV Format",
        "```csv",
        '"Front","Back","Difficulty","Concept","Cognitive_Level"',
    ]
    for c in lesson.cards:
        buf = io.StringIO()
        csv.writer(buf, quoting=csv.QUOTE_ALL, lineterminator="").writerow(
            [c.short_front, c.short_back, c.difficulty.title(), c.concept, c.level]
        )
        out.append(buf.getvalue())
    out += ["```", "", "---", "", "## Source Mapping", ""]
    out += [
        "| Card | Source Section | Key Terminology | Bloom's Level |",
        "|------|----------------|-----------------|---------------|",
    ]
    for c in lesson.cards:
        out.append(f"| {c.number} | {c.section} | {c.terms} | {c.level} |")
    out += ["", "---", "", "## Spaced Repetition Schedule", ""]
    out += [
        "| Card | Initial Interval | Difficulty Multiplier | Recommended Review |",
        "|------|------------------|----------------------|-------------------|",
    ]
    for i, c in enumerate(lesson.cards):
        ivl, mult = lesson.schedule[c.difficulty]
        out.append(
            f"| {c.number} ({c.difficulty.title()}) | {_days(ivl)} | {_mult(mult)} | {_REVIEW[i % len(_REVIEW)]} |"
        )
    out += [
        "",
        "---",
        "",
        f"*Generated from Lesson {lesson.index}: {lesson.title} | Flashcards Skill*",
        "",
    ]
    return "\n".join(out)


def edit_plan(n_files: int, n_cards: int) -> dict[int, dict[int, str]]:
    """file index -> {card number: revision text}: 1% of the cards (at least one), spread
    evenly over the files and over card positions."""
    total = n_files * n_cards
    n_edit = max(1, round(total * EDIT_FRACTION))
    out: dict[int, dict[int, str]] = {}
    for k in range(n_edit):
        g = k * total // n_edit
        f, c = divmod(g, n_cards)
        # a different card position in successive files
        c = (c + k) % n_cards
        out.setdefault(f + 1, {})[c + 1] = f"{EDIT_MARK}-{k} the answer was clarified."
    return out


def write_corpus(folder: Path, n_files: int, n_cards: int, seed: int) -> list[GenLesson]:
    folder.mkdir(parents=True, exist_ok=True)
    lessons = [generate_lesson(i, n_cards, seed) for i in range(1, n_files + 1)]
    for lesson in lessons:
        (folder / lesson.file_name).write_text(lesson_markdown(lesson), encoding="utf-8")
    return lessons


def write_edits(
    folder: Path, lessons: list[GenLesson], edits: dict[int, dict[int, str]] | None
) -> None:
    """Rewrite the files named in ``edits`` with those edits (None: restore the originals)."""
    plan = edits if edits is not None else edit_plan(len(lessons), len(lessons[0].cards))
    for index in plan:
        lesson = lessons[index - 1]
        text = lesson_markdown(lesson, plan[index] if edits is not None else None)
        (folder / lesson.file_name).write_text(text, encoding="utf-8")


# ---------------------------------------------------------------------------
# Baseline input: the same notes as a CSV file, rendered beforehand


def write_baseline_csv(corpus: Path, out: Path) -> dict[str, Any]:
    """Parse and render every file (not timed) into a CSV for Anki's importer; returns what
    the imports must produce (note count, deck names, columns)."""
    from addon.collection import naming
    from addon.collection.notetype import FIELDS
    from addon.config import Config
    from addon.lesson.parse import parse_text
    from addon.lesson.render import render_markdown

    config = Config.from_dict(None)
    decks: set[str] = set()
    warnings: list[str] = []
    n = 0
    size = 0
    with open(out, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        f.write("#separator:Comma\n#html:true\n")
        f.write(f"#deck column:{len(FIELDS) + 1}\n#tags column:{len(FIELDS) + 2}\n")
        for path in sorted(corpus.glob("*.md")):
            lesson = parse_text(path.read_bytes(), str(path), render=False)
            warnings += [str(x) for x in lesson.warnings]
            deck = naming.lesson_deck_name(lesson, config)
            label = naming.lesson_label(lesson)
            root = config.tag_root
            for c in lesson.cards:
                sub = f"{deck}::{c.difficulty.title()}"
                decks.add(sub)
                tags = [
                    naming.lesson_tag(lesson, config),
                    f"{root}::difficulty::{c.difficulty}",
                    f"{root}::concept::{naming.slug(c.concept)}",
                    f"{root}::bloom::{naming.slug(c.bloom_level or c.cognitive_level)}",
                ]
                tags += [f"{root}::key_concept::{naming.slug(k)}" for k in c.key_concepts]
                if c.critical:
                    tags.append(naming.critical_tag(config))
                row = [
                    render_markdown(c.front_md),
                    render_markdown(c.back_md),
                    c.difficulty.title(),
                    c.concept,
                    c.cognitive_level,
                    c.source_section,
                    "Yes" if c.critical else "",
                    c.key_terminology,
                    label,
                    str(c.number),
                    f"lf1|{n:08x}|{c.number}|{'0' * 16}|{'1' * 16}|{'2' * 16}|{'3' * 16}",
                    sub,
                    " ".join(tags),
                ]
                size += sum(len(x.encode("utf-8")) for x in row[: len(FIELDS)])
                w.writerow(row)
                n += 1
    return {
        "notes": n,
        "decks": sorted(decks),
        "fields": len(FIELDS),
        "note_kb": round(size / max(1, n) / 1024, 2),
        "warnings": warnings,
    }


# ---------------------------------------------------------------------------
# Children: one measured step each


def _mem_kb(key: str) -> int | None:
    try:
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def _peak_mb() -> float:
    kb = _mem_kb("VmHWM")
    if kb is None:
        import resource

        kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return round(kb / 1024, 1)


class Wrong(Exception):
    """The step ran but its result is wrong."""


def _check(cond: bool, what: str) -> None:
    if not cond:
        raise Wrong(what)


def _our_decks(col: Any, root: str) -> set[str]:
    """Names of the lesson subdecks (root::Lesson ...::Difficulty)."""
    return {
        d.name
        for d in col.decks.all_names_and_ids()
        if d.name.startswith(root + "::Lesson ") and d.name.count("::") == 2
    }


def run_child(
    step: str, work: Path, profile: Path | None, phases: Path | None = None
) -> dict[str, Any]:
    os.environ.setdefault("ANKI_TEST_MODE", "1")
    from anki.collection import Collection

    from addon.config import Config

    expected = json.loads((work / "expected.json").read_text(encoding="utf-8"))
    config = Config.from_dict(None)
    corpus = work / "corpus"
    folder = work / ("baseline" if step == "baseline" else "ours")
    if step in ("baseline", "full"):
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
    col = Collection(str(folder / "collection.anki2"))
    info: dict[str, Any] = {"step": step}
    profiler = None
    try:
        if step == "baseline":
            from anki.collection import ImportCsvRequest
            from anki.import_export_pb2 import CsvMetadata

            from addon.collection.notetype import FIELDS, ensure_notetype

            nt = ensure_notetype(col)  # same fields and templates as ours (not timed)
            path = str(work / "baseline.csv")
            rss0 = _mem_kb("VmRSS")
            t0, c0 = time.perf_counter(), time.process_time()
            md = col.get_csv_metadata(path, delimiter=CsvMetadata.COMMA)
            md.global_notetype.id = nt["id"]
            del md.global_notetype.field_columns[:]
            md.global_notetype.field_columns.extend(range(1, len(FIELDS) + 1))
            md.deck_column = len(FIELDS) + 1
            md.tags_column = len(FIELDS) + 2
            md.is_html = True
            out = col.import_csv(ImportCsvRequest(path=path, metadata=md))
            seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
            info["log"] = {"new": len(out.log.new), "updated": len(out.log.updated)}
            _check(
                len(out.log.new) == expected["notes"], f"CSV import added {len(out.log.new)} notes"
            )
            _check(
                col.note_count() == expected["notes"], f"{col.note_count()} notes in the collection"
            )
            decks = _our_decks(col, "Lessons")
            _check(
                decks == set(expected["decks"]),
                f"{len(decks)} lesson decks, expected {len(expected['decks'])}",
            )
        else:
            from addon.collection.importer import import_files, iter_lesson_files
            from addon.collection.notetype import find_notetype

            cache = folder / "cache.json"
            paths = sorted(corpus.glob("*.md"))
            timers = install_phase_timers() if phases is not None else None
            if profile is not None:
                import cProfile

                profiler = cProfile.Profile()
            rss0 = _mem_kb("VmRSS")
            t0, c0 = time.perf_counter(), time.process_time()
            if profiler is not None:
                profiler.enable()
            try:
                # as the command line does: each file looked at (and read if need be) in turn
                result = import_files(col, iter_lesson_files(paths), config, cache_path=cache)
            finally:
                if profiler is not None:
                    profiler.disable()
                    if profile is not None:
                        profiler.dump_stats(str(profile))
                if timers is not None and phases is not None:
                    phases.write_text(json.dumps(timers), encoding="utf-8")
                print(f"{step}: {time.perf_counter() - t0:.3f} s", file=sys.stderr)
            seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
            info["result"] = {
                k: v
                for k, v in result.to_json().items()
                if k in ("added", "updated", "unchanged", "retired")
            }
            info["result"]["conflicts"] = len(result.conflicts)
            info["result"]["warnings"] = len(result.warnings)
            n = expected["notes"]
            want = {
                "full": (n, 0, 0),
                "unchanged": (0, 0, n),
                "edit": (0, expected["edited"], n - expected["edited"]),
            }[step]
            got = (result.added, result.updated, result.unchanged)
            _check(
                got == want and result.retired == 0 and not result.conflicts,
                f"ImportResult added/updated/unchanged {got}, expected {want} "
                f"(retired {result.retired}, conflicts {len(result.conflicts)})",
            )
            ours = find_notetype(col)
            _check(ours is not None, "the note type is missing")
            assert ours is not None and col.db is not None
            db = col.db
            count = db.scalar("select count() from notes where mid = ?", ours["id"])
            _check(count == n, f"{count} notes of our note type, expected {n}")
            decks = _our_decks(col, config.deck_root)
            _check(
                decks == set(expected["decks"]),
                f"{len(decks)} lesson decks, expected {len(expected['decks'])}",
            )
            marked = db.scalar(f"select count() from notes where flds like '%{EDIT_MARK}-%'")
            want_marked = expected["edited"] if step == "edit" else 0
            _check(
                marked == want_marked,
                f"{marked} notes show an edited answer, expected {want_marked}",
            )
        info.update(
            seconds=round(seconds, 4),
            cpu_seconds=round(cpu, 4),
            rss_before_mb=round((rss0 or 0) / 1024, 1),
            peak_rss_mb=_peak_mb(),
            ok=True,
        )
    except Wrong as e:
        info.update(ok=False, error=str(e), peak_rss_mb=_peak_mb())
    finally:
        col.close()
    return info


# ---------------------------------------------------------------------------
# Parent


def _spawn(
    step: str, work: Path, profile: Path | None = None, phases: Path | None = None
) -> dict[str, Any]:
    out = work / "results" / f"{step}.json"
    out.unlink(missing_ok=True)
    cmd = [sys.executable, "-m", "tools.bench", "--child", step, "--work", str(work)]
    if profile is not None:
        cmd += ["--profile-out", str(profile)]
    if phases is not None:
        cmd += ["--phases-out", str(phases)]
    env = dict(os.environ)
    env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
    env.setdefault("ANKI_TEST_MODE", "1")
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True)
    if proc.returncode != 0 or not out.exists():
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-15:]
        return {
            "step": step,
            "ok": False,
            "crashed": True,
            "error": "\n".join(tail),
            "process_seconds": round(time.perf_counter() - t0, 1),
        }
    data: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))
    return data


def _round(
    work: Path, lessons: list[GenLesson], log: Callable[[str], None]
) -> dict[str, dict[str, Any]]:
    corpus = work / "corpus"
    write_edits(corpus, lessons, None)  # originals
    res: dict[str, dict[str, Any]] = {}
    for step in STEPS:
        if step == "edit":
            write_edits(corpus, lessons, edit_plan(len(lessons), len(lessons[0].cards)))
        log(f"  {step} ...")
        res[step] = _spawn(step, work)
        r = res[step]
        log(
            f"  {step}: "
            + (
                f"{r['seconds']:.2f} s, {r['peak_rss_mb']} MB"
                if r.get("ok")
                else f"FAILED: {r.get('error')}"
            )
        )
        if r.get("crashed"):
            break
    write_edits(corpus, lessons, None)
    return res


def summarize(rounds: list[dict[str, dict[str, Any]]]) -> dict[str, Any]:
    """Best time and highest peak of each step over the rounds, ratios and targets."""
    steps: dict[str, Any] = {}
    for step in STEPS:
        runs = [r[step] for r in rounds if step in r]
        good = [r for r in runs if r.get("ok")]
        if not runs:
            steps[step] = {
                "ok": False,
                "skipped": True,
                "error": "not run (an earlier step failed)",
            }
            continue
        if len(good) < len(runs):
            bad = next(r for r in runs if not r.get("ok"))
            steps[step] = {
                "ok": False,
                "crashed": bool(bad.get("crashed")),
                "error": bad.get("error", ""),
                "process_seconds": bad.get("process_seconds"),
            }
            continue
        best = min(good, key=lambda r: r["seconds"])
        steps[step] = {
            "ok": True,
            "seconds": best["seconds"],
            "cpu_seconds": best["cpu_seconds"],
            "peak_rss_mb": max(r["peak_rss_mb"] for r in good),
            "rss_before_mb": best["rss_before_mb"],
            "all_seconds": [r["seconds"] for r in good],
            "result": best.get("result") or best.get("log"),
        }
    base = steps["baseline"].get("seconds") if steps["baseline"].get("ok") else None
    targets = []
    for step, s in steps.items():
        s["ratio"] = round(s["seconds"] / base, 3) if base and s.get("ok") else None
        if step in TARGETS:
            limit, aim = TARGETS[step]
            ratio = s["ratio"]
            targets.append(
                {
                    "name": f"{step} time",
                    "value": ratio,
                    "limit": limit,
                    "aim": aim,
                    "pass": bool(ratio is not None and ratio <= limit),
                }
            )
    peak = steps["full"].get("peak_rss_mb") if steps["full"].get("ok") else None
    targets.append(
        {
            "name": "full peak RSS MB",
            "value": peak,
            "limit": FULL_PEAK_MB,
            "aim": None,
            "pass": bool(peak is not None and peak <= FULL_PEAK_MB),
        }
    )
    return {"steps": steps, "targets": targets}


def format_table(summary: dict[str, Any], meta: dict[str, Any]) -> str:
    lines = [
        f"corpus: {meta['files']} files x {meta['cards']} cards = {meta['notes']} notes "
        f"({meta['note_kb']} KB of fields per note), seed {meta['seed']}, {meta['repeat']} round(s), "
        f"{os.cpu_count()} CPUs, load average {meta.get('load_average', '?')} "
        "(other work on the machine slows both sides: compare ratios, or use --repeat)",
        "",
        f"{'step':<10} {'seconds':>8} {'cpu s':>7} {'x base':>7} {'peak MB':>8} {'start MB':>8}  check",
    ]
    labels = {
        "baseline": "Anki CSV import",
        "full": "full import",
        "unchanged": "unchanged",
        "edit": "1% edited",
    }
    for step in STEPS:
        s = summary["steps"][step]
        if not s.get("ok"):
            kind = "CRASHED" if s.get("crashed") else "SKIPPED" if s.get("skipped") else "WRONG"
            err = str(s.get("error", "")).strip().splitlines()
            after = f" (process ran {s['process_seconds']} s)" if s.get("process_seconds") else ""
            lines.append(f"{step:<10} {kind}{after}: {err[-1] if err else ''}")
            continue
        ratio = f"{s['ratio']:.3f}" if s["ratio"] is not None else "-"
        lines.append(
            f"{step:<10} {s['seconds']:>8.3f} {s['cpu_seconds']:>7.2f} {ratio:>7} "
            f"{s['peak_rss_mb']:>8.1f} {s['rss_before_mb']:>8.1f}  ok ({labels[step]}: {s['result']})"
        )
    lines += ["", "targets:"]
    for t in summary["targets"]:
        value = (
            "-"
            if t["value"] is None
            else f"{t['value']:.3f}"
            if "time" in t["name"]
            else f"{t['value']:.0f}"
        )
        aim = f" (aim {t['aim']})" if t["aim"] else ""
        unit = "x baseline" if "time" in t["name"] else "MB"
        lines.append(
            f"  {t['name']:<18} {value:>8} <= {t['limit']} {unit}{aim}: {'PASS' if t['pass'] else 'FAIL'}"
        )
    return "\n".join(lines)


# ---------------------------------------------------------------------------
# Profiles

# Functions whose cumulative time tells the phases apart (module, attribute), timed by
# wrapping them (``--phases``, low overhead) or looked up in the cProfile output by name.
PHASES = (
    ("addon.collection.importer", "import_files"),
    ("addon.collection.importer", "plan_files"),
    ("addon.collection.importer", "parse_text"),
    ("addon.lesson.parse", "render_markdown"),
    ("addon.collection.importer", "plan_import"),
    ("addon.collection.importer", "_lesson_stats"),
    ("addon.collection.importer", "_existing_by_lesson"),
    ("addon.collection.importer", "_plan_lesson"),
    ("addon.collection.importer", "apply_plan"),
    ("addon.collection.importer", "render_markdown"),
    ("addon.collection.importer", "_add_foreign_notes"),
    ("anki.collection.Collection", "import_json_string"),
    ("anki.collection.Collection", "get_note"),
    ("anki.collection.Collection", "update_notes"),
    ("addon.collection.scheduling", "prepare_new_decks"),
    ("addon.collection.importer", "_note_ids_by_lesson"),
    ("addon.collection.importer", "_schedule"),
    ("addon.collection.scheduling", "configure_decks"),
    ("addon.collection.scheduling", "_assign"),
    ("addon.collection.scheduling", "order_new_cards_many"),
    ("addon.collection.scheduling", "update_holds"),
    ("addon.collection.decks.DeckEdits", "flush"),
    ("addon.collection.review_filter", "ensure_filter_deck"),
    ("addon.collection.review_filter", "ensure_saved_searches"),
    ("addon.collection.importer", "_save_cache"),
    ("anki.collection.Collection", "merge_undo_entries"),
)


def install_phase_timers() -> dict[str, list[float]]:
    """Wrap the PHASES functions (those that exist) with wall-clock timers:
    name -> [calls, seconds, peak RSS MB so far when a call returned (highest)]. Inclusive
    times: nested phases are counted in their callers too. The peak (VmHWM only grows) tells
    which phase raised it: the first one, in call order, that shows the final peak."""
    import functools
    import importlib

    out: dict[str, list[float]] = {}
    for mod_name, attr in PHASES:
        owner: Any
        last = mod_name.rsplit(".", 1)[-1]
        if last[:1].isupper():  # a class: module.Class
            try:
                owner = getattr(importlib.import_module(mod_name.rsplit(".", 1)[0]), last)
            except (ImportError, AttributeError):
                continue
        else:
            try:
                owner = importlib.import_module(mod_name)
            except ImportError:
                continue
        fn = getattr(owner, attr, None)
        if fn is None or not callable(fn):
            continue
        key = f"{mod_name.rsplit('.', 1)[-1]}.{attr}"
        acc = out.setdefault(key, [0, 0.0, 0.0])
        # reading /proc costs ~20 us: not around the per-card functions
        mem = attr not in ("render_markdown", "get_note")

        def wrap(fn: Any, acc: list[float], mem: bool) -> Any:
            @functools.wraps(fn)
            def timed(*a: Any, **kw: Any) -> Any:
                t = time.perf_counter()
                try:
                    return fn(*a, **kw)
                finally:
                    acc[0] += 1
                    acc[1] += time.perf_counter() - t
                    if mem:
                        acc[2] = max(acc[2], (_mem_kb("VmHWM") or 0) / 1024)

            return timed

        setattr(owner, attr, wrap(fn, acc, mem))
    return out


def profile_report(path: Path, top: int = 25) -> dict[str, Any]:
    import pstats

    st = pstats.Stats(str(path))
    raw: dict[Any, Any] = st.stats  # type: ignore[attr-defined]
    total = max((v[3] for v in raw.values()), default=0.0)
    phases = []
    for mod_name, func in PHASES:
        parts = mod_name.split(".")
        fname = (parts[-2] if parts[-1][:1].isupper() else parts[-1]) + ".py"
        calls, cum = 0, 0.0
        for (file, _line, name), (_cc, nc, _tt, ct, _callers) in raw.items():
            if name == func and os.path.basename(file) == fname:
                calls += nc
                cum += ct
        if calls:
            phases.append(
                {"function": f"{fname}:{func}", "calls": calls, "cumulative": round(cum, 3)}
            )
    own = sorted(raw.items(), key=lambda kv: kv[1][2], reverse=True)[:top]
    buf = io.StringIO()
    pstats.Stats(str(path), stream=buf).sort_stats("cumulative").print_stats(40)
    (path.with_suffix(".txt")).write_text(buf.getvalue(), encoding="utf-8")
    return {
        "total": round(total, 3),
        "phases": phases,
        "own_time": [
            {
                "function": f"{os.path.basename(f)}:{ln}:{name}",
                "calls": v[1],
                "own": round(v[2], 3),
                "cumulative": round(v[3], 3),
            }
            for (f, ln, name), v in own
        ],
    }


def format_profile(name: str, rep: dict[str, Any]) -> str:
    lines = [f"where the time goes in the {name} import:"]
    if rep.get("phases_error") or rep.get("cprofile_error"):
        err = str(rep.get("phases_error") or rep.get("cprofile_error")).strip().splitlines()
        lines.append(f"  (the step failed: {err[-1] if err else ''})")
    if rep.get("timers"):
        lines.append(
            "  wall-clock timers around phases (inclusive seconds, calls, peak RSS MB when it returned):"
        )
        for p in rep["timers"]:
            peak = p.get("peak_mb_after")
            lines.append(
                f"    {p['function']:<42} {p['seconds']:>8.3f} {p['calls']:>9} {peak if peak else '':>8}"
            )
    if rep.get("own_time"):
        lines.append(f"  cProfile ({rep['total']:.2f} s with profiling overhead), own time:")
        for p in rep["own_time"]:
            lines.append(f"    {p['function'][:60]:<60} {p['own']:>8.3f} {p['calls']:>9}")
        lines.append(
            f"  (python -m pstats {rep['file']}; top 40 by cumulative time in {Path(rep['file']).with_suffix('.txt')})"
        )
    return "\n".join(lines)


def run_profiles(
    work: Path, lessons: list[GenLesson], log: Callable[[str], None]
) -> dict[str, Any]:
    """Two more rounds of full, unchanged and 1% edited imports: one with wall-clock timers
    around the main phases (real times), one under cProfile (where inside them)."""
    corpus = work / "corpus"
    pdir = work / "profiles"
    pdir.mkdir(exist_ok=True)
    out: dict[str, Any] = {}
    for mode in ("phases", "cprofile"):
        write_edits(corpus, lessons, None)
        for step in ("full", "unchanged", "edit"):
            if step == "edit":
                write_edits(corpus, lessons, edit_plan(len(lessons), len(lessons[0].cards)))
            log(f"  {mode} of {step} ...")
            prof = pdir / f"{step}.prof"
            ph = pdir / f"{step}.phases.json"
            r = _spawn(
                step, work, prof if mode == "cprofile" else None, ph if mode == "phases" else None
            )
            rep = out.setdefault(step, {})
            if not r.get("ok"):
                rep[f"{mode}_error"] = r.get("error")
            if mode == "phases" and ph.exists():
                timers = json.loads(ph.read_text(encoding="utf-8"))
                rep["seconds"] = r.get("seconds")
                rep["timers"] = [
                    {
                        "function": k,
                        "calls": int(v[0]),
                        "seconds": round(v[1], 3),
                        "peak_mb_after": round(v[2], 1) if len(v) > 2 and v[2] else None,
                    }
                    for k, v in timers.items()
                    if v[0]
                ]
            if mode == "cprofile" and prof.exists():
                rep.update(profile_report(prof))
                rep["file"] = str(prof)
            if r.get("crashed"):
                break
    write_edits(corpus, lessons, None)
    return out


# ---------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        prog="python -m tools.bench",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    ap.add_argument("--files", type=int, default=1000, help="lesson files (default 1000)")
    ap.add_argument("--cards", type=int, default=10, help="cards per file (default 10)")
    ap.add_argument("--seed", type=int, default=8, help="corpus seed (default 8)")
    ap.add_argument(
        "--out", metavar="DIR", help="work folder, kept (default: a temp folder, removed)"
    )
    ap.add_argument(
        "--repeat", type=int, default=1, help="rounds; the best time of each step counts"
    )
    ap.add_argument("--json", action="store_true", help="print the results as JSON")
    ap.add_argument(
        "--profile", action="store_true", help="also profile the full and the 1%% import"
    )
    ap.add_argument("--child", choices=STEPS, help=argparse.SUPPRESS)
    ap.add_argument("--work", help=argparse.SUPPRESS)
    ap.add_argument("--profile-out", help=argparse.SUPPRESS)
    ap.add_argument("--phases-out", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)

    if args.child:
        work = Path(args.work)
        info = run_child(
            args.child,
            work,
            Path(args.profile_out) if args.profile_out else None,
            Path(args.phases_out) if args.phases_out else None,
        )
        (work / "results").mkdir(exist_ok=True)
        (work / "results" / f"{args.child}.json").write_text(json.dumps(info), encoding="utf-8")
        return 0

    if args.files < 1 or args.cards < 1 or args.repeat < 1:
        ap.error("--files, --cards and --repeat must be at least 1")
    log: Callable[[str], None] = (
        (lambda s: print(s, file=sys.stderr, flush=True))
        if args.json
        else (lambda s: print(s, flush=True))
    )
    tmp = None
    if args.out:
        work = Path(args.out).resolve()
        work.mkdir(parents=True, exist_ok=True)
    else:
        tmp = tempfile.mkdtemp(prefix="lf-bench-")
        work = Path(tmp)
    try:
        t0 = time.perf_counter()
        corpus = work / "corpus"
        shutil.rmtree(corpus, ignore_errors=True)
        lessons = write_corpus(corpus, args.files, args.cards, args.seed)
        log(f"corpus: {args.files} files in {corpus} ({time.perf_counter() - t0:.1f} s)")
        t0 = time.perf_counter()
        expected = write_baseline_csv(corpus, work / "baseline.csv")
        expected["edited"] = sum(len(v) for v in edit_plan(args.files, args.cards).values())
        (work / "expected.json").write_text(json.dumps(expected), encoding="utf-8")
        log(f"baseline CSV rendered ({time.perf_counter() - t0:.1f} s, not timed)")
        if expected["warnings"]:
            log(
                f"warning: the parser warned about the generated corpus: {expected['warnings'][:3]}"
            )
        rounds = []
        for i in range(args.repeat):
            log(f"round {i + 1} of {args.repeat}")
            rounds.append(_round(work, lessons, log))
        summary = summarize(rounds)
        meta = {
            "files": args.files,
            "cards": args.cards,
            "notes": expected["notes"],
            "note_kb": expected["note_kb"],
            "seed": args.seed,
            "repeat": args.repeat,
            "cpus": os.cpu_count(),
            "corpus_warnings": len(expected["warnings"]),
            "load_average": [round(x, 2) for x in os.getloadavg()],
        }
        summary["meta"] = meta
        ok = all(s.get("ok") for s in summary["steps"].values())
        if args.profile and summary["steps"]["baseline"].get("ok"):
            summary["profiles"] = run_profiles(work, lessons, log)
        summary["ok"] = ok
        if args.json:
            print(json.dumps(summary, indent=2))
        else:
            print()
            print(format_table(summary, meta))
            for name, rep in summary.get("profiles", {}).items():
                print()
                print(format_profile(name, rep))
        return 0 if ok else 1
    finally:
        if tmp is not None and not args.profile:
            shutil.rmtree(tmp, ignore_errors=True)
        elif tmp is not None:
            log(f"profiles kept in {work / 'profiles'} (remove {work} when done)")


if __name__ == "__main__":
    raise SystemExit(main())
