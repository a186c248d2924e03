"""``python -m tools.lessons inspect`` run as a user runs it (a subprocess)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from .helpers import FIXTURES

REPO = Path(__file__).resolve().parent.parent.parent


def inspect(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tools.lessons", "inspect", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=120,
    )


CARD_KEYS = {
    "number",
    "difficulty",
    "cognitive_level",
    "concept",
    "source_section",
    "critical",
    "initial_interval_days",
    "multiplier",
    "recommended_review",
    "key_terminology",
    "front_html",
    "back_html",
}
LESSON_KEYS = {
    "file",
    "source",
    "number",
    "title",
    "subject",
    "declared_total",
    "key_concepts",
    "warnings",
    "cards",
}


def test_json_shape_for_lesson4(lesson4_path: Path) -> None:
    proc = inspect(str(lesson4_path), "--json")
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    data = json.loads(proc.stdout)
    assert list(data) == ["lessons"]
    (lesson,) = data["lessons"]
    assert set(lesson) >= LESSON_KEYS
    assert lesson["file"] == str(lesson4_path)
    assert lesson["source"] == "Lessons/Lesson_4.md"
    assert (lesson["number"], lesson["title"], lesson["declared_total"]) == (4, "Transformers", 5)
    assert lesson["subject"].startswith("AI Learning - Transformer Architecture")
    assert lesson["key_concepts"]["Self-Attention"] == [1, 2, 5]
    assert lesson["warnings"] == []
    assert len(lesson["cards"]) == 5
    card = lesson["cards"][0]
    assert set(card) >= CARD_KEYS
    assert {k: card[k] for k in CARD_KEYS - {"front_html", "back_html"}} == {
        "number": 1,
        "difficulty": "easy",
        "cognitive_level": "Remember",
        "concept": "Scaled Dot-Product Attention",
        "source_section": "Core Concepts - Concept 1",
        "critical": True,
        "initial_interval_days": 1,
        "multiplier": 2.5,
        "recommended_review": "Foundation - review first",
        "key_terminology": "Q/K/V, softmax, √d_k scaling",
    }
    assert card["front_html"].startswith("<p>Write the complete formula")
    card5 = lesson["cards"][4]
    assert '<pre class="lf-diagram">┌' in card5["back_html"]
    assert card5["back_html"].count('<div class="lf-table">') == 6
    assert [c["multiplier"] for c in lesson["cards"]] == [2.5, 2.5, 2.0, 2.0, 1.5]


def test_summary_and_several_files(lesson4_path: Path) -> None:
    mismatch = FIXTURES / "Lesson_3_llms_mismatch.md"
    proc = inspect(str(lesson4_path), str(mismatch))
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "Lesson 4 - Transformers" in out
    assert "cards:    5 (declared 5): 2 easy, 2 medium, 1 hard; 5 critical" in out
    assert "Lesson 3 - Large Language Models" in out
    assert f"warning: {mismatch}:5: Total Cards says 4, but the file has 3 cards" in out


def test_warnings_in_json() -> None:
    mismatch = FIXTURES / "Lesson_3_llms_mismatch.md"
    proc = inspect(str(mismatch), "--json")
    assert proc.returncode == 0
    warnings = json.loads(proc.stdout)["lessons"][0]["warnings"]
    assert len(warnings) == 10
    assert warnings[0] == f"{mismatch}:5: Total Cards says 4, but the file has 3 cards"


def test_refused_file_exits_2_with_file_line_on_stderr(lesson4_path: Path) -> None:
    bad = FIXTURES / "refuse_duplicate.md"
    proc = inspect(str(lesson4_path), str(bad), "--json")
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert proc.stderr.strip() == (
        f"{bad}:19: two cards are numbered 2 (the first is at line 12); "
        "give each card its own number"
    )
    assert "Traceback" not in proc.stderr


def test_not_utf8_and_missing_file(tmp_path: Path) -> None:
    latin = tmp_path / "Lesson_1.md"
    latin.write_bytes(b"### Card 1 | Easy\n**FRONT:** caf\xe9\n**BACK:** x\n")
    proc = inspect(str(latin))
    assert proc.returncode == 2
    assert proc.stderr.startswith(f"{latin}:2: the file is not UTF-8 text")
    missing = tmp_path / "nope.md"
    proc = inspect(str(missing))
    assert proc.returncode == 2
    assert proc.stderr.startswith(f"{missing}:1: cannot read the file")
