"""Errors and warnings that point at a file and line."""

from __future__ import annotations

from dataclasses import dataclass


class LessonError(Exception):
    """A lesson file that cannot be imported. ``str()`` is ``FILE:LINE: message``."""

    def __init__(self, file: str, line: int, message: str) -> None:
        super().__init__(f"{file}:{line}: {message}")
        self.file = file
        self.line = line
        self.message = message


@dataclass(frozen=True)
class LessonWarning:
    """Something odd that does not stop the import."""

    file: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.message}"
