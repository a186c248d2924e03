"""Lesson Flashcards: import lesson flashcard markdown files into Anki.

Nothing happens at import time unless this package is loaded by a running Anki,
so tests and tools can import ``addon.lesson`` and friends freely.
"""

import sys

if "aqt" in sys.modules:  # pragma: no cover - only inside a running Anki
    from aqt import mw as _mw

    if _mw is not None:
        from .gui import setup as _setup

        _setup(_mw)
