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
        self.prior = col.undo_status().last_step  # the step before this one (if any is kept)
        self.pos = col.add_custom_undo_entry(name)
        self.finished = False

    def checkpoint(self) -> None:
        """Merge the operations since the step began if many have piled up."""
        if self.col.undo_status().last_step - self.pos >= MAX_PENDING:
            self.col.merge_undo_entries(self.pos)

    def finish(self) -> OpChanges:
        changes = self.col.merge_undo_entries(self.pos)
        self.finished = True
        return changes

    def roll_back(self) -> None:
        """Undo everything done since the step began (best effort: the caller re-raises). Anki
        would then offer to redo the failed work: the redo queue is emptied, and the Edit menu
        shows what it showed before."""
        try:
            self.col.merge_undo_entries(self.pos)
            if self.col.undo_status().undo == self.name:
                self.col.undo()
        except Exception:
            pass
        try:
            # Any new step empties the redo queue; this empty one joins the step before it.
            self.col.add_custom_undo_entry(self.name)
            self.col.merge_undo_entries(self.prior)
        except Exception:
            forget_undo(self.col)  # no step before it: nothing of the user's is lost

    def discard(self) -> None:
        """The finished step's changes did not reach the database (its transaction was rolled
        back): undoing it would act on changes that are not there, so Anki's undo and redo
        queues are emptied."""
        forget_undo(self.col)


def forget_undo(col: Collection) -> None:
    """Empty Anki's undo and redo queues: Anki does so whenever a statement that may write goes
    through ``col.db`` (this one changes nothing)."""
    try:
        if col.db is not None:
            col.db.execute("update col set mod = mod where 0")
    except Exception:
        pass


def noop() -> None:
    return None
