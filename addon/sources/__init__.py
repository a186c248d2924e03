"""Where lessons come from: folders, single files and URLs, kept current (no aqt).

API (two steps, so the GUI can run the slow one off the UI thread)::

    from .sources.collect import collect            # no anki import: disk + network only
    from .sources.apply import apply, summary       # anki: imports through the importer

    report = collect(config.sources, state_dir, config, force=False, scope=profile_name)
    result = apply(col, report, config)             # one undo step "Import Lessons", then state saved
    print(summary(report, result)); print(*report.lines(), sep="\\n")

- ``collect(specs, state_dir, config, force=False, scope="", session=None, time_budget=None)
  -> SyncReport``: reads every source, parses only what changed; writes nothing.
- ``apply(col, report, config) -> ImportResult``: imports the changed lessons of all sources
  together (per-source deck roots), re-imports unchanged files whose lesson is missing from
  this collection, then saves the state (only now is a source's new content "seen").
- ``SyncReport.sources[i]``: ``SourceResult`` with ``name`` (credential-free), ``status``
  ("fetched" | "unchanged" | "failed"), ``reason``, ``lessons`` and per-file ``items``
  (status also "removed" or "skipped").

Files that disappear from a folder or an index are reported "removed"; their notes are kept
as they are (not retired, not deleted). A renamed file is the same lesson (identity is the
Source header): with the same content it is "unchanged (renamed from ...)", edited it updates
the existing notes in place.
"""

from __future__ import annotations

from .collect import ItemResult, SourceResult, SyncReport, collect
from .fetch import FetchError, display_url

__all__ = ["FetchError", "ItemResult", "SourceResult", "SyncReport", "collect", "display_url"]
