"""Everything that touches a collection (imports anki, never aqt)."""

# anki.cards cannot be imported first (circular import inside anki); anki.collection can.
import anki.collection  # noqa: F401
