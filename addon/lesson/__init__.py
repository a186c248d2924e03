"""Lesson files: parse markdown into dataclasses and render card sides to safe HTML (pure Python)."""
