"""One undo step for work that takes many backend operations.

Anki keeps a bounded number of undoable operations (30); ``merge_undo_entries(pos)`` fails with
"target undo op not found" once the custom entry at ``pos`` has been pushed out. A long import
(hundreds of lessons, thousands of decks) therefore merges what it has done so far every few
operations: :meth:`UndoStep.checkpoint` is cheap to call often.
"""

from __future__ import annotations

from anki.collection import Collection, OpChanges

# Merge well before Anki's limit of 30 undoable operations.
MAX_PENDING = 16


class UndoStep:
    def __init__(self, col: Collection, name: str) -> None:
        self.col = col
        self.name = name
        self.pos = col.add_custom_undo_entry(name)

    def checkpoint(self) -> None:
        """Merge the operations since the step began if many have piled up."""
        if self.col.undo_status().last_step - self.pos >= MAX_PENDING:
            self.col.merge_undo_entries(self.pos)

    def finish(self) -> OpChanges:
        return self.col.merge_undo_entries(self.pos)

    def roll_back(self) -> None:
        """Undo everything done since the step began (best effort: the caller re-raises)."""
        try:
            self.col.merge_undo_entries(self.pos)
            if self.col.undo_status().undo == self.name:
                self.col.undo()
        except Exception:
            pass


def noop() -> None:
    return None
