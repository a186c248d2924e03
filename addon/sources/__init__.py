"""Where lessons come from: folders, single files and URLs, kept current (no aqt).

Two steps, so the GUI can run the slow one off the UI thread:

    report = collect(config.sources, state_dir, config, scope=profile)   # disk + network, no collection
    result = apply(col, report, config)                                  # import (one undo step) + save state

``collect`` lives in ``sources.collect`` (no anki import); ``apply`` in ``sources.apply``
(imports the importer, so anki). Import ``apply`` from there, not from this package, when
you want to stay anki-free.
"""

from __future__ import annotations

from .collect import ItemResult, SourceResult, SyncReport, collect
from .fetch import FetchError, display_url

__all__ = ["FetchError", "ItemResult", "SourceResult", "SyncReport", "collect", "display_url"]
