"""Read every configured lesson source and decide what changed (no collection, no aqt).

``collect`` is the network/disk half of a lesson sync: safe to run off the UI thread, it
touches no collection and writes nothing. It returns a ``SyncReport`` that ``apply`` (in
``sources.apply``) imports into a collection, saving the new state only once that succeeded.

A source is one ``SourceSpec``:
- a folder: every ``*.md`` below it (hidden files and folders skipped); a file in it with no
  card heading at all (a README) is skipped, not an error;
- a single file;
- a URL: a lesson file, or an index listing lesson URLs one per line (``#`` comments allowed)
  or as a JSON list of strings; relative entries are resolved against the index's URL.

Each lesson file (a "item") ends up fetched (new or changed: parsed), unchanged (same content
hash as last applied, or HTTP 304: not parsed), failed (with a reason, nothing of it is
imported), removed (gone from its folder or index: its notes are kept as they are) or skipped.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import requests

from ..config import Config, SourceSpec
from ..lesson.errors import LessonError
from ..lesson.model import Lesson
from ..lesson.parse import parse_text
from .fetch import FetchError, check_url, display_url, fetch
from .state import load_state, state_path

MAX_INDEX_ENTRIES = 1000
URL_WORKERS = 4
OUT_OF_TIME = "not checked: the lesson sync ran out of time (tried again next time)"
# A file with none of these lines is not a lesson file (e.g. a README in a lesson folder).
_CARD_LINE = re.compile(rb"(?im)^[ \t]*#{1,6}[ \t]*\**[ \t]*card[ \t]+\d+")


@dataclass
class ItemResult:
    """One lesson file of a source."""

    name: str  # shown to people: path, or URL without credentials
    key: str  # state key: the absolute path or the full URL (may hold credentials: never print)
    status: str  # "fetched" | "unchanged" | "failed" | "removed" | "skipped"
    reason: str = ""
    data: bytes | None = None  # content (fetched or unchanged items)
    sha1: str | None = None
    lesson: Lesson | None = None  # parsed: fetched items (and unchanged ones restored by apply)
    identity: str | None = None
    label: str = ""
    etag: str | None = None
    last_modified: str | None = None
    is_url: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "status": self.status,
            "reason": self.reason,
            "lesson": self.label,
        }


@dataclass
class SourceResult:
    name: str  # shown to people
    spec: SourceSpec
    kind: str  # "folder" | "file" | "url" | "index"
    key: str  # state key (never print)
    status: str = "unchanged"  # "fetched" | "unchanged" | "failed"
    reason: str = ""
    items: list[ItemResult] = field(default_factory=list)
    source_failed: bool = False  # the source itself (folder, index) could not be read
    top: dict[str, Any] | None = None  # URL sources: new validators and text of the URL itself

    @property
    def lessons(self) -> list[Lesson]:
        return [i.lesson for i in self.items if i.lesson is not None and i.status != "failed"]

    def count(self, status: str) -> int:
        return sum(1 for i in self.items if i.status == status)

    def finish(self) -> None:
        """Set the source's status and reason from its items."""
        if self.source_failed:
            self.status = "failed"
            return
        failed = [i for i in self.items if i.status == "failed"]
        if failed:
            self.status = "failed"
            self.reason = "; ".join(
                i.reason if i.reason.startswith(i.name) else f"{i.name}: {i.reason}"
                for i in failed[:5]
            )
            if len(failed) > 5:
                self.reason += f"; and {len(failed) - 5} more"
            return
        self.status = "fetched" if any(i.status == "fetched" for i in self.items) else "unchanged"
        parts = []
        for status, word in (
            ("fetched", "changed"),
            ("unchanged", "unchanged"),
            ("removed", "removed"),
        ):
            n = self.count(status)
            if n:
                parts.append(f"{n} {word}")
        if (
            self.status == "unchanged"
            and self.kind in ("url", "index")
            and self.top
            and self.top.get("status") == 304
        ):
            parts.insert(0, "not modified")
        self.reason = ", ".join(parts) or "no lesson files"

    def line(self) -> str:
        return f"{self.name}: {self.status}" + (f" ({self.reason})" if self.reason else "")

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "kind": self.kind,
            "status": self.status,
            "reason": self.reason,
            "deck_root": self.spec.deck_root,
            "items": [i.to_json() for i in self.items],
        }


@dataclass
class SyncReport:
    sources: list[SourceResult]
    state_file: Path
    fingerprint: str
    force: bool = False
    applied: bool = False
    error: str = ""  # set by apply when the import itself failed

    @property
    def ok(self) -> bool:
        return not self.error and all(s.status != "failed" for s in self.sources)

    @property
    def failed(self) -> list[SourceResult]:
        return [s for s in self.sources if s.status == "failed"]

    @property
    def has_work(self) -> bool:
        """Whether apply has anything to import or record (False: nothing changed anywhere)."""
        return any(
            i.status in ("fetched", "removed") for s in self.sources for i in s.items
        ) or any(s.top is not None and s.top.get("status") == 200 for s in self.sources)

    def lines(self) -> list[str]:
        return [s.line() for s in self.sources]

    def to_json(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "error": self.error,
            "sources": [s.to_json() for s in self.sources],
        }


def fingerprint(config: Config) -> str:
    """What in the config changes the notes written for an unchanged file."""
    parts = [
        config.tag_root,
        config.deck_root,
        config.critical_deck,
        str(config.hold_until_mastered),
        str(config.mastery_interval_days),
        json.dumps(dict(config.fsrs_desired_retention), sort_keys=True),
    ]
    return hashlib.sha1("\x1e".join(parts).encode("utf-8")).hexdigest()[:12]


def source_key(spec: SourceSpec) -> str:
    loc = spec.location.strip()
    if not spec.is_url:
        loc = os.path.abspath(os.path.expanduser(loc))
    return f"{loc}\x1f{spec.deck_root or ''}"


def _display_source(spec: SourceSpec) -> str:
    return display_url(spec.location.strip()) if spec.is_url else spec.location


def collect(
    specs: list[SourceSpec] | tuple[SourceSpec, ...],
    state_dir: str | os.PathLike[str],
    config: Config,
    force: bool = False,
    scope: str = "",
    session: requests.Session | None = None,
    time_budget: float | None = None,
) -> SyncReport:
    """Read all sources; parse what changed. No collection, no writes: run it off the UI thread.

    ``state_dir`` holds the state file (``scope`` picks one per profile or collection);
    ``force`` re-reads and re-parses everything (URLs still answer 304: their saved text is used).
    ``time_budget`` (seconds): sources and index entries not started by then fail with
    "out of time" (the GUI bounds the wait before Anki's own sync this way).
    """
    path = state_path(state_dir, scope)
    state = load_state(path)
    fp = fingerprint(config)
    report = SyncReport([], path, fp, force=force)
    deadline = time.monotonic() + time_budget if time_budget is not None else None
    own_session = session is None
    sess = session or requests.Session()
    adapter = requests.adapters.HTTPAdapter(pool_maxsize=URL_WORKERS * 2)
    if own_session:
        sess.mount("https://", adapter)
        sess.mount("http://", adapter)
    try:
        for spec in specs:
            key = source_key(spec)
            prev = state["sources"].get(key) or {}
            if prev.get("fp") != fp:
                prev = {"top": prev.get("top")}  # keep the saved text of a URL, forget the hashes
            result = SourceResult(_display_source(spec), spec, "file", key)
            if deadline is not None and time.monotonic() > deadline:
                result.source_failed = True
                result.reason = OUT_OF_TIME
                report.sources.append(result)
                continue
            try:
                if spec.is_url:
                    _collect_url(result, prev, config, force, sess, deadline)
                else:
                    _collect_local(result, prev, config, force)
            except Exception as e:  # a bug in one source must not stop the others
                result.source_failed = True
                result.reason = f"unexpected error: {type(e).__name__}: {e}"
            report.sources.append(result)
    finally:
        if own_session:
            sess.close()
    _mark_duplicates(report)
    for s in report.sources:
        s.finish()
    return report


# ---------------------------------------------------------------------------- local


def _max_bytes(config: Config) -> int:
    return int(config.max_download_mb * 1_000_000)


def _local_files(root: Path) -> list[Path]:
    out: list[Path] = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        out.extend(
            Path(dirpath) / f
            for f in sorted(filenames)
            if f.lower().endswith(".md") and not f.startswith(".")
        )
    return out


def _collect_local(result: SourceResult, prev: dict[str, Any], config: Config, force: bool) -> None:
    spec = result.spec
    root = Path(os.path.expanduser(spec.location.strip()))
    prev_items: dict[str, dict[str, Any]] = prev.get("items") or {}
    if root.is_dir():
        result.kind = "folder"
        try:
            files = _local_files(root)
        except OSError as e:
            result.source_failed = True
            result.reason = f"cannot list the folder ({e.strerror or e})"
            return
        names = {str(p.resolve()): str(p) for p in files}
    elif root.is_file():
        result.kind = "file"
        names = {str(root.resolve()): str(root)}
    else:
        result.source_failed = True
        result.kind = "folder" if not root.suffix else "file"
        result.reason = "not found (check the path; is the drive or share connected?)"
        return

    gone = {k: v for k, v in prev_items.items() if k not in names}
    gone_by_sha = {v.get("sha1"): k for k, v in gone.items() if v.get("sha1")}
    max_bytes = _max_bytes(config)
    for key, shown in names.items():
        item = ItemResult(shown, key, "fetched")
        result.items.append(item)
        try:
            size = os.stat(key).st_size
            if size > max_bytes:
                item.status, item.reason = (
                    "failed",
                    (
                        f"too big: {size:,} bytes, over the {config.max_download_mb:g} MB limit (max_download_mb)"
                    ),
                )
                continue
            with open(key, "rb") as f:
                data = f.read()
        except OSError as e:
            item.status, item.reason = "failed", f"cannot read the file ({e.strerror or e})"
            continue
        if result.kind == "folder" and not _CARD_LINE.search(data):
            item.status, item.reason = "skipped", "not a lesson file (no '### Card N' heading)"
            continue
        item.data = data
        item.sha1 = hashlib.sha1(data).hexdigest()
        old = prev_items.get(key)
        renamed_from = None
        if old is None and item.sha1 in gone_by_sha:
            renamed_from = gone_by_sha.pop(item.sha1)
            old = gone.pop(renamed_from)
        if not force and old and old.get("sha1") == item.sha1 and old.get("identity"):
            item.status = "unchanged"
            item.identity = old["identity"]
            item.label = old.get("label", "")
            if renamed_from:
                item.reason = f"renamed from {os.path.basename(renamed_from)}"
            continue
        _parse_into(item)
    for key in gone:
        result.items.append(
            ItemResult(
                _shown_removed(key, root, result.kind),
                key,
                "removed",
                "gone from the source; its notes were kept (retire or delete them in Anki if you want)",
                identity=gone[key].get("identity"),
                label=gone[key].get("label", ""),
            )
        )


def _shown_removed(key: str, root: Path, kind: str) -> str:
    if kind == "folder":
        try:
            return str(root / Path(key).relative_to(root.resolve()))
        except ValueError:
            pass
    return key


def _parse_into(item: ItemResult) -> None:
    assert item.data is not None
    try:
        lesson = parse_text(item.data, item.name)
    except LessonError as e:
        item.status, item.reason = "failed", str(e)
        return
    item.lesson = lesson
    item.identity = lesson.identity
    item.label = _label(lesson)
    item.status = "fetched"


def _label(lesson: Lesson) -> str:
    num = f"Lesson {lesson.number}" if lesson.number is not None else "Lesson"
    return f"{num} - {lesson.title}" if lesson.title else num


# ---------------------------------------------------------------------------- URLs


def parse_index(data: bytes, base_url: str) -> list[str] | None:
    """The lesson URLs an index lists, or None when ``data`` is not an index (but a lesson)."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return None
    stripped = text.strip()
    entries: list[str]
    if stripped.startswith("["):
        try:
            value = json.loads(stripped)
        except ValueError:
            return None
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            return None
        entries = [v.strip() for v in value if v.strip()]
    else:
        entries = []
        for line in stripped.splitlines():
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            if any(c.isspace() for c in line):
                return None
            if "://" not in line and not line.lower().split("?")[0].endswith(".md"):
                return None
            entries.append(line)
    if not entries:
        return None
    seen: dict[str, None] = {}
    for e in entries:
        seen.setdefault(urljoin(base_url, e), None)
    return list(seen)


def _collect_url(
    result: SourceResult,
    prev: dict[str, Any],
    config: Config,
    force: bool,
    session: requests.Session,
    deadline: float | None = None,
) -> None:
    url = result.spec.location.strip()
    prev_top: dict[str, Any] = prev.get("top") or {}
    prev_items: dict[str, dict[str, Any]] = prev.get("items") or {}
    result.kind = "url"
    cached = prev_top.get("text")
    try:
        got = fetch(
            url,
            timeout=config.request_timeout_seconds,
            max_bytes=_max_bytes(config),
            etag=prev_top.get("etag") if cached is not None else None,
            last_modified=prev_top.get("last_modified") if cached is not None else None,
            session=session,
        )
    except FetchError as e:
        result.source_failed = True
        result.reason = str(e)
        if prev_top.get("kind") == "index":
            result.kind = "index"
        return
    if got.status == 304:
        assert cached is not None
        body = str(cached).encode("utf-8")
    else:
        assert got.body is not None
        body = got.body
    entries = parse_index(body, got.final_url)
    result.top = {
        "status": got.status,
        "etag": got.etag,
        "last_modified": got.last_modified,
        "kind": "index" if entries is not None else "url",
    }
    if entries is None:
        # the URL is a lesson file itself
        item = ItemResult(result.name, url, "fetched", data=body, is_url=True)
        item.etag, item.last_modified = got.etag, got.last_modified
        item.sha1 = hashlib.sha1(body).hexdigest()
        result.items.append(item)
        _decide(item, prev_items.get(url), force, got.status == 304)
        if item.status != "failed":
            result.top["text"] = body.decode("utf-8")
        return
    result.kind = "index"
    result.top["text"] = body.decode("utf-8-sig")
    if len(entries) > MAX_INDEX_ENTRIES:
        result.source_failed = True
        result.reason = f"the index lists {len(entries)} files, more than {MAX_INDEX_ENTRIES}"
        return
    items = [ItemResult(display_url(u), u, "fetched", is_url=True) for u in entries]
    result.items.extend(items)

    def one(item: ItemResult) -> None:
        old = prev_items.get(item.key) or {}
        text = old.get("text")
        if deadline is not None and time.monotonic() > deadline:
            item.status, item.reason = "failed", OUT_OF_TIME
            return
        try:
            check_url(item.key)
            r = fetch(
                item.key,
                timeout=config.request_timeout_seconds,
                max_bytes=_max_bytes(config),
                etag=old.get("etag") if text is not None else None,
                last_modified=old.get("last_modified") if text is not None else None,
                session=session,
            )
        except FetchError as e:
            item.status, item.reason = "failed", str(e)
            return
        item.etag, item.last_modified = r.etag, r.last_modified
        data = r.body if r.body is not None else str(text).encode("utf-8")
        item.data = data
        item.sha1 = hashlib.sha1(data).hexdigest()
        _decide(item, old or None, force, r.status == 304)

    if len(items) == 1:
        one(items[0])
    else:
        with ThreadPoolExecutor(max_workers=URL_WORKERS) as pool:
            list(pool.map(one, items))
    for key, old in prev_items.items():
        if key not in {i.key for i in items}:
            result.items.append(
                ItemResult(
                    display_url(key),
                    key,
                    "removed",
                    "no longer in the index; its notes were kept (retire or delete them in Anki if you want)",
                    identity=old.get("identity"),
                    label=old.get("label", ""),
                    is_url=True,
                )
            )


def _decide(item: ItemResult, old: dict[str, Any] | None, force: bool, not_modified: bool) -> None:
    """Unchanged (no parse) or parse, for a URL item whose body is in ``item.data``."""
    if not force and old and old.get("identity") and (not_modified or old.get("sha1") == item.sha1):
        item.status = "unchanged"
        item.identity = old["identity"]
        item.label = old.get("label", "")
        item.reason = "not modified" if not_modified else "same content"
        return
    _parse_into(item)


# ---------------------------------------------------------------------------- checks


def _mark_duplicates(report: SyncReport) -> None:
    """Two files of one lesson (same Source header): the later one fails, the first is used."""
    seen: dict[str, str] = {}
    for s in report.sources:
        for item in s.items:
            if item.status not in ("fetched", "unchanged") or not item.identity:
                continue
            first = seen.get(item.identity)
            if first is None:
                seen[item.identity] = item.name
                continue
            item.status = "failed"
            item.lesson = None
            item.reason = (
                f"the same lesson as {first} (same Source header); keep only one of the two files"
            )
