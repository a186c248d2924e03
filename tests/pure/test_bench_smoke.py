"""tools.bench runs end to end on a tiny corpus and reports every step (nothing about speed)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from addon.lesson.parse import parse_text
from tools import bench

REPO = Path(__file__).resolve().parent.parent.parent


def test_corpus_is_deterministic_and_parses_cleanly() -> None:
    a = bench.lesson_markdown(bench.generate_lesson(7, 10, seed=3))
    assert a == bench.lesson_markdown(bench.generate_lesson(7, 10, seed=3))
    assert a != bench.lesson_markdown(bench.generate_lesson(7, 10, seed=4))
    lesson = parse_text(a, "Lesson_0007.md")
    assert lesson.warnings == []
    assert lesson.number == 7
    assert lesson.source == "Lessons/Lesson_0007.md"
    assert [c.number for c in lesson.cards] == list(range(1, 11))
    assert {c.difficulty for c in lesson.cards} == {"easy", "medium", "hard"}
    assert lesson.key_concepts and lesson.schedule_declared
    text = "\n".join(
        bench.lesson_markdown(bench.generate_lesson(i, 10, seed=3)) for i in range(1, 4)
    )
    for feature in (
        "```python",
        "|---",
        "┌",
        "▼",
        "\n- **",
        "\n1. **",
        "√",
        "`",
        "**Key Insight:**",
    ):
        assert feature in text, feature


def test_edits_are_one_percent_spread_over_files() -> None:
    plan = bench.edit_plan(1000, 10)
    assert sum(len(v) for v in plan.values()) == 100
    assert len(plan) == 100  # one card in each of 100 files
    assert len({n for cards in plan.values() for n in cards}) == 10  # every card position
    assert sum(len(v) for v in bench.edit_plan(3, 4).values()) == 1


def _run(args: list[str], timeout: float = 60) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
    return subprocess.run(
        [sys.executable, "-m", "tools.bench", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    work = tmp_path_factory.mktemp("bench")
    proc = _run(["--files", "3", "--cards", "4", "--out", str(work), "--json", "--profile"])
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return work, json.loads(proc.stdout)


def test_tiny_bench_reports_every_step(tiny_run: tuple[Path, dict]) -> None:
    work, out = tiny_run
    assert out["ok"] is True
    assert out["meta"]["notes"] == 12 and out["meta"]["corpus_warnings"] == 0
    assert len(list((work / "corpus").glob("Lesson_*.md"))) == 3
    steps = out["steps"]
    assert list(steps) == list(bench.STEPS)
    for name, s in steps.items():
        assert s["ok"] is True, (name, s)
        assert s["seconds"] > 0 and s["peak_rss_mb"] > 0 and s["ratio"] > 0
    assert steps["baseline"]["ratio"] == 1.0
    assert steps["baseline"]["result"]["new"] == 12
    assert steps["full"]["result"]["added"] == 12
    assert steps["unchanged"]["result"]["unchanged"] == 12
    assert steps["edit"]["result"]["updated"] == 1
    names = [t["name"] for t in out["targets"]]
    assert names == ["full time", "unchanged time", "edit time", "full peak RSS MB"]
    assert all(isinstance(t["pass"], bool) for t in out["targets"])
    # the profile rounds ran and name the phases
    for step in ("full", "edit"):
        prof = out["profiles"][step]
        assert any(t["function"] == "importer.plan_files" for t in prof["timers"])
        assert prof["own_time"] and Path(prof["file"]).exists()
    table = bench.format_table(out, out["meta"])
    assert "full import" in table and ("PASS" in table or "FAIL" in table)


def test_a_wrong_import_is_reported_not_timed(tiny_run: tuple[Path, dict]) -> None:
    """The "1% edited" step with nothing edited on disk: the importer updates nothing,
    which the bench must call wrong (a fast but wrong importer cannot pass)."""
    work, _ = tiny_run
    r = bench._spawn("full", work)
    assert r["ok"] is True
    r = bench._spawn("edit", work)  # corpus restored: no edit on disk
    assert r["ok"] is False and not r.get("crashed")
    assert "ImportResult" in r["error"]
    summary = bench.summarize([{"baseline": {**r, "ok": False}}])
    assert summary["steps"]["baseline"]["ok"] is False
    assert all(t["pass"] is False for t in summary["targets"])
